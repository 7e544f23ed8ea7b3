"""Writing poems in a form: constrained decoding where the backend allows it, repair where not.

    from fabula.backends import resolve
    from fabula.forms.compose import compose
    [poem] = compose("七绝", resolve("house:zh-poetry"), title="春江", heads="春江花月", seed=1)
    print(poem.text); print(poem.report.render())

* Backends that let a `Constraint` mask the next-token distribution (`supports_constraints`: the
  local ones) decode under the form's constraint — `ShiConstraint` for 近体诗, `CiConstraint` for
  词, `VerseConstraint` for English verse — so the form holds by construction; every poem is
  still checked with `check_poem`, and one that fails is a bug (`RuntimeError`), never returned.
* Other backends (OpenAI-compatible servers) generate whole poems, check them, and repair:
  the lines that break a rule are resampled (several candidates each, the one leaving the fewest
  problems kept) until the poem passes or the budget is spent. `Composed.ok` and `.constrained` say
  what was achieved; such a poem may not hold the form.

Either way a poem that repeats one of its own lines, copies a line of `forbidden_lines` (or of the
model's training corpus, through its line index: `fabula.forms.originality`), or duplicates
another alternative is rejected (and resampled).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field, replace

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.forms.catalog import Form, check_poem, get_form
from fabula.forms.plans import Plan, line_key, plan, verse_lines
from fabula.forms.report import PoemReport
from fabula.forms.theme import echoed, theme_echo, theme_units

__all__ = ["Composed", "compose", "condition_for_form", "form_prompt", "verse_lines"]


@dataclass
class Composed:
    """One poem: its text (in the form's layout) and its check."""

    text: str
    report: PoemReport
    form: str
    title: str | None = None
    constrained: bool = True  # written under the decoding constraint (else generate-check-repair)
    attempts: int = 1  # generation calls spent on this poem
    pattern: str | None = None  # e.g. 仄起首句不入韵, when known
    theme: list[str] = field(default_factory=list)  # the theme's words (characters in Chinese)
    echoed: list[str] = field(default_factory=list)  # those the poem uses

    @property
    def ok(self) -> bool:
        """The form holds (always true for constrained poems)."""
        return self.report.ok


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
    lines: int | None = None,
    rhyme_book: str | None = None,
    forbidden_lines: Iterable[str] = (),
    corpus_index: Container[str] | None = None,
    theme_weight: float = 2.0,
    max_attempts: int = 8,
    options: GenerationOptions | None = None,
    **sampling: object,
) -> list[Composed]:
    """`n` poems in the form, each with its `PoemReport`.

    `theme` is used as the title when no title is given, and its words are echoed: while a poem
    has not used one, its tokens get `theme_weight` added to their logits (constrained decoding
    only). `pattern` picks a 近体诗 pattern or a 词牌 template; `lines` sizes forms without a
    fixed length (quatrains, couplets, free verse); `rhyme_book` "xinyun" writes 近体诗 to 中华新韵
    instead of 平水韵. `corpus_index` (default: the model's line index
    of its training corpus, when it ships one) and `forbidden_lines` name lines a poem must not
    copy. `sampling` overrides fields of `options` (temperature, top_p, ...). `max_attempts` bounds
    the generation calls: per batch of constrained poems, per poem when repairing.
    """
    form = get_form(form_name) if isinstance(form_name, str) else form_name
    if heads:
        heads = "".join(re.findall(r"\w", heads))
        form = replace(form, params={**form.params, "heads": heads})
    if rhyme_book:
        from fabula.forms.chinese.lexicon import BOOKS

        if rhyme_book not in BOOKS:
            raise FabulaError(f"Rhyme book {rhyme_book!r}: choose {' or '.join(BOOKS)} ({', '.join(BOOKS.values())}).")
        if form.checker != "zh-shi":
            raise FabulaError(f"A rhyme book applies to 近体诗 (五绝 七绝 五律 七律), not {form.name}.")
        form = replace(form, params={**form.params, "rhyme_book": rhyme_book})
    how = plan(form, pattern, heads, lines)
    base = GenerationOptions(**{**(options.model_dump() if options else {}), **sampling})
    forbidden = _Forbidden({line_key(x) for text in forbidden_lines for x in how.lines_of(text)}, corpus_index)
    if corpus_index is None:
        from fabula.forms.originality import index_for

        forbidden.index = index_for(backend)
    heading = title or theme
    units = theme_units(theme or "", chinese=how.chinese)
    restore = condition_for_form(backend, form, heading)
    try:
        prompt = form_prompt(backend, form, heading, heads, conditioned=restore is not None)
        if backend.supports_constraints:
            poems = _constrained(how, backend, prompt, n, seed, forbidden, max_attempts, base, heading, units,
                                 theme_weight)
        else:
            poems = [
                _repaired(how, backend, prompt, heads, _seed(seed, 7919 * k), forbidden, max_attempts, base, heading)
                for k in range(n)
            ]
    finally:
        if restore is not None:
            backend.conditioning = restore  # type: ignore[attr-defined]
    for poem in poems:
        poem.theme = units
        poem.echoed = echoed(how.lines_of(poem.text), units)
        if units:
            poem.report.notes.append(f"theme: {' '.join(poem.echoed) or 'none'} of {' '.join(units)} echoed")
    return poems


