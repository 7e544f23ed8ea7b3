"""Writing poems in a form: constrained decoding where the backend allows it, repair where not.

    from fabula.backends import resolve
    from fabula.forms.compose import compose
    [poem] = compose("七绝", resolve("house:zh-poetry"), title="春江", heads="春江花月", seed=1)
    print(poem.text); print(poem.report.render())

* Backends that let a `Constraint` mask the next-token distribution (`supports_constraints`: the
  local ones) decode under `ShiConstraint`, so the form holds by construction; every poem is still
  checked with `check_poem`, and one that fails is a bug (`RuntimeError`), never returned.
* Other backends (OpenAI-compatible servers) generate whole poems, check them, and repair:
  the lines that break a rule are resampled (several candidates each, the one leaving the fewest
  problems kept) until the poem passes or the budget is spent. `Composed.ok` and `.constrained` say
  what was achieved; such a poem may not hold the form.

Either way a poem that repeats one of its own lines, copies a line of `forbidden_lines`, or
duplicates another alternative is rejected (and resampled).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.forms.catalog import Form, check_poem, get_form
from fabula.forms.chinese.constrain import COMMA, PERIOD, ShiConstraint, layout
from fabula.forms.chinese.lexicon import to_simplified
from fabula.forms.chinese.shi import _HAN, split_lines
from fabula.forms.report import PoemReport

__all__ = ["ENGLISH_NOT_IMPLEMENTED", "Composed", "compose", "condition_for_form", "form_prompt", "verse_lines"]

ENGLISH_NOT_IMPLEMENTED = "constrained generation of English forms is not implemented yet"


@dataclass
class Composed:
    """One poem: its text (one couplet per line, as the corpus writes it) and its check."""

    text: str
    report: PoemReport
    form: str
    title: str | None = None
    constrained: bool = True  # written under the decoding constraint (else generate-check-repair)
    attempts: int = 1  # generation calls spent on this poem
    pattern: str | None = None  # e.g. 仄起首句不入韵, when known

    @property
    def ok(self) -> bool:
        """The form holds (always true for constrained poems)."""
        return self.report.ok


def verse_lines(text: str) -> list[str]:
    """The verse lines of a poem, Chinese characters only (punctuation and layout dropped)."""
    lines = ("".join(_HAN.findall(part)) for part in split_lines(text.splitlines()))
    return [line for line in lines if line]


def compose(
    form_name: str | Form,
    backend: Backend,
    *,
    theme: str | None = None,
    title: str | None = None,
    heads: str | None = None,
    n: int = 1,
    seed: int | None = None,
    pattern: str | None = None,
    forbidden_lines: Iterable[str] = (),
    max_attempts: int = 8,
    options: GenerationOptions | None = None,
    **sampling: object,
) -> list[Composed]:
    """`n` poems in the form, each with its `PoemReport`.

    `sampling` overrides fields of `options` (temperature, top_p, ...). `theme` is used as the
    title when no title is given. `max_attempts` bounds the generation calls: per batch of
    constrained poems, per poem when repairing.
    """
    form = get_form(form_name) if isinstance(form_name, str) else form_name
    if form.lang != "zh" or form.checker != "zh-shi":
        raise FabulaError(f"{form.name}: {ENGLISH_NOT_IMPLEMENTED}.")
    if heads:
        heads = "".join(_HAN.findall(heads))
        form = replace(form, params={**form.params, "heads": heads})
    base = GenerationOptions(**{**(options.model_dump() if options else {}), **sampling})
    forbidden = {to_simplified(line) for text in forbidden_lines for line in verse_lines(text)}
    heading = title or theme
    restore = condition_for_form(backend, form, heading)
    try:
        prompt = form_prompt(backend, form, heading, heads, conditioned=restore is not None)
        if backend.supports_constraints:
            return _constrained(
                form, backend, prompt, heads, n, seed, pattern, forbidden, max_attempts, base, heading
            )
        return [
            _repaired(
                form, backend, prompt, heads, _seed(seed, 7919 * k), forbidden, max_attempts, base, heading
            )
            for k in range(n)
        ]
    finally:
        if restore is not None:
            backend.conditioning = restore  # type: ignore[attr-defined]


# -- prompts --------------------------------------------------------------------------------------


def condition_for_form(backend: Backend, form: Form, heading: str | None) -> object | None:
    """Condition a house model on the form (and title) when it knows them; returns what to restore."""
    controls = getattr(backend, "controls", None)
    if not hasattr(backend, "condition") or controls is None or not controls.keys:
        return None
    from fabula.house.prompt import control_token

    previous = backend.conditioning  # type: ignore[attr-defined]
    wanted: dict[str, str] = {}
    if "form" in controls.keys:  # the form's control if the model knows it; never another form's default
        wanted["form"] = form.name if control_token("form", form.name) in controls.tokens else ""
    backend.condition(wanted, title=heading)  # type: ignore[attr-defined]
    return previous


def form_prompt(backend: Backend, form: Form, heading: str | None, heads: str | None, conditioned: bool) -> str:
    if conditioned:
        return ""  # the header is the whole prompt, as in training
    if backend.kind == "openai":  # a chat model: ask
        ask = f"请写一首{form.name}"
        if heading:
            ask += f"，题为《{heading}》"
        if heads:
            ask += f"，藏头“{heads}”（每句第一个字依次是{'、'.join(heads)}）"
        return ask + "。只输出诗句，每联一行，例如：\n白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"
    return f"{form.name}《{heading}》\n" if heading else f"{form.name}\n"


def _options(base: GenerationOptions, **update: object) -> GenerationOptions:
    return GenerationOptions(**{**base.model_dump(), **update})


def _seed(seed: int | None, attempt: int) -> int | None:
    return None if seed is None else seed + attempt


# -- problems a checker does not see --------------------------------------------------------------


def _copied(lines: list[str], forbidden: set[str], taken: set[tuple[str, ...]]) -> list[int]:
    """Lines repeating an earlier line of the poem or a forbidden line; all lines if the poem is taken."""
    bad, seen = [], set()
    for i, line in enumerate(lines):
        key = to_simplified(line)
        if key in seen or key in forbidden:
            bad.append(i)
        seen.add(key)
    if tuple(to_simplified(x) for x in lines) in taken:
        bad = list(range(len(lines)))
    return bad


# -- constrained decoding -------------------------------------------------------------------------


def _constrained(
    form: Form,
    backend: Backend,
    prompt: str,
    heads: str | None,
    n: int,
    seed: int | None,
    pattern: str | None,
    forbidden: set[str],
    max_attempts: int,
    base: GenerationOptions,
    heading: str | None,
) -> list[Composed]:
    length, count = form.params["line_length"], form.params["lines"]
    tokens = count * (length + 1) + count // 2 + 2
    out: list[Composed] = []
    taken: set[tuple[str, ...]] = set()
    attempt = 0
    while len(out) < n and attempt < max_attempts:
        want = n - len(out)
        constraint = ShiConstraint(form, pattern=pattern, heads=heads)
        options = _options(base, n=want, seed=_seed(seed, attempt), max_tokens=tokens, stop=())
        attempt += 1
        for row, done in enumerate(backend.generate(prompt, options, constraint)):
            if done.finish_reason == "context":
                raise FabulaError(
                    f"{backend.spec}'s context is too short for a {form.name} after this prompt; "
                    "use a shorter title."
                )
            lines = verse_lines(done.text)
            text = layout(lines)
            report = check_poem(text, form)
            complete = done.finish_reason == "stop" and constraint.is_complete(row, done.token_ids)
            if not complete or not report.ok:
                raise RuntimeError(  # the constraint guarantees the form: this is a bug, never a result
                    f"constrained {form.name} came out invalid (finish {done.finish_reason}):\n"
                    f"{done.text}\n{report.render()}"
                )
            if _copied(lines, forbidden, taken):
                continue
            taken.add(tuple(to_simplified(x) for x in lines))
            out.append(Composed(text, report, form.name, heading, True, attempt, constraint.pattern_of(row)))
    if len(out) < n:
        raise FabulaError(
            f"Wrote only {len(out)} of {n} {form.name} without repeating a line or copying a forbidden one "
            f"in {max_attempts} attempts; allow more attempts or fewer forbidden lines."
        )
    return out


# -- generate, check, repair ----------------------------------------------------------------------


def _problems(lines: list[str], form: Form, forbidden: set[str]) -> tuple[PoemReport, list[int]]:
    """The report of `lines` and the indices of the lines to resample (missing ones included)."""
    count = form.params["lines"]
    report = check_poem(layout(lines), form)
    bad = {line.index for line in report.lines if line.violations}
    for v in report.violations:
        if v.rule in ("lines", "acrostic"):
            bad |= set(range(len(lines), count))
        else:  # 失粘 / 失对 name two lines: resample the later one
            numbers = [int(x) for x in re.findall(r"lines? (\d+)", v.message)]
            if numbers:
                bad.add(max(numbers) - 1)
    bad |= set(_copied(lines, forbidden, set()))
    if not bad and (not report.ok or len(lines) != count):
        bad = {min(len(lines), count) - 1}
    return report, sorted(bad)


def _repaired(
    form: Form,
    backend: Backend,
    prompt: str,
    heads: str | None,
    seed: int | None,
    forbidden: set[str],
    max_attempts: int,
    base: GenerationOptions,
    heading: str | None,
) -> Composed:
    length, count = form.params["line_length"], form.params["lines"]
    whole = _options(base, n=1, seed=seed, max_tokens=max(base.max_tokens, 8 * count * length))
    [first] = backend.generate(prompt, whole)
    lines = verse_lines(first.text)[:count]
    attempts = 1
    report, bad = _problems(lines, form, forbidden)
    while bad and attempts < max_attempts:
        i = bad[0]
        if i >= len(lines):  # missing: continue the poem from its last line
            i = len(lines)
        # the poem so far in the corpus layout: a half couplet already ends with "，"
        context = layout(lines[:i]) + ("\n" if i and i % 2 == 0 else "")
        head = heads[i] if heads and i < len(heads) else ""
        options = _options(
            base, n=4, seed=_seed(seed, 101 * attempts), max_tokens=4 * length, stop=(COMMA, PERIOD, "\n")
        )
        candidates = backend.generate(prompt + context + head, options)
        attempts += 1
        best: tuple[int, list[str], PoemReport, list[int]] | None = None
        for c in candidates:
            line = (head + "".join(_HAN.findall(c.text)))[:length]
            trial = [*lines[:i], line, *lines[i + 1 :]] if line else list(lines)
            rep, trial_bad = _problems(trial, form, forbidden)
            score = len(trial_bad) + (0 if line and len(line) == length else 1)
            if best is None or score < best[0]:
                best = (score, trial, rep, trial_bad)
        if best is not None and best[0] <= len(bad):  # never trade a line for a worse one
            _, lines, report, bad = best
    return Composed(layout(lines), report, form.name, heading, False, attempts, _pattern_note(report))


def _pattern_note(report: PoemReport) -> str | None:
    for note in report.notes:
        if note.startswith("pattern: "):
            return note[len("pattern: ") :]
    return None
