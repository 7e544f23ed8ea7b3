"""Echoing a poem's theme: its words get a logit bonus until the poem has used them.

A title conditions a house model already; the echo (`fabula.engine.echo.Echo`) makes the theme's
own words likely to appear without forcing them anywhere (a forced word could break the form, and
the form constraint has the last word: a bonus on a masked token changes nothing). Each theme
unit — a Chinese character, or an English content word — is boosted in an alternative only until
that alternative uses it, so the poem echoes the theme rather than repeating it.
"""

from __future__ import annotations

import re

from fabula.engine.constraints import Constraint
from fabula.engine.echo import Echo
from fabula.forms.chinese.lexicon import to_simplified
from fabula.forms.chinese.shi import _HAN
from fabula.forms.english.lexicon import FUNCTION_WORDS

__all__ = ["echoed", "spellings", "theme_echo", "theme_units"]


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


def theme_echo(inner: Constraint, units: list[str], weight: float = 2.0) -> Echo:
    """`inner` (the form's constraint) with the theme's units echoed (`fabula.engine.echo`)."""
    return Echo({u: spellings(u) for u in units}, weight, inner)


def spellings(unit: str) -> list[str]:
    """The texts that spell a unit: a character as it is; a word with and without its space, and
    capitalised (the first word of a line)."""
    if _HAN.match(unit):
        return [unit]
    cap = unit[:1].upper() + unit[1:]
    return [f" {unit}", unit, f" {cap}", cap]