# -- prompts --------------------------------------------------------------------------------------


def form_controls(form: Form) -> dict[str, str]:
    """The control values a house model is conditioned on for a form (unknown ones are dropped)."""
    if form.checker == "zh-ci":
        return {"form": "词", "tune": form.name}
    if form.lang == "en":
        return {"form": "sonnet" if "sonnet" in form.name else "poem"}
    return {"form": form.name}


def condition_for_form(backend: Backend, form: Form, heading: str | None) -> object | None:
    """Condition a house model on the form (and title) when it knows them; returns what to restore."""
    controls = getattr(backend, "controls", None)
    if not hasattr(backend, "condition") or controls is None or not controls.keys:
        return None
    from fabula.house.prompt import control_token

    previous = backend.conditioning  # type: ignore[attr-defined]
    wanted: dict[str, str] = {}
    for key, value in form_controls(form).items():
        if key in controls.keys:  # the form's control if the model knows it; never another form's default
            wanted[key] = value if control_token(key, value) in controls.tokens else ""
    backend.condition(wanted, title=heading)  # type: ignore[attr-defined]
    return previous


def form_prompt(backend: Backend, form: Form, heading: str | None, heads: str | None, conditioned: bool) -> str:
    if conditioned:
        return ""  # the header is the whole prompt, as in training
    if backend.kind == "openai":  # a chat model: ask
        return _ask_zh(form, heading, heads) if form.lang == "zh" else _ask_en(form, heading, heads)
    if form.lang == "zh":
        return f"{form.name}《{heading}》\n" if heading else f"{form.name}\n"
    return f"{heading or form.name.capitalize()}\n\n"  # a title line; a plain model needs some prompt


def _ask_zh(form: Form, heading: str | None, heads: str | None) -> str:
    ask = f"请写一首{form.name}"
    if heading:
        ask += f"，题为《{heading}》"
    if heads:
        ask += f"，藏头“{heads}”（每句第一个字依次是{'、'.join(heads)}）"
    if form.checker == "zh-ci":
        return ask + "。只输出词的正文，每片一行，句间用逗号或句号。\n"
    return ask + "。只输出诗句，每联一行，例如：\n白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"


def _ask_en(form: Form, heading: str | None, heads: str | None) -> str:
    ask = f"Write a {form.name}"
    if heading:
        ask += f" titled \"{heading}\""
    if heads:
        ask += f", an acrostic whose lines start with the letters {', '.join(heads.upper())} in order"
    return ask + f". The form: {form.description} Output only the poem, one verse line per line.\n"


def _options(base: GenerationOptions, **update: object) -> GenerationOptions:
    return GenerationOptions(**{**base.model_dump(), **update})


def _seed(seed: int | None, attempt: int) -> int | None:
    return None if seed is None else seed + attempt


# -- problems a checker does not see --------------------------------------------------------------


@dataclass
class _Forbidden:
    """Lines a poem may not copy: the caller's, and the training corpus's line index."""

    lines: set[str]
    index: Container[str] | None = None

    def __contains__(self, key: str) -> bool:
        return key in self.lines or (self.index is not None and key in self.index)


def _copied(
    lines: list[str], forbidden: _Forbidden, taken: set[tuple[str, ...]], repeats: frozenset[int] = frozenset()
) -> list[int]:
    """Lines repeating an earlier line of the poem or a forbidden line; all lines if the poem is taken.

    `repeats` are the refrains: lines the form repeats on purpose, checked where they first appear.
    """
    bad, seen = [], set()
    keys = [line_key(line) for line in lines]
    for i, key in enumerate(keys):
        if i in repeats:
            continue
        if key in seen or key in forbidden:
            bad.append(i)
        seen.add(key)
    if tuple(keys) in taken:
        bad = list(range(len(lines)))
    return bad


# -- constrained decoding -------------------------------------------------------------------------


