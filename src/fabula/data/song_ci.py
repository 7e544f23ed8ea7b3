"""Song ci (全宋词) from chinese-poetry, one document per ci, labelled with its tune (词牌).

Source: `dist/songci/ci.song.*.json` of the npm package `chinese-poetry`
(Simplified in the source). `meta.tune` is the 词牌 from the record's
`rhythmic` field; where it gives an alternative name (`醉落魄・一斛珠`),
the first is the tune and the rest is `meta.tune_alias`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.chinese import SCRIPT_CARD, to_simplified, tool_versions
from fabula.data.corpus import Document
from fabula.data.pipeline import Corpus
from fabula.data.poetry import CHINESE_POETRY, LICENCE, numbered_files, poem_document, records, tidy_title


def split_tune(rhythmic: str) -> tuple[str, str]:
    """`醉落魄・一斛珠` -> (`醉落魄`, `一斛珠`); `浣溪沙` -> (`浣溪沙`, ``)."""
    name, _, alias = tidy_title(rhythmic).replace("·", "・").partition("・")
    return name.strip(), alias.strip()


def ci_documents(records_: Iterator[dict], stats: Counter[str]) -> Iterator[Document]:
    for record in records_:
        rhythmic = str(record.get("rhythmic") or "")
        tune, alias = split_tune(rhythmic)
        if not tune:
            stats["dropped: no tune"] += 1
            continue
        author = str(record.get("author") or "")
        # Ci records have no id: name them by author, tune and text (stable for a package version).
        digest = hashlib.sha256(
            "\x1f".join([author, rhythmic, *map(str, record.get("paragraphs") or [])]).encode("utf-8")
        ).hexdigest()[:16]
        meta = {"source": "song_ci", "form": "词", "tune": tune, "title": rhythmic, "author": author}
        if alias:
            meta["tune_alias"] = alias
        doc = poem_document(record, f"song_ci/{digest}", meta, stats, traditional_source=False)
        if doc is not None:
            doc.meta["tune"] = to_simplified(tune)
            if alias:
                doc.meta["tune_alias"] = to_simplified(alias)
            yield doc


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    files = numbered_files(root / "dist" / "songci", "ci.song.*.json")
    stats["files"] += len(files)
    yield from ci_documents(records(files), stats)


CORPUS = Corpus(
    name="song_ci",
    description="Song ci (全宋词, 21 k in the source), one document per ci, "
    "labelled with its tune name (词牌).",
    lang="zh",
    source=CHINESE_POETRY,
    files="dist/songci/ci.song.*.json",
    licence=LICENCE,
    script=SCRIPT_CARD,
    tools=tool_versions,
    cleaning=(
        "Editors' notes in parentheses removed (e.g. （下缺）); whitespace removed.",
        "Dropped: ci with lost characters (□), mojibake (�, kana, Cyrillic) or other stray symbols.",
        "Text normalised to Simplified (OpenCC t2s, catching stray Traditional characters); meta.text_hant "
        "is OpenCC s2t of it.",
        "tune = the 词牌 of `rhythmic` (an alternative name after ・ goes to tune_alias); "
        "title = `rhythmic`.",
        "Split key = hash of the normalised Simplified text.",
    ),
    documents=documents,
)
