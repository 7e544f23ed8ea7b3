"""The `zh-shi` checker: classical Chinese regulated verse (近体诗: 绝句 and 律诗).

What is checked, line by line and for the whole poem (rule names in brackets):

* [lines] the number of verse lines. Lines may be typed one verse line per text line or a
  couplet per text line: each text line is split at ，。？！；：、 (and ASCII ,.?!;:).
* [length] the number of Chinese characters in each line (punctuation and other characters
  are not counted).
* [tone] 平仄 against the best-matching of the form's four patterns (平起/仄起 × 首句入韵 or
  not; `templates` in the form's data). The data gives the first couplet; the rest is derived
  by 粘对 (see chinese-shi.toml). Positions marked 中 are free ("一三五不论"), except for:
* [gu-ping] 孤平. 王力《诗词格律》(第一章 第四节 "孤平"): "在五言'平平仄仄平'这个句型中，第一字必须用平声；
  如果用了仄声字，就是犯了孤平……因为除了韵脚之外，只剩一个平声字了。七言是五言的扩展，所以在七言
  '仄仄平平仄仄平'这个句型中，第三字如果用了仄声，也是犯孤平。" So: in a line of the 平平仄仄平 type
  (template ending 仄平), excluding the rhyme character, at most one 平 among positions 1-4 of
  a 五言 line / positions 3-6 of a 七言 line. (仄平平仄平, the usual 拗救 of it, is not 孤平.)
  A line matching an accepted variant of its template (`variants` in the data: 特拗
  平平仄平仄 for 平平平仄仄, 仄仄平平仄平仄 for 仄仄平平平仄仄) passes, with a note.
* [san-ping-wei] 三平尾: a line whose last three characters are all 平.
* [rhyme] even lines (and line 1 when the pattern is 首句入韵) end in 平声 characters of one
  平水韵 group; line 1 may borrow a neighbouring group (首句借邻韵, `neighbour_rhymes`), noted.
* [nian] / [dui] 粘 and 对, judged at the 2nd character of each line: the two lines of a couplet
  are opposite there (对); the first line of a couplet matches the line before it (粘).

多音字: a position accepts a character if ANY of its 平水韵 readings fits, and the line's
notes say so. Characters missing from the table are noted and never fail a tone check.
藏头 (acrostic): with `heads` in the params (as the en-verse checker reads it), e.g.
`check(dataclasses.replace(form, params={**form.params, "heads": "春夏秋冬"}), lines)`, line i must
start with the i-th character of `heads` (Simplified and Traditional compared alike) [acrostic].

* [duizhang] 对仗 of the 颔联 and 颈联 of a 律诗 (`duizhang_couplets` in the data), scored by
  `fabula.forms.chinese.duizhang`: a violation when the params say `duizhang = true`, else a
  "warning:" note (measured on 唐诗三百首; see docs/poetry.md, "对仗").

Rhyme book: `rhyme_book` in the params, "pingshui" (平水韵, the default) or "xinyun" (中华新韵,
modern Mandarin tones and 14 部: `fabula.forms.chinese.xinyun`), for both 平仄 and rhyme; the first
note of the report names it. `fabula poem check --rhymes xinyun` sets it.

Not handled: other 拗救 (e.g. 仄仄仄平仄 rescued by the next line), 重字 outside the 对仗 couplets,
入声韵 绝句.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from fabula.errors import FabulaError
from fabula.forms.catalog import Form
from fabula.forms.chinese.lexicon import PING, PINGSHUI, ZE, Lookup, book_name, lookup_line, to_simplified
from fabula.forms.report import LineReport, PoemReport, Violation

__all__ = ["check", "derive", "full_templates", "split_lines"]

_BREAK = re.compile(r"[，。？！；：、,.?!;:]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
FREE = "中"
UNKNOWN = "？"


def split_lines(lines: list[str]) -> list[str]:
    """Verse lines: blank lines dropped, each text line split at sentence punctuation."""
    out = []
    for line in lines:
        for part in _BREAK.split(line):
            part = part.strip()
            if part:
                out.append(part)
    return out


def _opposite(tone: str) -> str:
    return ZE if tone == PING else PING


def derive(first_couplet: list[str], count: int, library: dict[tuple[str, str], str]) -> list[str]:
    """A full poem's templates from its first couplet by 粘对, keyed (2nd-character tone, final tone)."""
    out = list(first_couplet[:count])
    while len(out) < count:
        prev = out[-1]
        if len(out) % 2:  # 2nd line of a couplet: 对 — opposite 2nd character, rhymed (平) ending
            key = (_opposite(prev[1]), PING)
        else:  # 1st line of the next couplet: 粘 — same 2nd character, unrhymed (仄) ending
            key = (prev[1], ZE)
        out.append(library[key])
    return out