def _constrained(
    how: Plan,
    backend: Backend,
    prompt: str,
    n: int,
    seed: int | None,
    forbidden: _Forbidden,
    max_attempts: int,
    base: GenerationOptions,
    heading: str | None,
    units: list[str],
    theme_weight: float,
) -> list[Composed]:
    form = how.form
    out: list[Composed] = []
    taken: set[tuple[str, ...]] = set()
    attempt = 0
    while len(out) < n and attempt < max_attempts:
        want = n - len(out)
        constraint = how.constraint()
        decoding = theme_echo(constraint, units, theme_weight) if units and theme_weight else constraint
        options = _options(base, n=want, seed=_seed(seed, attempt), max_tokens=how.budget, stop=())
        attempt += 1
        for row, done in enumerate(backend.generate(prompt, options, decoding)):
            if done.finish_reason == "context":
                raise FabulaError(
                    f"{backend.spec}'s context is too short for a {form.name} after this prompt; "
                    "use a shorter title."
                )
            lines = how.lines_of(done.text)
            text = how.layout(lines)
            report = check_poem(text, form)
            complete = done.finish_reason == "stop" and constraint.is_complete(row, done.token_ids)
            if not complete or not report.ok:
                raise RuntimeError(  # the constraint guarantees the form: this is a bug, never a result
                    f"constrained {form.name} came out invalid (finish {done.finish_reason}):\n"
                    f"{done.text}\n{report.render()}"
                )
            if _copied(lines, forbidden, taken, how.repeats):
                continue
            taken.add(tuple(line_key(x) for x in lines))
            pattern = getattr(constraint, "pattern_of", lambda _: None)(row) or _pattern_note(report)
            out.append(Composed(text, report, form.name, heading, True, attempt, pattern))
    if len(out) < n:
        raise FabulaError(
            f"Wrote only {len(out)} of {n} {form.name} without repeating a line or copying a forbidden "
            f"or training-corpus line in {max_attempts} attempts; allow more attempts or fewer forbidden lines."
        )
    return out


# -- generate, check, repair ----------------------------------------------------------------------


def _problems(lines: list[str], how: Plan, forbidden: _Forbidden) -> tuple[PoemReport, list[int]]:
    """The report of `lines` and the indices of the lines to resample (missing ones included)."""
    report = check_poem(how.layout(lines), how.form)
    bad = {line.index for line in report.lines if line.violations}
    for v in report.violations:
        if v.rule in ("lines", "acrostic"):
            bad |= set(range(len(lines), how.count))
        else:  # 失粘 / 失对 / refrains name lines: resample the later one
            numbers = [int(x) for x in re.findall(r"lines? (\d+)", v.message)]
            if numbers:
                bad.add(max(numbers) - 1)
    bad |= set(_copied(lines, forbidden, set(), how.repeats))
    if not bad and (not report.ok or len(lines) != how.count):
        bad = {min(len(lines), how.count) - 1}
    return report, sorted(b for b in bad if b < how.count)


def _candidate_line(how: Plan, i: int, head: str, text: str) -> str:
    if how.lengths is None:
        first = text.strip().splitlines()
        return first[0].strip() if first else ""
    return (head + "".join(verse_lines(text)))[: how.lengths[i]]


def _repaired(
    how: Plan,
    backend: Backend,
    prompt: str,
    heads: str | None,
    seed: int | None,
    forbidden: _Forbidden,
    max_attempts: int,
    base: GenerationOptions,
    heading: str | None,
) -> Composed:
    whole = _options(base, n=1, seed=seed, max_tokens=max(base.max_tokens, 2 * how.budget))
    [first] = backend.generate(prompt, whole)
    lines = how.lines_of(first.text)[: how.count]
    attempts = 1
    report, bad = _problems(lines, how, forbidden)
    per_line = 3 * max(how.lengths or [12]) + 8
    while bad and attempts < max_attempts:
        i = min(bad[0], len(lines))  # a missing line: continue the poem from its last line
        head = heads[i] if heads and how.chinese and i < len(heads) else ""
        options = _options(base, n=4, seed=_seed(seed, 101 * attempts), max_tokens=per_line, stop=how.stops)
        candidates = backend.generate(prompt + how.context(lines[:i]) + head, options)
        attempts += 1
        best: tuple[int, list[str], PoemReport, list[int]] | None = None
        for c in candidates:
            line = _candidate_line(how, i, head, c.text)
            trial = [*lines[:i], line, *lines[i + 1 :]] if line else list(lines)
            rep, trial_bad = _problems(trial, how, forbidden)
            short = how.lengths is not None and len(line) != how.lengths[i]
            score = len(trial_bad) + (1 if not line or short else 0)
            if best is None or score < best[0]:
                best = (score, trial, rep, trial_bad)
        if best is not None and best[0] <= len(bad):  # never trade a line for a worse one
            _, lines, report, bad = best
    return Composed(how.layout(lines), report, how.form.name, heading, False, attempts, _pattern_note(report))


def _pattern_note(report: PoemReport) -> str | None:
    for note in report.notes:
        for prefix in ("pattern: ", "template: "):
            if note.startswith(prefix):
                return note[len(prefix) :]
    return None
