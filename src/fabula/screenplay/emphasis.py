"""Fountain's inline markup: emphasis, escapes and inline notes, read from text kept as written.

`*italic*`, `**bold**`, `***bold italic***` and `_underline_` nest (`**bold _and under_**`);
a marker opens only before a non-space and closes only after one, so `2 * 3 * 4` stays literal,
and an unmatched marker is printed as it is. `\\*` and `\\_` print the character itself.
Emphasis never crosses a line break. `[[notes]]` and `/* boneyard */` inside a line are not
printed. `to_markup` writes runs back (for Final Draft import), escaping literal markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Run", "plain", "runs", "strip_hidden", "to_markup"]

BOLD, ITALIC, UNDERLINE = 1, 2, 4

# Escaped markers become private-use characters while the markup is read, then the markers again.
_ESCAPES = {"\\\\": "\ue000", "\\*": "\ue001", "\\_": "\ue002"}
_UNESCAPE = str.maketrans({"\ue000": "\\", "\ue001": "*", "\ue002": "_"})
_SEAM = re.compile(r"(?P<before>[ \t]*)(?:\[\[.*?\]\]|/\*.*?\*/)(?P<after>[ \t]*)", re.DOTALL)
# (marker length, pattern, style). A single `*` neither opens nor closes next to another `*`, so
# `*a **b** c*` is italic around bold rather than italic up to the first `**`.
_SPANS = (
    (3, re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"), BOLD | ITALIC),
    (2, re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), BOLD),
    (1, re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)"), ITALIC),
    (1, re.compile(r"_(?=\S)(.+?)(?<=\S)_"), UNDERLINE),
)


@dataclass(frozen=True)
class Run:
    """A stretch of printed text in one style."""

    text: str
    style: int = 0  # BOLD | ITALIC | UNDERLINE

    @property
    def bold(self) -> bool:
        return bool(self.style & BOLD)

    @property
    def italic(self) -> bool:
        return bool(self.style & ITALIC)

    @property
    def underline(self) -> bool:
        return bool(self.style & UNDERLINE)


def strip_hidden(text: str) -> str:
    """The text without inline notes and boneyard; one between two words leaves one space."""
    return _SEAM.sub(_seam, text)


def _seam(match: re.Match[str]) -> str:
    s, start, end = match.string, match.start(), match.end()
    inside = 0 < start and end < len(s) and s[start - 1] != "\n" and s[end] != "\n"
    return " " if inside and (match["before"] or match["after"]) else ""


def runs(text: str) -> list[Run]:
    """The printed runs of one line of text (notes and boneyard removed, markup applied)."""
    for escape, mark in _ESCAPES.items():
        text = text.replace(escape, mark)
    out: list[Run] = []
    _read(strip_hidden(text), 0, out)
    merged: list[Run] = []
    for run in out:
        run = Run(run.text.translate(_UNESCAPE), run.style)
        if merged and merged[-1].style == run.style:
            merged[-1] = Run(merged[-1].text + run.text, run.style)
        elif run.text:
            merged.append(run)
    return merged


def _read(text: str, style: int, out: list[Run]) -> None:
    while text:
        found = [(m.start(), -size, m, s) for size, p, s in _SPANS if (m := p.search(text))]
        if not found:
            out.append(Run(text, style))
            return
        # The earliest span wins; at the same place, the longest marker.
        _, _, match, span_style = min(found, key=lambda f: (f[0], f[1]))
        out.append(Run(text[: match.start()], style))
        _read(match.group(1), style | span_style, out)
        text = text[match.end() :]


def plain(text: str) -> str:
    """What is printed, without styles: each line of `text` read by `runs`."""
    return "\n".join("".join(r.text for r in runs(line)) for line in text.split("\n"))


def to_markup(parts: list[Run]) -> str:
    """Fountain markup for styled runs; literal `*`, `_` and `\\` are escaped."""
    out = []
    for run in parts:
        text = run.text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
        core = text.strip()
        if not core or not run.style:
            out.append(text)
            continue
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        stars = "*" * ((2 if run.bold else 0) + (1 if run.italic else 0))
        under = "_" if run.underline else ""
        out.append(f"{lead}{stars}{under}{core}{under}{stars}{trail}")
    return "".join(out)