def _library(templates: dict[str, list[str]]) -> dict[tuple[str, str], str]:
    lib: dict[tuple[str, str], str] = {}
    for couplet in templates.values():
        for t in couplet:
            lib.setdefault((t[1], t[-1]), t)
    return lib


def full_templates(form: Form) -> dict[str, list[str]]:
    """Every pattern of a `zh-shi` form with its per-line templates for the whole poem (by 粘对),
    e.g. {"仄起首句不入韵": ["中仄中平仄", "中平中仄平", "中平中仄仄", "中仄中平平"], ...}."""
    p = form.params
    templates: dict[str, list[str]] = dict(p["templates"])
    library = _library(templates)
    return {name: derive(couplet, p["lines"], library) for name, couplet in templates.items()}


def _fits(lk: Lookup, tone: str) -> bool:
    return not lk.known or tone in lk.tones


def _tone_misses(looks: list[Lookup], template: str) -> list[int]:
    return [i for i, (lk, t) in enumerate(zip(looks, template)) if t != FREE and not _fits(lk, t)]


def _line_misses(looks: list[Lookup], template: str, variants: list[dict]) -> tuple[list[int], str | None]:
    """Positions breaking the template, or none if an accepted variant of it (e.g. 特拗) fits."""
    misses = _tone_misses(looks, template)
    if misses:
        for v in variants:
            if v["line"] == template and not _tone_misses(looks, v["pattern"]):
                return [], v["name"]
    return misses, None


def _found(looks: list[Lookup], template: str) -> str:
    """The 平仄 found: ？ for an unknown character; for a 多音字 the template's tone (中 where free)."""
    out = []
    for lk, t in zip(looks, template.ljust(len(looks), FREE)):
        if not lk.known:
            out.append(UNKNOWN)
        elif len(lk.tones) == 1:
            out.append(next(iter(lk.tones)))
        else:
            out.append(t)  # the wanted tone, or 中 at a free position
    return "".join(out)


def _tones(lk: Lookup) -> str:
    return "/".join(sorted(lk.tones))


def _ping_groups(lk: Lookup) -> list[str]:
    return list(dict.fromkeys(r.group for r in lk.readings if r.tone == PING))


