"""The `en-verse` checker: syllables, metre, stress counts, rhyme scheme, refrains, acrostics.

A form's `[form.params]` (all optional; see `fabula/forms/data/english.toml`):

    lines = 14                      # verse lines expected (blank lines are stanza breaks, not lines)
    stanzas = [3, 3, 3, 3, 3, 4]    # stanza sizes, checked only when the poem has blank lines
    syllables = 10 | [5, 7, 5] | [[8, 11], [8, 11], [5, 7], [5, 7], [8, 11]]
                                    # one count or range for every line, or one per line
    stresses = [3, 3, 2, 2, 3]      # stressed syllables per line (loose metres such as the limerick)
    metre = "iambic"                # foot: iambic x/, trochaic /x, anapestic xx/, dactylic /xx
    feet = 5                        # with `metre`: the line is that many feet (sets `syllables`)
    substitutions = ["initial-inversion", "caesura-inversion", "feminine-ending"]
    rhyme = "ABAB CDCD EFEF GG"     # or a list of alternatives; a letter used once is unrhymed
    repeat = true                   # the scheme repeats with fresh rhymes (poems of quatrains)
    slant_rhyme = false             # accept a rhyme on the last syllable only (see _weak_rhyme)
    allow_identical_rhyme = false   # a word may rhyme with itself (Lear's limericks do)
    refrains = [[1, 6, 12, 18], [3, 9, 15, 19]]   # 1-based lines that must repeat the first
    heads = "LOVE"                  # acrostic: verse lines start with these letters

Line numbers (`LineReport.index`) count verse lines only, from 0; blank lines are not lines.

Metre. Each syllable is classed from its word's CMU stresses: the primary stress of a word of two
or more syllables is *stressed*, its unstressed (0) syllables are *unstressed*; monosyllables,
secondary (2) stresses, the stresses of a word with more than one (stress shift in compounds:
"SOMEtime" / "someTIME", "THEREBY" / "thereBY"), and words the dictionary lacks are *ambiguous*
and fit any position (so "the" may sit on a beat and "love" off it). A hyphenated word the
dictionary lacks is scanned part by part ("self-love" is two monosyllables). The template for
iambic pentameter is `x/x/x/x/x/`.
A violation (rule `metre`, at its syllable position) is a stressed syllable in an `x` (off-beat)
position. An unstressed syllable on a beat is allowed (promotion: "tem-per-ATE", "MEM-o-RY").
Allowed substitutions, each named in the form's `substitutions`:

- `initial-inversion`: the first foot may be a trochee (`/x`): "MAK-ing a FAM-ine ...";
- `caesura-inversion`: so may a foot that starts a new phrase after punctuation mid-line;
- `feminine-ending`: one extra unstressed syllable at the end (11 syllables): "... be-TRAY-ing".

In metrical forms "the" before a vowel may also count as no syllable (synalepha: "th'expense").
Nothing else is accepted (no headless lines, no anapestic substitution, no spondee on a
polysyllable). A word with several readings (CMU variants, elisions, see `lexicon`) passes when
any reading fits; the reading chosen is the one that best fits the count, then the metre, and
the line's notes say which. `LineReport.pattern` shows the chosen scansion as digits: a
polysyllable's CMU digits (0/1/2), and for an ambiguous monosyllable the value its position
asks for (so a line that fits reads `0101010101`).

Stress counts (`stresses`, for the limerick): stressed are the primary stresses of polysyllables
and content monosyllables (not in `lexicon.FUNCTION_WORDS`). A run of adjacent stresses may lose
one in two ("TWO OWLS and a HEN" counts 2 or 3), and a function word between two unstressed
syllables may gain one; the line passes if the expected count lies in that range.

Rhyme. A line's rhyme is the CMU rhyming part of its last word (last stressed vowel to the end,
stress digits ignored); lines sharing a letter must share one of their words' rhyming parts. The
part most lines of a group share is taken as the group's rhyme, and the others fail (rule
`rhyme`). The same word rhyming with itself fails unless both lines are one refrain or the form
sets `allow_identical_rhyme`; homophones ("there"/"their") are accepted. With `slant_rhyme` a
weak rhyme on the last syllable alone is accepted and noted: the same vowel and coda
("husbandry" / "posterity"), or the same coda after a vowel CMU reduces to AH0 / IH0 where verse
promotes it ("temperate" / "date"). "memory" / "die" and "field" / "held" still fail. Unknown
words rhyme by spelling only. A last word "it", "him", "them" or "us" may also rhyme together
with the word before it ("enjoys it" / "destroys it"). `LineReport.rhyme` is the scheme letter and
the rhyming part ("A EY"); the part most lines share wins, the earliest line's among equals.

Acrostics work over any form: pass `heads` in the params, e.g.
`check(dataclasses.replace(form, params={**form.params, "heads": "LOVE"}), lines)`, or call
`check_acrostic(lines, "LOVE")` for the violations alone (rule `acrostic`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

from fabula.forms.catalog import Form
from fabula.forms.english.lexicon import FUNCTION_WORDS, Reading, lookup, tokenize
from fabula.forms.report import LineReport, PoemReport, Violation

__all__ = ["check", "check_acrostic", "verse_lines"]

FEET = {"iambic": "x/", "trochaic": "/x", "anapestic": "xx/", "dactylic": "/xx"}
ENCLITICS = frozenset(["it", "him", "them", "us"])  # unstressed last words of feminine rhymes
VOWEL_START = re.compile(r"^[AEIOU][A-Z]*[012]")
CAESURA = re.compile(r"[,;:.!?\u2014\u2013()]|--")
MAX_COMBINATIONS = 1024


def verse_lines(lines: list[str]) -> tuple[list[str], list[int]]:
    """Verse lines (blank ones dropped) and stanza sizes."""
    verses: list[str] = []
    stanzas: list[int] = []
    size = 0
    for raw in lines:
        line = raw.strip()
        if line:
            verses.append(line)
            size += 1
        elif size:
            stanzas.append(size)
            size = 0
    if size:
        stanzas.append(size)
    return verses, stanzas


def check_acrostic(lines: list[str], heads: str) -> list[Violation]:
    """Violations (rule `acrostic`) where verse lines do not start with the letters of `heads`
    (letters only, case-insensitive; blank lines are skipped; the first letter of a line counts,
    so a leading quotation mark is ignored). Also a violation when the counts differ."""
    letters = [c for c in heads if c.isalpha()]
    verses, _ = verse_lines(lines)
    out: list[Violation] = []
    for i, (line, want) in enumerate(zip(verses, letters, strict=False)):
        first = next((c for c in line if c.isalpha()), "")
        if first.casefold() != want.casefold():
            out.append(
                Violation(
                    "acrostic",
                    f"line {i + 1} starts with {first or 'no letter'!r}, the acrostic wants {want!r}.",
                )
            )
    if len(letters) != len(verses):
        out.append(
            Violation(
                "acrostic",
                f"the acrostic {''.join(letters)!r} has {len(letters)} letters for {len(verses)} lines.",
            )
        )
    return out


# --- per-line analysis -------------------------------------------------------------------------


@dataclass
class _Syl:
    kind: str  # "S" stressed, "U" unstressed, "A" ambiguous
    digit: str  # CMU digit or "?"
    word: int  # index of the word
    content: bool  # a content monosyllable (for stress counts)
    phrase_start: bool  # first syllable of a word that follows punctuation


def _syllables(words: list[tuple[str, str]], choice: tuple[Reading, ...]) -> list[_Syl]:
    out: list[_Syl] = []
    for w, ((word, _), r) in enumerate(zip(words, choice, strict=True)):
        after_pause = w > 0 and bool(CAESURA.search(words[w - 1][1]))
        for k, d in enumerate(r.stresses):
            if r.syllables == 1 or d in "2?" or sum(c in "12" for c in r.stresses) > 1:
                kind = "A"
            else:
                kind = "S" if d == "1" else "U"
            if r.source == "estimated" and r.syllables > 1:
                kind = "A"
            content = (
                r.syllables == 1
                and word.lower().strip("'") not in FUNCTION_WORDS
                and word.lower() not in FUNCTION_WORDS
            )
            if r.source == "estimated" and r.syllables > 1:
                content = k == 0
            out.append(_Syl(kind, d, w, content, after_pause and k == 0))
    return out


def _allowed(spec, i: int) -> tuple[int, int] | None:
    """(lo, hi) syllables for line i from a `syllables` param, or None."""
    if spec is None:
        return None
    if isinstance(spec, list):
        if i >= len(spec):
            return None
        spec = spec[i]
    if isinstance(spec, list):
        return int(spec[0]), int(spec[1])
    return int(spec), int(spec)


def _metre(syls: list[_Syl], foot: str, feet: int, subs: set[str]) -> tuple[list[int], str, str, list[str]]:
    """(violating positions, scansion digits, template, notes) for a line against `feet` feet."""
    template = foot * feet
    n = len(syls)
    notes: list[str] = []
    if n == len(template) + 1 and "feminine-ending" in subs and template.endswith("/"):
        template += "x"
        notes.append("feminine ending")
    if n != len(template):
        return [], "".join(s.digit for s in syls), template, notes
    bad: list[int] = []
    strong = [c == "/" for c in template]
    if foot == "x/":
        for k in range(feet):
            a, b = 2 * k, 2 * k + 1
            may_invert = (k == 0 and "initial-inversion" in subs) or (
                k > 0 and "caesura-inversion" in subs and syls[a].phrase_start
            )
            if syls[a].kind == "S" and syls[b].kind != "S" and may_invert:
                strong[a], strong[b] = True, False
                notes.append(
                    "initial trochaic inversion"
                    if k == 0
                    else f"trochaic inversion after a pause (foot {k + 1})"
                )
    digits = []
    for i, s in enumerate(syls):
        if s.kind == "S" and not strong[i]:
            bad.append(i)
        if s.kind == "A":
            digits.append("1" if strong[i] else "0")
        else:
            digits.append(s.digit)
    return bad, "".join(digits), template, notes


def _stress_range(syls: list[_Syl]) -> tuple[int, int]:
    strong = [s.kind == "S" or (s.kind == "A" and s.content) for s in syls]
    definite = sum(strong)
    lo = definite
    run = 0
    for is_strong in [*strong, False]:
        if is_strong:
            run += 1
        else:
            lo -= run // 2
            run = 0
    hi = definite
    for i in range(1, len(syls) - 1):
        if not strong[i - 1] and not strong[i] and not strong[i + 1] and syls[i].kind == "A":
            hi += 1
    return lo, hi


def _choices(readings: list[tuple[Reading, ...]]) -> list[tuple[Reading, ...]]:
    options = [list(r) for r in readings]
    total = 1
    for o in options:
        total *= len(o)
    while total > MAX_COMBINATIONS:
        j = max(range(len(options)), key=lambda i: len(options[i]))
        options[j] = options[j][: max(1, len(options[j]) - 1)]
        total = 1
        for o in options:
            total *= len(o)
    return list(product(*options))


def _line(i: int, text: str, params, subs: set[str]) -> tuple[LineReport, list[str], tuple[Reading, ...]]:
    words = []
    for word, sep in tokenize(text):
        # a hyphenated compound unknown as a whole is scanned part by part: self-love = self + love
        parts = word.split("-")
        if len(parts) > 1 and all(parts) and lookup("".join(parts))[0].source != "cmu":
            words += [(p, "") for p in parts[:-1]] + [(parts[-1], sep)]
        else:
            words.append((word, sep))
    readings = [lookup(w) for w, _ in words]
    metre = params.get("metre")
    feet = int(params.get("feet", 0))
    foot = FEET.get(metre or "", "")
    for j in range(
        len(words) - 1 if foot else 0
    ):  # synalepha in metrical verse: "the expense" as "th'expense"
        nxt = readings[j + 1][0].phones
        if words[j][0].lower() == "the" and nxt and VOWEL_START.match(nxt):
            readings[j] = (
                *readings[j],
                Reading(words[j][0], "", 0, "", None, "elided", "th' before a vowel"),
            )
    rng = _allowed(params.get("syllables"), i)
    if rng is None and foot and feet:
        base = len(foot) * feet
        rng = (base, base + (1 if "feminine-ending" in subs and foot.endswith("/") else 0))
    stress_spec = params.get("stresses")
    want_stress = None
    if isinstance(stress_spec, list):
        want_stress = int(stress_spec[i]) if i < len(stress_spec) else None
    elif stress_spec is not None:
        want_stress = int(stress_spec)

    best = None
    for choice in _choices(readings) if words else [()]:
        syls = _syllables(words, choice)
        n = len(syls)
        off = 0 if rng is None else max(rng[0] - n, n - rng[1], 0)
        bad, digits, template, mnotes = _metre(syls, foot, feet, subs) if foot and feet else ([], "", "", [])
        stress_off = 0
        if want_stress is not None:
            lo, hi = _stress_range(syls)
            stress_off = max(lo - want_stress, want_stress - hi, 0)
        metre_unchecked = bool(foot and feet and n != len(template))
        rank = sum(idx for r, opts in zip(choice, readings, strict=True) for idx in [opts.index(r)])
        key = (off > 0, off, metre_unchecked, len(bad), stress_off, "feminine ending" in mnotes, rank)
        if best is None or key < best[0]:
            best = (key, choice, syls, bad, digits, template, mnotes, stress_off)
    _, choice, syls, bad, digits, template, mnotes, stress_off = best
    n = len(syls)
    report = LineReport(index=i, text=text, units=n)
    if rng is not None and rng[0] == rng[1]:
        report.expected_units = rng[0]
    if foot and feet:
        report.expected_units = len(foot) * feet
    report.pattern = digits or "".join(s.digit for s in syls)
    report.expected = template
    if rng is not None and not (rng[0] <= n <= rng[1]):
        want = f"{rng[0]}" if rng[0] == rng[1] else f"{rng[0]}-{rng[1]}"
        report.violations.append(Violation("syllables", f"{n} syllables, the form wants {want}."))
    elif foot and feet and n != len(template):
        report.notes.append("metre not checked: the syllable count does not fit the template")
    for pos in bad:
        word = words[syls[pos].word][0]
        report.violations.append(
            Violation(
                "metre", f"stressed syllable of {word!r} at position {pos + 1} falls off the beat.", pos
            )
        )
    if want_stress is not None and stress_off:
        lo, hi = _stress_range(syls)
        found = f"{lo}" if lo == hi else f"{lo}-{hi}"
        report.violations.append(Violation("metre", f"{found} stresses, the form wants {want_stress}."))
    report.notes += mnotes
    for (word, _), r, opts in zip(words, choice, readings, strict=True):
        counts = sorted({o.syllables for o in opts})
        if r.source == "estimated":
            report.notes.append(
                f"{word}: not in the CMU dictionary; {r.syllables} syllable(s) estimated from spelling"
            )
        elif (
            r.source == "elided" or (len(counts) > 1 and r.syllables + opts.index(r) > 1) or opts.index(r) > 0
        ):
            how = f", {r.how}" if r.how else ""
            others = (
                f" (also {', '.join(str(c) for c in counts if c != r.syllables)})" if len(counts) > 1 else ""
            )
            report.notes.append(f"{word}: read as {r.syllables} syllable(s) [{r.phones}]{how}{others}")
    return report, [w for w, _ in words], choice


# --- rhyme -------------------------------------------------------------------------------------


def _strip(part: str | None) -> str | None:
    return re.sub(r"\d", "", part) if part else None


def _last_syllable(r: Reading) -> tuple[str, str] | None:
    """(vowel with its stress digit, coda) of the last syllable."""
    if not r.phones:
        return None
    ph = r.phones.split()
    for j in range(len(ph) - 1, -1, -1):
        if ph[j][-1].isdigit():
            return ph[j], " ".join(ph[j + 1 :])
    return None


def _weak_rhyme(a: tuple[Reading, ...], b: tuple[Reading, ...]) -> bool:
    """A rhyme on the last syllable only: the same vowel and coda ("husbandry" / "posterity",
    "legacy" / "free"), or the same non-empty coda after a reduced vowel AH0 / IH0, which CMU gives
    where verse promotes the syllable ("temperate" / "date", "ornament" / "content")."""
    for ra, rb in product(a, b):
        x, y = _last_syllable(ra), _last_syllable(rb)
        if not x or not y or x[1] != y[1]:
            continue
        if x[0][:-1] == y[0][:-1] or (x[1] and (x[0] in ("AH0", "IH0") or y[0] in ("AH0", "IH0"))):
            return True
    return False


def _groups(scheme: str, n: int, repeat: bool) -> dict[tuple[int, str], list[int]]:
    groups: dict[tuple[int, str], list[int]] = {}
    size = len(scheme)
    for i in range(n):
        if not repeat and i >= size:
            break
        letter = scheme[i % size]
        if letter in "X-":
            continue
        groups.setdefault((i // size if repeat else 0, letter), []).append(i)
    return groups


def _rhymes(
    reports: list[LineReport],
    last: list[tuple[str, tuple[Reading, ...]] | None],
    scheme: str,
    repeat: bool,
    params,
    refrain_of: dict[int, int],
) -> tuple[dict[int, list[Violation]], dict[int, str], dict[int, str], int]:
    """Violations per line, rhyme shown per line, notes per line, and the count of violations."""
    slant = bool(params.get("slant_rhyme", False))
    identical_ok = bool(params.get("allow_identical_rhyme", False))
    bad: dict[int, list[Violation]] = {}
    shown: dict[int, str] = {}
    notes: dict[int, str] = {}
    for (_, letter), members in _groups(scheme, len(reports), repeat).items():
        present = [m for m in members if last[m] is not None]
        for m in present:
            shown[m] = f"{letter} {_strip(last[m][1][0].rhyme) or '?'}"
        if len(present) < 2:
            continue
        parts = {m: {_strip(r.rhyme) for r in last[m][1] if r.rhyme} for m in present}
        own = {m: {_strip(r.rhyme) for r in last[m][1] if r.rhyme and " " not in r.word} for m in present}
        counts: dict[str, int] = {}
        for m in present:
            for p in parts[m]:
                counts[p] = counts.get(p, 0) + 1
        # the part most lines share; among equals the earliest line's, then the longest
        # ("OY Z IH T" over "IH T" for "enjoys it" / "destroys it")
        first_line = {p: next(m for m in present if p in parts[m]) for p in counts}
        key = max(counts, key=lambda p: (counts[p], -first_line[p], len(p))) if counts else None
        anchor = next((m for m in present if key in parts[m]), present[0])
        for m in present:
            shown[m] = f"{letter} {key if key in parts[m] else (sorted(own[m]) or ['?'])[0]}"
            if key in parts[m]:
                continue
            word, readings = last[m]
            aword = last[anchor][0]
            if slant and any(_weak_rhyme(readings, last[o][1]) for o in present if key in parts[o]):
                notes[m] = f"slant rhyme {word!r} / {aword!r} (last syllable only)"
                continue
            bad.setdefault(m, []).append(
                Violation(
                    "rhyme",
                    f"{word!r} ({'/'.join(sorted(own[m])) or '?'}) should rhyme ({letter}) with "
                    f"{aword!r} (line {anchor + 1}, {key}).",
                )
            )

        def rhyme_word(m: int, key: str | None = key) -> str:
            """The word(s) carrying the group's rhyme in line m."""
            return next((r.word for r in last[m][1] if _strip(r.rhyme) == key), last[m][0]).strip("'")

        flagged: set[int] = set()
        for x, m in enumerate(present):
            for o in present[:x]:
                if rhyme_word(m).casefold() == rhyme_word(o).casefold() and not identical_ok:
                    if m in refrain_of and refrain_of.get(o) == refrain_of[m]:
                        continue
                    # blame the line that is not a refrain (the later one when neither is)
                    culprit, other = (o, m) if m in refrain_of and o not in refrain_of else (m, o)
                    if culprit in flagged:
                        continue
                    flagged.add(culprit)
                    bad.setdefault(culprit, []).append(
                        Violation(
                            "rhyme",
                            f"{rhyme_word(culprit)!r} rhymes with itself (line {other + 1}); only a refrain may repeat it.",
                        )
                    )
    return bad, shown, notes, sum(len(v) for v in bad.values())


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold().replace("\u2019", "'")).split())


