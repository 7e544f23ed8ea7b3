"""词 (ci) whose form holds by construction: a decoding `Constraint` for the `zh-ci` tunes.

`CiConstraint(form, template=None, heads=None)` follows each alternative through the tune's
template (句 by 句, character by character) and masks the next-token logits so that only tokens
keeping the ci valid under the `zh-ci` checker survive:

* length: each 句 has exactly its template's number of characters, then punctuation;
* 平仄: a 平 / 仄 position takes only single-character tokens whose 平水韵 tone (any certain
  reading, as for `ShiConstraint`) fits; a 中 position takes any character of known tone;
* rhyme: the last character of a rhymed 句 belongs to the segment's 词林正韵 部 in the tone the
  segment (or the 句, for 叶韵) asks for — 平声, or 仄声 as 上去 or 入声 — and to the pattern's tone.
  The first rhyme of a segment chooses the 部 among those with enough characters in the
  vocabulary for every rhyme of the segment (lookahead); a character in several such 部 keeps them
  all as candidates until a later rhyme narrows them. No rhyme character repeats in a segment.
* 藏头 (`heads`): the first character of 句 i is the i-th head character.

Layout, as the 全宋词 corpus writes it: a 句 ends in `，` or `。` (the model chooses), the last
句 of each 片 (stanza) in `。` and a newline; after a `。` inside a 片 the model may also break
the line. The template is the tune's 正体 unless another is named; the checker picks the template
that fits best, and the tunes' templates differ in shape, so it reads the ci as written.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch

from fabula.backends.base import Tokenizer
from fabula.engine.constraints import Constraint
from fabula.errors import FabulaError
from fabula.forms.catalog import Form, get_form
from fabula.forms.chinese import cilin
from fabula.forms.chinese.ci import Slot, parse_template
from fabula.forms.chinese.constrain import COMMA, NEWLINE, PERIOD, _vocab, _Vocab
from fabula.forms.chinese.lexicon import PING, ZE, to_simplified
from fabula.forms.chinese.shi import _HAN

__all__ = ["CiConstraint", "ci_layout"]


def ci_layout(lines: Iterable[str], slots: list[Slot]) -> str:
    """句 in the corpus layout: `，` between 句, `。` and a newline at the end of each 片."""
    lines = list(lines)
    out: list[str] = []
    for i, line in enumerate(lines):
        last_of_stanza = i + 1 >= len(slots) or slots[i + 1].stanza != slots[i].stanza
        out.append(line + (PERIOD + NEWLINE if last_of_stanza else COMMA))
    return "".join(out).rstrip(NEWLINE)


class _CiTables:
    """Per tokenizer: for each (部, rhyme tone) the mask of its characters."""

    def __init__(self, v: _Vocab) -> None:
        self.masks: dict[tuple[str, str], torch.Tensor] = {}
        self.chars: dict[tuple[str, str], set[str]] = {}
        self.readings: dict[int, frozenset[tuple[str, str]]] = {}
        for tid, ch in v.char.items():
            pairs = frozenset((r.bu, _rhyme_tone(r.tone)) for r in cilin.readings(ch))
            self.readings[tid] = pairs
            for key in pairs:
                self.chars.setdefault(key, set()).add(to_simplified(ch))
                self.masks.setdefault(key, torch.zeros(v.size, dtype=torch.bool))[tid] = True


def _rhyme_tone(tone: str) -> str:
    """词林正韵 tone as a rhyme requirement: 平, or 仄 for 上去 and 入 alike."""
    return PING if tone == cilin.PING else ZE


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tables(v: _Vocab) -> _CiTables:
    found = _TABLES.get(v)
    if found is None:
        found = _TABLES[v] = _CiTables(v)
    return found


@dataclass
class _State:
    slot: int = 0
    col: int = 0  # characters of the current 句 so far; len(pattern) = punctuation due
    after_period: bool = False  # a 。 ended the last 句: a newline may come before the next 句
    stanza_end: bool = False  # the 。 is the end of a 片: the newline must come
    bus: dict[str, frozenset[str]] = field(default_factory=dict)  # per segment: candidate 部
    used: dict[str, set[str]] = field(default_factory=dict)  # per segment: rhyme characters used
    consumed: int = 0
    done: bool = False


class CiConstraint(Constraint):
    """Masks decoding so every alternative is a valid ci of the tune (see the module doc)."""

    def __init__(self, form: Form | str, template: str | None = None, heads: str | None = None) -> None:
        self.form = get_form(form) if isinstance(form, str) else form
        if self.form.checker != "zh-ci":
            raise FabulaError(f"{self.form.name} is not a 词牌 (checker zh-ci).")
        p = self.form.params
        rhymes = dict(p.get("rhymes", {}))
        names = list(p["templates"])
        name = template or names[0]
        if name not in p["templates"]:
            raise FabulaError(f"{self.form.name} has no template {name!r}: use one of {', '.join(names)}.")
        self.template = name
        self.slots = parse_template(list(p["templates"][name]), rhymes)
        self.heads = [ch for ch in (heads or "") if _HAN.match(ch)]
        if heads and len(self.heads) != len(self.slots):
            raise FabulaError(
                f"藏头 {''.join(self.heads)} has {len(self.heads)} characters; "
                f"{self.form.name} ({name}) has {len(self.slots)} 句."
            )
        self.states: dict[int, _State] = {}

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        self.vocab = v = _vocab(tokenizer)
        self.tables = _tables(v)
        self.head_masks = []
        for ch in self.heads:
            mask = v.chars_mask({to_simplified(ch)}) & v.han
            if not mask.any():
                raise FabulaError(f"藏头: {ch} is not a single token of known tone in this model's vocabulary.")
            self.head_masks.append(mask)
        self.viable = {seg: self._viable_bus(seg) for seg in self._segments()}
        for seg, bus in self.viable.items():
            if not bus:
                raise FabulaError(
                    f"No 词林正韵 部 has enough characters in this model's vocabulary for rhyme segment "
                    f"{seg} of {self.form.name}; use a model with a larger Chinese vocabulary."
                )
        self.states = {r: _State() for r in range(n)}

    # -- rhyme lookahead -----------------------------------------------------------------------

    def _segments(self) -> list[str]:
        return list(dict.fromkeys(s.segment for s in self.slots if s.segment))

    def _tone_mask(self, tone: str) -> torch.Tensor:
        v = self.vocab
        return {PING: v.ping, ZE: v.ze}.get(tone, v.han)

    def _rhyme_mask(self, slot: Slot, bu: str) -> torch.Tensor:
        key = (bu, PING if slot.tone == PING else ZE)
        found = self.tables.masks.get(key)
        if found is None:
            return torch.zeros(self.vocab.size, dtype=torch.bool)
        return found & self._tone_mask(slot.pattern[-1])

    def _viable_bus(self, seg: str) -> frozenset[str]:
        """部 with enough distinct characters for each rhyme of the segment, per required tone."""
        members = [s for s in self.slots if s.segment == seg]
        need: dict[tuple[str, str], int] = {}
        for s in members:
            key = (s.tone or "", s.pattern[-1])
            need[key] = need.get(key, 0) + 1
        out = set()
        for bu in cilin.bu_names():
            total = set()
            ok = True
            for (tone, last), count in need.items():
                slot = Slot(last, seg, tone)
                ids = self._rhyme_mask(slot, bu).nonzero().flatten().tolist()
                chars = {to_simplified(self.vocab.char[t]) for t in ids}
                total |= chars
                ok = ok and len(chars) >= count
            if ok and len(total) >= len(members):
                out.add(bu)
        return frozenset(out)

    # -- per step ------------------------------------------------------------------------------

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        width = logits.shape[-1]
        allowed = torch.zeros(len(rows), width, dtype=torch.bool)
        for k, (r, ids) in enumerate(zip(rows, generated, strict=True)):
            state = self.states[r]
            self._follow(state, ids)
            mask = self._allowed(state)
            if not mask.any():  # the lookahead makes this impossible; if it happens it is a bug
                raise RuntimeError(
                    f"CiConstraint: no token is allowed at 句 {state.slot + 1}, position {state.col + 1}"
                )
            allowed[k, : min(width, mask.shape[0])] = mask[:width]
        return logits.masked_fill(~allowed, float("-inf"))

    def is_complete(self, row: int, generated: list[int]) -> bool:
        state = self.states.get(row)
        if state is None:
            return False
        self._follow(state, generated)
        return state.done

    def _follow(self, s: _State, ids: list[int]) -> None:
        for tid in ids[s.consumed :]:
            self._advance(s, tid)
        s.consumed = len(ids)

    # -- the state machine ---------------------------------------------------------------------

    def _allowed(self, s: _State) -> torch.Tensor:
        v = self.vocab
        if s.done:
            return v.eos if v.eos.any() else v.punct[NEWLINE]
        if s.stanza_end:
            return v.punct[NEWLINE]
        if s.after_period:
            return v.punct[NEWLINE] | self._char_mask(s)
        slot = self.slots[s.slot]
        if s.col == len(slot.pattern):
            last = s.slot + 1 == len(self.slots) or self.slots[s.slot + 1].stanza != slot.stanza
            return v.punct[PERIOD] if last else v.punct[PERIOD] | v.punct[COMMA]
        return self._char_mask(s)

    def _char_mask(self, s: _State) -> torch.Tensor:
        slot, c = self.slots[s.slot], s.col
        mask = self._tone_mask(slot.pattern[c])
        if c == 0 and self.head_masks:
            mask = mask & self.head_masks[s.slot]
        if c == len(slot.pattern) - 1 and slot.segment:
            bus = s.bus.get(slot.segment, self.viable[slot.segment])
            rhyme = torch.zeros_like(mask)
            for bu in bus:
                rhyme |= self._rhyme_mask(slot, bu)
            mask = mask & rhyme
            used = s.used.get(slot.segment)
            if used:
                mask = mask & ~self.vocab.chars_mask(used)
        return mask

    def _advance(self, s: _State, tid: int) -> None:
        if s.done:
            return
        if s.stanza_end or (s.after_period and tid in self._ids(NEWLINE)):
            s.stanza_end = s.after_period = False
            s.done = s.slot == len(self.slots)
            return
        s.after_period = False
        slot = self.slots[s.slot]
        if s.col < len(slot.pattern):
            if s.col == len(slot.pattern) - 1 and slot.segment:
                self._rhymed(s, slot, tid)
            s.col += 1
            return
        # punctuation after a 句
        last = s.slot + 1 == len(self.slots) or self.slots[s.slot + 1].stanza != slot.stanza
        s.slot += 1
        s.col = 0
        if tid in self._ids(PERIOD):
            s.stanza_end, s.after_period = last, not last

    def _ids(self, punct: str) -> set[int]:
        cache = getattr(self, "_punct_ids", None)
        if cache is None:
            cache = self._punct_ids = {p: set(m.nonzero().flatten().tolist()) for p, m in self.vocab.punct.items()}
        return cache[punct]

    def _rhymed(self, s: _State, slot: Slot, tid: int) -> None:
        seg = slot.segment or ""
        tone = PING if slot.tone == PING else ZE
        bus = s.bus.get(seg, self.viable[seg])
        s.bus[seg] = frozenset(b for b in bus if (b, tone) in self.tables.readings.get(tid, frozenset()))
        s.used.setdefault(seg, set()).add(to_simplified(self.vocab.char.get(tid, "")))

