"""How to write each kind of form: its decoding constraint, its layout, and its line budget.

`plan(form, ...)` returns a `Plan` for a form of any checker; `fabula.forms.compose` drives
generation with it, the poem benchmark sizes its baseline with it. One place knows that 近体诗
are laid out a couplet per text line, 词 a 片 per text line and English verse a line per line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fabula.engine.constraints import Constraint
from fabula.errors import FabulaError
from fabula.forms.catalog import Form
from fabula.forms.chinese.lexicon import to_simplified
from fabula.forms.chinese.shi import _HAN, split_lines

__all__ = ["Plan", "line_key", "plan", "verse_lines"]

COMMA, PERIOD, NEWLINE = "，", "。", "\n"
DEFAULT_ENGLISH_LINES = {"free verse": 8}


def verse_lines(text: str) -> list[str]:
    """The verse lines of a Chinese poem, Chinese characters only (punctuation and layout dropped)."""
    lines = ("".join(_HAN.findall(part)) for part in split_lines(text.splitlines()))
    return [line for line in lines if line]


def english_lines(text: str) -> list[str]:
    """The verse lines of an English poem: its non-blank lines, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def line_key(line: str) -> str:
    """A line as compared for repeats and copies: Simplified Chinese, or lower-case English words."""
    if _HAN.search(line):
        return to_simplified("".join(_HAN.findall(line)))
    return " ".join(re.findall(r"[a-z']+", line.lower().replace("\u2019", "'")))


@dataclass(frozen=True)
class Plan:
    """What compose needs to know to write one form."""

    form: Form
    count: int  # verse lines
    lengths: list[int] | None  # Chinese characters per line; None for English
    constraint: Callable[[], Constraint]  # a fresh constraint per generation call
    layout: Callable[[list[str]], str]  # verse lines -> the poem's text
    context: Callable[[list[str]], str]  # the first lines -> the text that precedes the next line
    lines_of: Callable[[str], list[str]]  # generated text -> verse lines
    budget: int  # max new tokens for one constrained poem
    stops: tuple[str, ...]  # what ends one resampled line
    chinese: bool
    repeats: frozenset[int] = frozenset()  # 0-based lines that repeat an earlier one by design (refrains)


def plan(form: Form, pattern: str | None = None, heads: str | None = None, lines: int | None = None) -> Plan:
    """The plan for `form`; `pattern` names a 近体诗 pattern or a 词牌 template."""
    if form.checker == "zh-shi":
        return _shi(form, pattern, heads)
    if form.checker == "zh-ci":
        return _ci(form, pattern, heads)
    if form.checker == "en-verse":
        return _english(form, heads, lines)
    raise FabulaError(f"{form.name}: no generation plan for checker {form.checker!r}.")


def _shi(form: Form, pattern: str | None, heads: str | None) -> Plan:
    from fabula.forms.chinese.constrain import ShiConstraint, layout

    length, count = form.params["line_length"], form.params["lines"]

    def context(first: list[str]) -> str:  # a half couplet already ends with "，"
        return layout(first) + (NEWLINE if first and len(first) % 2 == 0 else "")

    return Plan(
        form,
        count,
        [length] * count,
        lambda: ShiConstraint(form, pattern=pattern, heads=heads),
        layout,
        context,
        verse_lines,
        count * (length + 1) + count // 2 + 2,
        (COMMA, PERIOD, NEWLINE),
        True,
    )


def _ci(form: Form, template: str | None, heads: str | None) -> Plan:
    from fabula.forms.chinese.ci import parse_template
    from fabula.forms.chinese.ci_constrain import CiConstraint, ci_layout

    templates = form.params["templates"]
    if template is not None and template not in templates:
        raise FabulaError(f"{form.name} has no template {template!r}: use one of {', '.join(templates)}.")
    slots = parse_template(list(templates[template or next(iter(templates))]), dict(form.params.get("rhymes", {})))

    def context(first: list[str]) -> str:
        return ci_layout(first, slots) + (NEWLINE if first and _stanza_end(slots, len(first) - 1) else "")

    def laid_out(lines: list[str]) -> str:
        return ci_layout(lines, slots)

    return Plan(
        form,
        len(slots),
        [len(s.pattern) for s in slots],
        lambda: CiConstraint(form, template=template, heads=heads),
        laid_out,
        context,
        verse_lines,
        sum(len(s.pattern) + 2 for s in slots) + 2,  # each 句, its punctuation, perhaps a newline
        (COMMA, PERIOD, NEWLINE, "？", "！", "、", "；", "："),
        True,
    )


def _stanza_end(slots: list, i: int) -> bool:
    return i + 1 >= len(slots) or slots[i + 1].stanza != slots[i].stanza


def _english(form: Form, heads: str | None, lines: int | None) -> Plan:
    from fabula.forms.english.constrain import VerseConstraint

    fixed = form.params.get("lines")
    letters = [c for c in heads or "" if c.isalpha()]
    count = int(fixed or lines or (len(letters) if letters else 0) or _english_default(form))
    if fixed and lines and lines != fixed:
        raise FabulaError(f"A {form.name} has {fixed} lines; drop --lines or choose another form.")

    def layout(verse: list[str]) -> str:
        return NEWLINE.join(verse)

    def context(first: list[str]) -> str:
        return "".join(line + NEWLINE for line in first)

    return Plan(
        form,
        count,
        None,
        lambda: VerseConstraint(form, lines=count, heads=heads),
        layout,
        context,
        english_lines,
        count * 32 + 4,  # a line of up to 12 words of up to 2 tokens, punctuation, the newline
        (NEWLINE,),
        False,
        _refrain_repeats(form),
    )


def _refrain_repeats(form: Form) -> frozenset[int]:
    # "refrains" lists 1-based line groups; every line of a group after its first is a repeat.
    return frozenset(i - 1 for group in form.params.get("refrains", []) for i in group[1:])


def _english_default(form: Form) -> int:
    scheme = form.params.get("rhyme")
    if isinstance(scheme, list):
        scheme = scheme[0]
    if scheme:
        return len(scheme.replace(" ", ""))
    return DEFAULT_ENGLISH_LINES.get(form.name, 8)
