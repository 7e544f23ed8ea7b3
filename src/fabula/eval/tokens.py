"""The word tokens every count-based metric reads, so their numbers agree with each other.

A token is one Chinese character, a run of letters and digits (with inner apostrophes: "don't" is
one token), or one punctuation mark; letters are lower-cased and the typographic apostrophe is
read as "'". Chinese is counted by character because classical Chinese has no word spaces and a
character is its unit of verse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fabula.errors import FabulaError

__all__ = ["check_texts", "ngrams", "tokens"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_WORD = rf"(?:(?![{_HAN}])[^\W_])+"
_TOKEN = re.compile(rf"[{_HAN}]|{_WORD}(?:'{_WORD})*|[^\w\s]|_")
HAN = re.compile(f"[{_HAN}]")


def tokens(text: str) -> list[str]:
    """`text` as lower-cased word, character and punctuation tokens."""
    return _TOKEN.findall(text.replace("\u2019", "'").lower())


def ngrams(toks: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The contiguous n-grams of `toks`, in order (none when it is shorter than n)."""
    return [tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)]


def check_texts(texts: Sequence[str], what: str = "texts", least: int = 1) -> list[str]:
    """`texts` as a list, or a FabulaError saying how to call the metric."""
    if isinstance(texts, str):
        raise FabulaError(f"Pass the {what} as a list of strings, not one string: [{texts[:30]!r}, ...].")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise FabulaError(f"The {what} must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}.")
    if len(texts) < least:
        raise FabulaError(f"This metric needs {least} or more {what}; got {len(texts)}.")
    return texts


def check_order(n: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise FabulaError(f"An n-gram order must be a whole number of at least 1 (got n={n!r}).")