def check(form: Form, lines: list[str]) -> PoemReport:
    p = form.params
    n_chars: int = p["line_length"]
    n_lines: int = p["lines"]
    templates: dict[str, list[str]] = dict(p["templates"])
    library = _library(templates)
    book: str = p.get("rhyme_book", PINGSHUI)
    try:
        book_title = book_name(book)
    except ValueError as exc:
        raise FabulaError(f"{form.name}: {exc}") from exc
    # neighbour_rhymes name 平水韵 groups: no 首句借邻韵 under another book
    neighbours = [set(g) for g in p.get("neighbour_rhymes", [])] if book == PINGSHUI else []
    variants: list[dict] = list(p.get("variants", []))

    verse = split_lines(lines)
    report = PoemReport(form=form.name, lines=[], notes=[f"rhyme book: {book_title}"])
    if len(verse) != n_lines:
        report.violations.append(Violation("lines", f"{len(verse)} lines; a {form.name} has {n_lines}."))

    texts = ["".join(_HAN.findall(v)) for v in verse]
    looks = [lookup_line(t, book=book) for t in texts]
    for i, (v, t) in enumerate(zip(verse, texts)):
        line = LineReport(index=i, text=v, units=len(t), expected_units=n_chars)
        if len(t) != n_chars:
            line.violations.append(Violation("length", f"{len(t)} characters; each line has {n_chars}."))
        other = "".join(ch for ch in v if not _HAN.match(ch) and not ch.isspace())
        if other:
            line.notes.append(f"not counted (not Chinese characters): {other}")
        report.lines.append(line)
    heads = [ch for ch in p.get("heads", "") if _HAN.match(ch)]
    if heads:
        for line, text, want in zip(report.lines, texts, heads, strict=False):
            if to_simplified(text[:1]) != to_simplified(want):
                line.violations.append(Violation("acrostic", f"藏头: the line should start with {want}.", 0))
        if len(heads) != len(verse):
            report.violations.append(
                Violation(
                    "acrostic", f"藏头 {''.join(heads)} has {len(heads)} characters for {len(verse)} lines."
                )
            )
    if not verse:
        return report

    # The pattern with the fewest 平仄 misses over the lines of the right length.
    count = max(len(verse), 2)
    best_name, best, best_score = "", [], None
    for name, couplet in templates.items():
        full = derive(couplet, count, library)
        # a line of the wrong length still counts by its last character (rhymed or not)
        score = sum(
            len(_line_misses(lk, tp, variants)[0])
            if len(lk) == n_chars
            else int(bool(lk) and not _fits(lk[-1], tp[-1]))
            for lk, tp in zip(looks, full)
        )
        # ties go to the pattern under which line 1 rhymes (or not) with line 2
        if full[0][-1] == PING and len(looks) > 1 and looks[0] and looks[1]:
            g1, g2 = set(_ping_groups(looks[0][-1])), set(_ping_groups(looks[1][-1]))
            if g1 and g2 and not g1 & g2 and not any(s & g1 and s & g2 for s in neighbours):
                score += 0.5
        if best_score is None or score < best_score:
            best_name, best, best_score = name, full, score
    report.notes.append(f"pattern: {best_name}")
    first_rhymes = "首句入韵" in best_name or (best[0][-1] == PING)

    # 平仄, 孤平, 三平尾 per line.
    for line, lk, tp in zip(report.lines, looks, best):
        if len(lk) != n_chars:
            line.notes.append("平仄 not checked: wrong number of characters")
            line.pattern = "".join(
                UNKNOWN if not x.known else (next(iter(x.tones)) if len(x.tones) == 1 else FREE) for x in lk
            )
            continue
        line.expected = tp
        line.pattern = _found(lk, tp)
        misses, variant = _line_misses(lk, tp, variants)
        if variant:
            line.notes.append(f"{variant}: an accepted variant of {tp}")
        for i in misses:
            line.violations.append(
                Violation(
                    "tone",
                    f"{lk[i].char} is {'/'.join(sorted(lk[i].tones))}; position {i + 1} should be {tp[i]}.",
                    i,
                )
            )
        for i, (x, t) in enumerate(zip(lk, tp)):
            if not x.known:
                line.notes.append(
                    f"{x.char}: not in the {book_title} table; tone not checked at position {i + 1}"
                )
            elif x.polyphonic and (t != FREE or i == n_chars - 1):  # free positions need no note
                line.notes.append(f"多音字 {x.describe()}" + (f"; accepted as {t}" if t != FREE else ""))
        if tp.endswith(ZE + PING):  # the 平平仄仄平 / 仄仄平平仄仄平 line type
            span = range(4) if n_chars == 5 else range(2, 6)
            pings = [i for i in span if _fits(lk[i], PING)]
            if len(pings) <= 1:
                at = next((i for i in span if tp[i] == FREE and not _fits(lk[i], PING)), None)
                line.violations.append(
                    Violation(
                        "gu-ping",
                        f"孤平: besides the rhyme only {len(pings)} 平 "
                        f"in positions {span.start + 1}-{span.stop}.",
                        at,
                    )
                )
        tail = lk[-3:]
        if all(x.known and x.tones == {PING} for x in tail):
            line.violations.append(
                Violation("san-ping-wei", "三平尾: the last three characters are all 平.", n_chars - 3)
            )

    # Rhyme: one 平水韵 group over the even lines (and line 1 when it rhymes).
    finals = [lk[-1] if lk else None for lk in looks]
    votes: Counter[str] = Counter()
    for i in range(1, len(verse), 2):
        if finals[i] is not None:
            votes.update(set(_ping_groups(finals[i])))
    group = None
    if votes:
        top = max(votes.values())
        tied = [g for g in votes if votes[g] == top]
        first = set(_ping_groups(finals[0])) if finals[0] is not None else set()
        group = next((g for g in tied if g in first), tied[0])
    for i, (line, fin) in enumerate(zip(report.lines, finals)):
        if fin is None:
            continue
        groups = [r.group for r in fin.readings]
        line.rhyme = group if group in groups else (groups[0] if groups else None)
        rhymed = i % 2 == 1 or (i == 0 and first_rhymes)
        if not rhymed:
            continue
        if not fin.known:
            line.notes.append(f"rhyme not checked: {fin.char} is not in the {book_title} table")
            continue
        pg = _ping_groups(fin)
        if not pg:
            line.violations.append(
                Violation("rhyme", f"{fin.describe()}: a rhyme must be 平声.", len(texts[i]) - 1)
            )
        elif group and group not in pg:
            near = [g for g in pg if any(group in s and g in s for s in neighbours)]
            if i == 0 and near:
                line.notes.append(f"首句借邻韵: {fin.char} is {near[0]}, next to {group}")
            else:
                line.violations.append(
                    Violation(
                        "rhyme",
                        f"{fin.char} rhymes in {'/'.join(pg)}, not {group} like the other rhyme lines.",
                        len(texts[i]) - 1,
                    )
                )
    if group:
        report.notes.append(f"rhyme group: {group}")

    # 粘 and 对 at the 2nd character of each line.
    second = [lk[1] if len(lk) > 1 else None for lk in looks]
    for i in range(1, len(verse)):
        a, b = second[i - 1], second[i]
        if a is None or b is None or not a.known or not b.known:
            continue
        if i % 2:  # inside a couplet: 对
            if not any(_opposite(t) in b.tones for t in a.tones):
                report.violations.append(
                    Violation(
                        "dui",
                        f"失对: lines {i} and {i + 1} both have {_tones(a)} at the 2nd character.",
                    )
                )
        elif not (a.tones & b.tones):
            report.violations.append(
                Violation(
                    "nian",
                    f"失粘: line {i + 1} has {_tones(b)} at the 2nd character, line {i} {_tones(a)}.",
                )
            )
    _check_duizhang(p, report, texts, n_chars)
    return report


