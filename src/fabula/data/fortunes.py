"""English poems and literary quotations from the Debian `fortunes` package, one document per entry.

Source: `/usr/share/games/fortunes/songs-poems` (form `poem`) and
`literature` (form `quotation`). Entries are separated by a line holding
only `%`. An attribution at the end of an entry (`\\t\\t-- Ogden Nash`) is
moved out of the text into `meta.author` (and a quoted work into
`meta.title`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.corpus import Document
from fabula.data.fetch import DebianPackage
from fabula.data.pipeline import Corpus
from fabula.data.text import resolve_overstrike, tidy

FILES = {"songs-poems": "poem", "literature": "quotation"}
_ATTRIBUTION = re.compile(r"^\s+--\s*(\S.*)$")
_QUOTED = re.compile(r'"([^"]+)"')


def split_entries(text: str) -> list[str]:
    """The entries of a fortune file (separated by lines that are just `%`)."""
    entries, current = [], []
    for line in text.split("\n"):
        if line.strip() == "%":
            entries.append("\n".join(current))
            current = []
        else:
            current.append(line)
    entries.append("\n".join(current))
    return [e for e in entries if e.strip()]


def split_attribution(entry: str) -> tuple[str, str]:
    """(text, attribution): an indented `-- Name, "Work"` line at the end (and its
    indented continuation lines) is the attribution."""
    lines = entry.rstrip("\n").split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if m := _ATTRIBUTION.match(lines[i]):
            tail = lines[i + 1 :]
            if all(line.startswith((" ", "\t")) or not line.strip() for line in tail):
                attribution = " ".join([m.group(1).strip(), *(t.strip() for t in tail if t.strip())])
                return "\n".join(lines[:i]), attribution
            break
        if not lines[i].startswith((" ", "\t")):
            break
    return entry, ""


def parse_attribution(attribution: str) -> dict[str, str]:
    """`Mark Twain, "The Disappearance of Literature"` -> author and title."""
    meta = {}
    if m := _QUOTED.search(attribution):
        meta["title"] = m.group(1).strip(" ,.")
    author = attribution.split(",")[0].split('"')[0].strip(" ,.")
    if author:
        meta["author"] = author
    return meta


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    for name, form in FILES.items():
        path = root / name
        for index, entry in enumerate(
            split_entries(resolve_overstrike(path.read_text(encoding="utf-8", errors="replace")))
        ):
            text, attribution = split_attribution(entry)
            stats[f"entries: {name}"] += 1
            if attribution:
                stats["attributions moved to meta"] += 1
            meta = {
                "lang": "en",
                "source": "fortunes",
                "form": form,
                "collection": name,
                **parse_attribution(attribution),
            }
            yield Document(f"fortunes/{name}/{index:04d}", tidy(text.expandtabs(8)), meta)


CORPUS = Corpus(
    name="fortunes",
    description="Poems and song lyrics (songs-poems) and literary quotations (literature) from the BSD "
    "fortune database, one document per entry.",
    lang="en",
    source=DebianPackage("fortunes", Path("/usr/share/games/fortunes")),
    files="/usr/share/games/fortunes/songs-poems, /usr/share/games/fortunes/literature",
    licence="BSD fortune files (see /usr/share/doc/fortunes/copyright); "
    "quoted texts belong to their authors.",
    cleaning=(
        'Entries split at `%` lines; a trailing indented `-- Author, "Work"` attribution is removed from the '
        "text and stored in `meta.author` / `meta.title`.",
        "Typewriter overstrikes (letter, backspace, accent) turned into accented letters; tabs expanded.",
        "Trailing spaces and runs of blank lines normalised.",
    ),
    documents=documents,
)
