"""Tang and Song shi (全唐诗, 全宋诗) from chinese-poetry, one document per poem, labelled with its form.

Source: `dist/quantangshi/poet.tang.*.json` (`meta.source = "tang_shi"`)
and `poet.song.*.json` (`"song_shi"`) of the npm package `chinese-poetry`,
in Traditional characters. Text is stored Simplified with a Traditional
copy (see `fabula.data.chinese`); `meta.form` is `shi_form` of the poem.
A poem that appears in both collections is kept once (the Tang copy).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.chinese import SCRIPT_CARD, shi_form, tool_versions
from fabula.data.corpus import Document
from fabula.data.pipeline import Corpus
from fabula.data.poetry import CHINESE_POETRY, LICENCE, numbered_files, poem_document, records

COLLECTIONS = (("tang_shi", "poet.tang.*.json", "唐"), ("song_shi", "poet.song.*.json", "宋"))
# Collections of couplets cut from lost poems (titled 句, 断句): not whole poems, so no form.
_FRAGMENT_TITLE = re.compile(r"^(句|斷句|断句)(\s|$)")


def shi_documents(
    records_: Iterator[dict], source: str, dynasty: str, stats: Counter[str]
) -> Iterator[Document]:
    for index, record in enumerate(records_):
        title = str(record.get("title") or "")
        if _FRAGMENT_TITLE.match(title.strip()):
            stats["dropped: fragment (句)"] += 1
            continue
        doc = poem_document(
            record,
            f"{source}/{record.get('id') or index}",
            {"source": source, "dynasty": dynasty, "title": title, "author": str(record.get("author") or "")},
            stats,
            traditional_source=True,
        )
        if doc is not None:
            doc.meta["form"] = shi_form(doc.text.splitlines())
            yield doc


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    folder = root / "dist" / "quantangshi"
    for source, pattern, dynasty in COLLECTIONS:
        files = numbered_files(folder, pattern)
        stats[f"files: {source}"] += len(files)
        yield from shi_documents(records(files), source, dynasty, stats)


CORPUS = Corpus(
    name="tang_song_shi",
    description="Tang and Song shi poems (全唐诗 57 k, 全宋诗 254 k in the source), one document per poem, "
    "labelled with form (五言/七言 × 绝句/律诗/古体, 杂言古体).",
    lang="zh",
    source=CHINESE_POETRY,
    files="dist/quantangshi/poet.tang.*.json, dist/quantangshi/poet.song.*.json",
    licence=LICENCE,
    script=SCRIPT_CARD,
    tools=tool_versions,
    cleaning=(
        "Editors' notes in parentheses removed (（一作「…」）, 〔…〕); whitespace removed.",
        "Dropped: poems with lost characters (□ ● 囗囗), composed-character or bracket markup, "
        "digits, Latin, "
        "kana or other stray symbols; fragment collections titled 句 / 断句.",
        "Text converted to Simplified (OpenCC t2s); the Traditional source text kept in meta.text_hant; "
        "title and author converted too.",
        "form = shi_form(lines): 4 lines 绝句, 8 lines 律诗, else 古体; 5/7 characters 五言/七言; "
        "mixed lengths 杂言古体.",
        "Split key = hash of the normalised Simplified text (the same poem in tang300 gets the same split).",
    ),
    documents=documents,
)
