"""Small text-cleaning helpers shared by the English corpora."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["tidy", "unwrap_paragraphs", "resolve_overstrike", "roman_to_int"]

_BLANK_RUN = re.compile(r"\n{3,}")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# nroff-style accents typed as "accent, backspace, letter" (or the reverse).
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", ",": "\u0327"}
_OVERSTRIKE = re.compile(r"(.)\x08(.)")


def tidy(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row, one final newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n", text).strip("\n") + "\n"


def unwrap_paragraphs(text: str) -> str:
    """Join hard-wrapped lines into one line per paragraph (paragraphs are separated by blank lines)."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    joined = (" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in paragraphs)
    return "\n\n".join(p for p in joined if p) + "\n"


def _overstrike(match: re.Match[str]) -> str:
    a, b = match.group(1), match.group(2)
    if a == "_" or a == b:
        return b
    if b == "_":
        return a
    if a in _ACCENTS:
        return unicodedata.normalize("NFC", b + _ACCENTS[a])
    if b in _ACCENTS:
        return unicodedata.normalize("NFC", a + _ACCENTS[b])
    return b


def resolve_overstrike(text: str) -> str:
    """Turn typewriter overstrikes (`_\\bx` underline, `'\\be` accents) into plain or accented letters."""
    text = _OVERSTRIKE.sub(_overstrike, text)
    return text.replace("\x08", "")


def roman_to_int(numeral: str) -> int:
    """`"XIV"` -> 14; raises ValueError for anything that is not a Roman numeral."""
    values = [_ROMAN[c] for c in numeral.upper()]
    if not values:
        raise ValueError("empty numeral")
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