COUPLET_NAMES = {1: "首联", 2: "颔联", 3: "颈联", 4: "尾联"}


def _check_duizhang(p: Mapping[str, Any], report: PoemReport, texts: list[str], n_chars: int) -> None:
    """[duizhang] 对仗 of the couplets in `duizhang_couplets` (1-based; 律诗: 2 and 3, 颔联 and 颈联).

    A couplet whose class-match score is under `duizhang_threshold` (default 0.6), or that repeats a
    character at the same position, is a violation when the params say `duizhang = true`, and a
    "warning:" note otherwise (the default: the scorer is a heuristic, see docs/poetry.md).
    """
    couplets = p.get("duizhang_couplets", [2, 3] if p["lines"] == 8 else [])
    if not couplets:
        return
    strict = bool(p.get("duizhang", False))
    threshold = float(p.get("duizhang_threshold", 0.6))
    from fabula.forms.chinese import duizhang

    for k in couplets:
        a, b = 2 * k - 2, 2 * k - 1
        if b >= len(texts) or len(texts[a]) != n_chars or len(texts[b]) != n_chars:
            continue
        try:
            c = duizhang.score(texts[a], texts[b])
        except ModuleNotFoundError as exc:  # jieba missing: say so rather than fail the check
            report.notes.append(f"对仗 not checked: {exc.name} is not installed")
            return
        name = f"{COUPLET_NAMES.get(k, f'couplet {k}')} (lines {a + 1}-{b + 1})"
        line = report.lines[b]
        for i in c.mismatched:
            line.notes.append(f"对仗 {COUPLET_NAMES.get(k, '')}: position {c.describe(i)} differ in class")
        problems = []
        if not c.parallel(threshold):
            differ = ", ".join(c.describe(i) for i in c.mismatched)
            message = f"对仗 {name}: class match {c.score:.2f} < {threshold:.2f}"
            if differ:
                message += f"; differing: {differ}"
            problems.append((c.mismatched[0] if c.mismatched else None, message))
        for i in c.repeated:
            repeated = f"{texts[a][i]} at position {i + 1} of both lines (合掌-like repetition)"
            problems.append((i, f"对仗 {name}: {repeated}"))
        for position, message in problems:
            if strict:
                line.violations.append(Violation("duizhang", message + ".", position))
            else:
                report.notes.append(f"warning: {message}")
        if not problems:
            report.notes.append(f"对仗 {name}: class match {c.score:.2f} (≥ {threshold:.2f})")
