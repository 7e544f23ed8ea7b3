"""The King James Bible, one document per chapter (1,189), one verse per line.

Source: the Debian packages `bible-kjv` (the `bible` program) and
`bible-kjv-text` (its data). The whole text is exported once with
`bible -l100000 gen1:1-rev22:21` (a chapter heading such as `Genesis 1`,
then one numbered verse per line).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.corpus import Document
from fabula.data.fetch import DebianPackage
from fabula.data.pipeline import Corpus
from fabula.errors import FabulaError

EXPORT_FILE = "kjv.txt"
_HEADING = re.compile(r"^(\S.*?)\s+(\d+)\s*$")
_VERSE = re.compile(r"^\s+(\d+)\s+(.*)$")
_NEW_TESTAMENT_FIRST = "Matthew"


def export(dest: Path) -> None:
    """The whole Bible as the `bible` program prints it, without line wrapping."""
    try:
        result = subprocess.run(
            ["bible", "-l100000", "gen1:1-rev22:21"], check=True, capture_output=True, text=True
        )
    except FileNotFoundError as exc:
        raise FabulaError(
            "The `bible` program is missing: run `sudo apt-get install -y bible-kjv bible-kjv-text`."
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise FabulaError(f"`bible` failed: {exc.stderr.strip()[-300:]}") from exc
    (dest / EXPORT_FILE).write_text(result.stdout, encoding="utf-8")


def parse_chapters(text: str) -> list[tuple[str, int, list[str]]]:
    """(book, chapter, verses) per chapter, in order. Wrapped verse lines are joined."""
    chapters: list[tuple[str, int, list[str]]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if m := _VERSE.match(line):
            if not chapters:
                raise FabulaError("The exported Bible text starts with a verse before any chapter heading.")
            chapters[-1][2].append(m.group(2).strip())
        elif m := _HEADING.match(line):
            chapters.append((m.group(1), int(m.group(2)), []))
        elif chapters and chapters[-1][2]:
            chapters[-1][2][-1] += " " + line.strip()
    return chapters


def _slug(book: str) -> str:
    return re.sub(r"\W+", "_", book.lower()).strip("_")


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    testament = "old"
    for book, chapter, verses in parse_chapters((root / EXPORT_FILE).read_text(encoding="utf-8")):
        if book == _NEW_TESTAMENT_FIRST:
            testament = "new"
        stats["verses"] += len(verses)
        stats[f"chapters: {testament} testament"] += 1
        yield Document(
            f"kjv/{_slug(book)}/{chapter:03d}",
            "\n".join(verses) + "\n",
            {
                "lang": "en",
                "source": "kjv",
                "style": "kjv",
                "form": "scripture",
                "title": f"{book} {chapter}",
                "book": book,
                "chapter": str(chapter),
                "testament": testament,
            },
        )


CORPUS = Corpus(
    name="kjv",
    description="The King James Bible (Authorized Version), one document per chapter, one verse per line.",
    lang="en",
    source=DebianPackage(
        "bible-kjv-text", Path("/usr/lib/bible.data"), requires=("bible-kjv", "bible-kjv-text"), export=export
    ),
    files="the whole text via `bible -l100000 gen1:1-rev22:21`",
    licence="Public domain (outside the UK, where the Crown's letters patent apply).",
    cleaning=(
        "One document per chapter; verse numbers removed (book and chapter in `meta`), one verse per line.",
        "The chapter heading (`Genesis 1`) is not part of the text; it is `meta.title`.",
    ),
    documents=documents,
)
