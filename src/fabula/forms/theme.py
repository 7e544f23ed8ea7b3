"""Echoing a poem's theme: its words get a logit bonus until the poem has used them.

A title conditions a house model already; the echo makes the theme's own words likely to appear
without forcing them anywhere (a forced word could break the form, and the form constraint has
the last word: a bonus on a masked token changes nothing). Each theme unit — a Chinese character,
or an English content word — is boosted in an alternative only until that alternative uses it,
so the poem echoes the theme rather than repeating it.
"""

from __future__ import annotations

import re

import torch

from fabula.backends.base import Tokenizer
from fabula.engine.constraints import Constraint
from fabula.forms.chinese.lexicon import to_simplified
from fabula.forms.chinese.shi import _HAN
from fabula.forms.english.lexicon import FUNCTION_WORDS

__all__ = ["ThemeEcho", "echoed", "theme_units"]


def theme_units(theme: str, chinese: bool) -> list[str]:
    """The units of a theme to echo: its Chinese characters, or its English content words."""
    if chinese:
        return list(dict.fromkeys(to_simplified(ch) for ch in _HAN.findall(theme)))
    words = re.findall(r"[a-z']+", theme.lower())
    return list(dict.fromkeys(w for w in words if w not in FUNCTION_WORDS and len(w) > 1))


def _units_of(text: str, chinese: bool) -> set[str]:
    if chinese:
        return {to_simplified(ch) for ch in _HAN.findall(text)}
    return set(re.findall(r"[a-z']+", text.lower()))


def echoed(lines: list[str], units: list[str]) -> list[str]:
    """The theme units the poem uses, in the theme's order."""
    chinese = any(_HAN.match(u) for u in units)
    found = _units_of("\n".join(lines), chinese)
    return [u for u in units if u in found]


class ThemeEcho(Constraint):
    """Wraps a constraint: adds `weight` to the logits of theme tokens an alternative has not used."""

    def __init__(self, inner: Constraint, units: list[str], weight: float = 2.0) -> None:
        self.inner = inner
        self.units = units
        self.weight = weight
        self.chinese = any(_HAN.match(u) for u in units)

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        self.inner.begin(tokenizer, n)
        # token id -> the unit it spells: a single character, or a whole word (with its space)
        self.token_unit: dict[int, str] = {}
        wanted = set(self.units)
        for tid in range(tokenizer.vocab_size):
            text = tokenizer.token_text(tid).strip()
            key = to_simplified(text) if self.chinese else text.lower()
            if key in wanted:
                self.token_unit[tid] = key
        self.ids_of: dict[str, list[int]] = {}
        for tid, unit in self.token_unit.items():
            self.ids_of.setdefault(unit, []).append(tid)

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        if self.ids_of:
            logits = logits.clone()
            width = logits.shape[-1]
            for k, ids in enumerate(generated):
                used = _units_of(self.tokenizer.decode(ids), self.chinese) if ids else set()
                boost = [t for u, ts in self.ids_of.items() if u not in used for t in ts if t < width]
                if boost:
                    logits[k, boost] += self.weight
        return self.inner.adjust(logits, rows, generated)

    def is_complete(self, row: int, generated: list[int]) -> bool:
        return self.inner.is_complete(row, generated)
