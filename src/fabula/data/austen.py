"""Jane Austen's six novels, one document per chapter.

Source: the Debian package `r-cran-janeaustenr` (the CRAN package
`janeaustenr`, MIT; the novels are public domain). Its data is R data, so it
is exported once with `Rscript` into the cache as one UTF-8 text file per
novel, the lines exactly as the package has them.
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
from fabula.data.text import roman_to_int, unwrap_paragraphs
from fabula.errors import FabulaError

# R object name -> (file stem, title, year of first publication)
NOVELS = {
    "sensesensibility": ("sense_and_sensibility", "Sense and Sensibility", "1811"),
    "prideprejudice": ("pride_and_prejudice", "Pride and Prejudice", "1813"),
    "mansfieldpark": ("mansfield_park", "Mansfield Park", "1814"),
    "emma": ("emma", "Emma", "1815"),
    "northangerabbey": ("northanger_abbey", "Northanger Abbey", "1818"),
    "persuasion": ("persuasion", "Persuasion", "1818"),
}
_CHAPTER = re.compile(r"^\s*CHAPTER\s+([IVXLC]+|\d+)\.?\s*$", re.IGNORECASE)
_VOLUME = re.compile(r"^\s*VOLUME\s+([IVXLC]+|\d+)\.?\s*$", re.IGNORECASE)
# Where the novel ends: the end marks, and the editor's note after Northanger Abbey.
_END = re.compile(r"^\s*(THE END|FINIS|A NOTE ON THE TEXT)\s*\.?\s*$", re.IGNORECASE)
_SPACES = re.compile(r"(?<=\S) {2,}")
_EMPHASIS = re.compile(r"(?<![\w_])_([^_\n]+?)_(?![\w_])")


def export(dest: Path) -> None:
    """Write each novel's lines from the R package to `dest/<object>.txt` (UTF-8)."""
    objects = ", ".join(f'"{name}"' for name in NOVELS)
    script = (
        "suppressPackageStartupMessages(library(janeaustenr)); "
        f"for (n in c({objects})) {{ con <- file(file.path(commandArgs(TRUE)[1], paste0(n, '.txt')), "
        "encoding = 'UTF-8'); writeLines(get(n), con); close(con) }"
    )
    try:
        subprocess.run(["Rscript", "-e", script, str(dest)], check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise FabulaError(
            "`Rscript` is missing: run `sudo apt-get install -y r-base-core r-cran-janeaustenr`."
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise FabulaError(
            f"Exporting the Austen novels with Rscript failed: {exc.stderr.strip()[-300:]}"
        ) from exc


def split_chapters(text: str) -> list[tuple[int, str]]:
    """(chapter number as printed, chapter text) per chapter, without headings or front/back matter."""
    chapters: list[tuple[int, list[str]]] = []
    for line in text.split("\n"):
        if _END.match(line):
            break
        if m := _CHAPTER.match(line):
            chapters.append((roman_to_int(m.group(1)) if not m.group(1).isdigit() else int(m.group(1)), []))
        elif _VOLUME.match(line):
            continue
        elif chapters:
            chapters[-1][1].append(line)
    return [(n, "\n".join(body)) for n, body in chapters]


def clean_chapter(text: str) -> str:
    """One line per paragraph, single spaces; `_emphasis_` marks removed."""
    return _SPACES.sub(" ", _EMPHASIS.sub(r"\1", unwrap_paragraphs(text)))


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    for obj, (stem, title, year) in NOVELS.items():
        path = root / f"{obj}.txt"
        if not path.exists():
            raise FabulaError(f"{path} is missing: run `fabula data prepare austen --force`.")
        for index, (_printed, body) in enumerate(split_chapters(path.read_text(encoding="utf-8")), start=1):
            stats[f"chapters: {title}"] += 1
            yield Document(
                f"austen/{stem}/{index:03d}",
                clean_chapter(body),
                {
                    "lang": "en",
                    "source": "austen",
                    "style": "austen",
                    "form": "novel",
                    "title": title,
                    "author": "Jane Austen",
                    "chapter": str(index),
                    "year": year,
                },
            )


CORPUS = Corpus(
    name="austen",
    description="Jane Austen's six completed novels, one document per chapter.",
    lang="en",
    source=DebianPackage(
        "r-cran-janeaustenr",
        Path("/usr/lib/R/site-library/janeaustenr"),
        requires=("r-base-core", "r-cran-janeaustenr"),
        export=export,
    ),
    files="R data objects sensesensibility, prideprejudice, mansfieldpark, emma, northangerabbey, persuasion "
    "(exported with Rscript)",
    licence="Public domain novels; the janeaustenr package is MIT-licensed (Julia Silge).",
    cleaning=(
        "Front matter (title page, Northanger Abbey's advertisement) dropped; text after `THE END`/`FINIS` "
        "and the editor's 'A note on the text' dropped.",
        "One document per chapter; `CHAPTER n` and `VOLUME n` headings removed "
        "(chapter number in `meta.chapter`, "
        "counted through the whole novel).",
        "Hard-wrapped lines joined: one line per paragraph, paragraphs separated by a blank line.",
        "`_emphasis_` underscores removed; runs of spaces (two after a full stop) made one.",
    ),
    documents=documents,
)
