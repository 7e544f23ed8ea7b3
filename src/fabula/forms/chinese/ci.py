"""The `zh-ci` checker: 词 (ci) written to a tune (词牌), against the tune's templates.

What is checked (rule names in brackets):

* [lines] the number of 句. The text is split into 句 at ，。？！、；： (and ASCII ,.?!;:); blank lines
  and 片 (stanza) breaks are ignored, so a ci may be typed in one line or one 句 per line.
* [length] the number of Chinese characters in each 句.
* [tone] 平仄 against the template at each 平 or 仄 position (中 is free). Tone classes come from the
  平水韵 table (`lexicon`), so 入声 counts as 仄. A 多音字 fits if any reading does (noted); a
  character the table lacks is noted and never fails.
* [rhyme] the 韵脚 (last character of each rhymed 句) of one rhyme segment share one 词林正韵 部
  (`cilin`) in the required tone: 平 (平声) or 仄 (上去, or 入声 — 部 15-19 are 入声 only). A tune
  with 换韵 (菩萨蛮, 清平乐) has several segments, each with its own 部 and tone; 西江月's 叶韵 句
  rhymes in the segment's 部 with 仄声. `LineReport.rhyme` is the reading used, e.g. "第十二部仄声".

A tune may list several templates (正体 and common 又一体 shapes); the one with the fewest length
and 平仄 misses is used (`note: template: 正体`). 句 are compared in order; with a wrong number of
句 the template's 句 are matched to the text's 句 one by one as far as both go.

Not handled: 领字, 句中韵 (暗韵), 叠韵 as a rule of its own, 上/去 distinctions, 入派三声.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fabula.forms.catalog import Form
from fabula.forms.chinese import cilin
from fabula.forms.chinese.lexicon import Lookup, lookup_line
from fabula.forms.chinese.shi import _HAN, FREE, UNKNOWN, _found, _tone_misses, split_lines
from fabula.forms.report import LineReport, PoemReport, Violation

__all__ = ["Slot", "check", "parse_template"]

BREAK = "|"


@dataclass(frozen=True)
class Slot:
    """One 句 of a template."""

    pattern: str  # e.g. "中仄中平平仄"
    segment: str | None = None  # rhyme segment letter, None if the 句 does not rhyme
    tone: str | None = None  # required rhyme tone ("平" / "仄"), from the segment or the 句 itself
    stanza: int = 0  # 0 for 上片, 1 for 下片, ...


def parse_template(entries: list[str], rhymes: dict[str, str]) -> list[Slot]:
    """Template strings ("中仄中平平仄 a", "中仄中平中仄 a仄", "|") as Slots."""
    slots: list[Slot] = []
    stanza = 0
    for entry in entries:
        entry = entry.strip()
        if entry == BREAK:
            stanza += 1
            continue
        pattern, _, mark = entry.partition(" ")
        mark = mark.strip()
        seg = mark[:1] or None
        tone = (mark[1:] or rhymes.get(seg, "")) if seg else None
        slots.append(Slot(pattern, seg, tone or None, stanza))
    return slots


def _fits_rhyme(r: cilin.CiReading, tone: str) -> bool:
    return r.tone == cilin.PING if tone == cilin.PING else r.tone in (cilin.ZE, cilin.RU)


def _score(looks: list[list[Lookup]], slots: list[Slot]) -> int:
    score = 5 * abs(len(looks) - len(slots))
    for lk, slot in zip(looks, slots):
        score += 5 if len(lk) != len(slot.pattern) else len(_tone_misses(lk, slot.pattern))
    return score


def _plain(looks: list[Lookup]) -> str:
    """The 平仄 of a 句 without a template: ？ unknown, 中 for a 多音字 of both tones."""
    return "".join(
        UNKNOWN if not x.known else (next(iter(x.tones)) if len(x.tones) == 1 else FREE) for x in looks
    )


def check(form: Form, lines: list[str]) -> PoemReport:
    p = form.params
    rhymes: dict[str, str] = dict(p.get("rhymes", {}))
    templates = {name: parse_template(list(t), rhymes) for name, t in p["templates"].items()}

    verse = split_lines(lines)
    texts = ["".join(_HAN.findall(v)) for v in verse]
    looks = [lookup_line(t) for t in texts]
    name, slots = min(templates.items(), key=lambda kv: _score(looks, kv[1]))
    report = PoemReport(form=form.name, lines=[])
    report.notes.append(f"template: {name}")
    if len(verse) != len(slots):
        report.violations.append(
            Violation("lines", f"{len(verse)} 句; a {form.name} ({name}) has {len(slots)}.")
        )

    for i, (v, t, lk) in enumerate(zip(verse, texts, looks)):
        slot = slots[i] if i < len(slots) else None
        expected = len(slot.pattern) if slot else None
        line = LineReport(index=i, text=v, units=len(t), expected_units=expected)
        report.lines.append(line)
        other = "".join(ch for ch in v if not _HAN.match(ch) and not ch.isspace())
        if other:
            line.notes.append(f"not counted (not Chinese characters): {other}")
        if slot is None:
            line.pattern = _plain(lk)
            continue
        if i > 0 and slots[i - 1].stanza != slot.stanza:
            line.notes.append("下片 starts here")
        if len(t) != len(slot.pattern):
            line.violations.append(
                Violation("length", f"{len(t)} characters; this 句 has {len(slot.pattern)}.")
            )
            line.pattern = _plain(lk)
            line.notes.append("平仄 not checked: wrong number of characters")
        else:
            line.expected = slot.pattern
            line.pattern = _found(lk, slot.pattern)
            for j in _tone_misses(lk, slot.pattern):
                tones = "/".join(sorted(lk[j].tones))
                msg = f"{lk[j].char} is {tones}; position {j + 1} should be {slot.pattern[j]}."
                line.violations.append(Violation("tone", msg, j))
            for j, (x, want) in enumerate(zip(lk, slot.pattern)):
                if not x.known:
                    line.notes.append(f"{x.char}: not in the 平水韵 table; tone not checked at position {j + 1}")
                elif x.polyphonic and want != FREE:
                    line.notes.append(f"多音字 {x.describe()}; accepted as {want}")

    # Rhyme: per segment one 部 (the one most of its 韵脚 fit in the required tone).
    rhymed = [(i, slots[i]) for i in range(min(len(verse), len(slots))) if slots[i].segment and texts[i]]
    for seg in dict.fromkeys(s.segment for _, s in rhymed):
        members = [(i, s, texts[i][-1], cilin.readings(texts[i][-1])) for i, s in rhymed if s.segment == seg]
        votes: Counter[str] = Counter()
        order: dict[str, int] = {}
        for _, s, _, rs in members:
            for bu in dict.fromkeys(r.bu for r in rs if _fits_rhyme(r, s.tone or "")):
                votes[bu] += 1
                order.setdefault(bu, len(order))
        bu = max(votes, key=lambda b: (votes[b], -order[b])) if votes else None
        if bu:
            report.notes.append(f"rhyme {seg}: {bu} ({rhymes.get(seg, '')})")
        for i, s, ch, rs in members:
            line = report.lines[i]
            pos = len(texts[i]) - 1
            if not rs:
                line.notes.append(f"rhyme not checked: {ch} is not in the 词林正韵 table")
                continue
            good = [r for r in rs if r.bu == bu and _fits_rhyme(r, s.tone or "")]
            line.rhyme = str(good[0] if good else rs[0])
            if len(rs) > 1:
                accepted = f"; accepted as {good[0]}" if good else ""
                line.notes.append(f"多音字 {ch}: " + " or ".join(map(str, rs)) + accepted)
            if good:
                continue
            same_bu = [r for r in rs if r.bu == bu]
            want = "平声" if s.tone == cilin.PING else "仄声 (上去/入)"
            if same_bu or bu is None:
                msg = f"{ch} is {'/'.join(map(str, rs))}: the rhyme here must be {want}."
            else:
                msg = f"{ch} is {'/'.join(map(str, rs))}, not {bu} like the other rhymes of this segment."
            line.violations.append(Violation("rhyme", msg, pos))
    return report