# --- the checker -------------------------------------------------------------------------------


def check(form: Form, lines: list[str]) -> PoemReport:
    """Check `lines` (as typed; blank strings separate stanzas) against an `en-verse` form."""
    params = form.params
    subs = set(params.get("substitutions", []))
    verses, stanzas = verse_lines(lines)
    report = PoemReport(form=form.name, lines=[])
    last: list[tuple[str, tuple[Reading, ...]] | None] = []
    for i, text in enumerate(verses):
        line, words, _ = _line(i, text, params, subs)
        report.lines.append(line)
        if words:
            end = lookup(words[-1])
            if len(words) > 1 and words[-1].lower() in ENCLITICS:
                # a feminine rhyme across two words: "enjoys it" / "destroys it"
                prev = lookup(words[-2])
                end = end + tuple(
                    Reading(
                        f"{words[-2]} {words[-1]}",
                        f"{a.phones} {b.phones}",
                        a.syllables + 1,
                        a.stresses + "0",
                        f"{a.rhyme} {b.phones}",
                        a.source,
                    )
                    for a in prev
                    for b in end[:1]
                    if a.phones and b.phones and a.rhyme
                )
            last.append((words[-1].strip("'"), end))
        else:
            last.append(None)
            if any(k in params for k in ("syllables", "metre", "stresses")):
                line.violations.append(Violation("syllables", "no words in this line."))
            else:
                line.notes.append("no words in this line")
        if re.search(r"\d", text):
            line.notes.append("digits are not counted: write numbers as words")

    want = params.get("lines")
    if not verses:
        report.violations.append(Violation("lines", "the poem has no lines."))
    if want is not None and len(verses) != int(want):
        report.violations.append(Violation("lines", f"{len(verses)} lines, the form wants {want}."))
    want_stanzas = params.get("stanzas")
    if want_stanzas and len(stanzas) > 1 and list(stanzas) != list(want_stanzas):
        report.violations.append(
            Violation(
                "stanzas",
                f"stanzas of {'+'.join(map(str, stanzas))} lines, the form wants {'+'.join(map(str, want_stanzas))}.",
            )
        )

    refrain_of: dict[int, int] = {}
    for r, group in enumerate(params.get("refrains", [])):
        idx = [g - 1 for g in group]
        for g in idx:
            refrain_of[g] = r
        if not idx or idx[0] >= len(verses):
            continue
        first = _norm(verses[idx[0]])
        for g in idx[1:]:
            if g >= len(verses):
                report.violations.append(
                    Violation("refrain", f"refrain {r + 1} (line {idx[0] + 1}) is missing at line {g + 1}.")
                )
            elif _norm(verses[g]) != first:
                report.lines[g].violations.append(
                    Violation("refrain", f"line {g + 1} should repeat line {idx[0] + 1}: {verses[idx[0]]!r}.")
                )

    scheme_spec = params.get("rhyme")
    if scheme_spec:
        schemes = [scheme_spec] if isinstance(scheme_spec, str) else list(scheme_spec)
        results = []
        for s in schemes:
            s_clean = re.sub(r"\s", "", s)
            results.append(
                (_rhymes(report.lines, last, s_clean, bool(params.get("repeat")), params, refrain_of), s)
            )
        (bad, shown, rnotes, _), chosen = min(results, key=lambda x: x[0][3])
        if len(schemes) > 1:
            report.notes.append(f"rhyme scheme {chosen}")
        if params.get("repeat"):
            size = len(re.sub(r"\s", "", chosen))
            if len(verses) % size:
                report.violations.append(
                    Violation("lines", f"{len(verses)} lines do not divide into units of {size} ({chosen}).")
                )
        for m, vs in bad.items():
            report.lines[m].violations += vs
        for m, text in shown.items():
            report.lines[m].rhyme = text
        for m, text in rnotes.items():
            report.lines[m].notes.append(text)
    else:
        for line, lw in zip(report.lines, last, strict=True):
            if lw is not None and lw[1][0].rhyme:
                line.rhyme = _strip(lw[1][0].rhyme)

    heads = params.get("heads")
    if heads:
        report.violations += check_acrostic(lines, heads)
    return report
