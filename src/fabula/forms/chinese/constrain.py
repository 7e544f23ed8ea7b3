"""Regulated verse (近体诗) whose form holds by construction: a decoding `Constraint`.

`ShiConstraint(form, pattern=None, heads=None)` follows each alternative through the poem
(line, position in the line) and masks the next-token logits so that only tokens keeping the
poem valid under the `zh-shi` checker survive. The layout is the corpus's: one couplet per text
line, `，` after the first line of a couplet, `。` after the second, `\\n` after each couplet:

    白日依山尽，黄河入海流。\\n欲穷千里目，更上一层楼。\\n

At a character position only tokens that are one Chinese character known to the rhyme book (平水韵,
or 中华新韵 when the form's params say `rhyme_book = "xinyun"`) are allowed (never byte-fallback or
multi-character tokens), and only those whose tone class (any
certain reading: a 多音字 fits a position if one of its readings does) fits the template
(`中` = either). On top of the template:

* pattern: given, or chosen per alternative. All four patterns (平起/仄起 × 首句入韵 or not) stay
  candidates until a character rules them out; the 2nd character of line 1 (平起/仄起) and the
  last character of line 1 (入韵 or not) must then have ONE tone class, so the checker, which picks
  the best-fitting pattern, cannot read the poem under another pattern.
* rhyme: a rhyme position takes only 平声 characters of the poem's 平水韵 group. The first rhyme
  chooses the group among those with at least as many characters in the vocabulary as the poem has
  rhymes (lookahead: each later rhyme then always has a character left); a character in several
  such groups keeps all of them as candidates until a later rhyme narrows them. No rhyme
  character is used twice.
* 孤平 (lines of the 平平仄仄平 type): at the last free position of the span the checker counts, a
  平 is required when the characters so far and the fixed 平 positions still to come would leave
  only one 平 besides the rhyme.
* 三平尾 (lines ending 平平): the free position before them must be able to be 仄.
* 藏头 (`heads`): the first character of line i is the i-th head character.
* end: the end-of-text token is never allowed; after the last `\\n` `is_complete` is true, and the
  decode loop ends the alternative.

The token tables (tone classes, rhyme groups, punctuation ids) are computed once per tokenizer,
so a step is a few boolean tensor operations per live alternative.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import torch

from fabula.backends.base import Tokenizer
from fabula.engine.constraints import Constraint
from fabula.errors import FabulaError
from fabula.forms.catalog import Form, get_form
from fabula.forms.chinese.lexicon import PING, PINGSHUI, ZE, certain_readings, to_simplified
from fabula.forms.chinese.shi import _HAN, FREE, full_templates

__all__ = ["COMMA", "NEWLINE", "PERIOD", "ShiConstraint", "layout", "rhyme_lines"]

COMMA, PERIOD, NEWLINE = "，", "。", "\n"


def layout(lines: list[str]) -> str:
    """Verse lines in the corpus layout: one couplet per text line (no final newline)."""
    out = []
    for i in range(0, len(lines), 2):
        out.append(lines[i] + COMMA + (lines[i + 1] + PERIOD if i + 1 < len(lines) else ""))
    return "\n".join(out)


def rhyme_lines(templates: list[str]) -> list[int]:
    """The lines that rhyme under a pattern: those whose template ends in 平."""
    return [i for i, t in enumerate(templates) if t[-1] == PING]


class _Vocab:
    """What a tokenizer's tokens are to regulated verse, as boolean masks over the vocabulary."""

    def __init__(self, tokenizer: Tokenizer, book: str = PINGSHUI) -> None:
        size = tokenizer.vocab_size
        self.size = size
        self.han = torch.zeros(size, dtype=torch.bool)
        self.ping = torch.zeros(size, dtype=torch.bool)
        self.ze = torch.zeros(size, dtype=torch.bool)
        self.char: dict[int, str] = {}
        self.by_simplified: dict[str, list[int]] = {}
        ping_groups: dict[str, list[int]] = {}
        self.groups_of: dict[int, frozenset[str]] = {}
        punct: dict[str, list[int]] = {COMMA: [], PERIOD: [], NEWLINE: []}
        for tid in range(size):
            text = tokenizer.token_text(tid)
            if text in punct:
                punct[text].append(tid)
                continue
            if len(text) != 1 or not _HAN.match(text):
                continue
            pairs = certain_readings(text, book=book)
            if not pairs:
                continue
            tones = {t for t, _ in pairs}
            self.han[tid] = True
            self.ping[tid] = PING in tones
            self.ze[tid] = ZE in tones
            self.char[tid] = text
            self.by_simplified.setdefault(to_simplified(text), []).append(tid)
            groups = frozenset(g for t, g in pairs if t == PING)
            self.groups_of[tid] = groups
            for g in groups:
                ping_groups.setdefault(g, []).append(tid)
        self.pure_ping = self.ping & ~self.ze
        self.pure_ze = self.ze & ~self.ping
        self.group_names = sorted(ping_groups)
        self.group_index = {g: i for i, g in enumerate(self.group_names)}
        self.group_masks = torch.zeros(len(self.group_names), size, dtype=torch.bool)
        for g, ids in ping_groups.items():
            self.group_masks[self.group_index[g], ids] = True
        self.group_sizes = self.group_masks.sum(dim=1)
        missing = [repr(p) for p, ids in punct.items() if not ids]
        if missing:
            raise FabulaError(
                f"This model's vocabulary has no single token for {', '.join(missing)}; "
                "constrained regulated verse needs ，。 and the newline as tokens."
            )
        self.punct = {p: _mask(size, ids) for p, ids in punct.items()}
        self.eos = _mask(size, list(tokenizer.eos_token_ids))

    def viable_groups(self, rhymes: int) -> frozenset[str]:
        """Rhyme groups with at least `rhymes` characters in the vocabulary (the lookahead)."""
        return frozenset(g for g, k in zip(self.group_names, self.group_sizes.tolist()) if k >= rhymes)

    def groups_mask(self, groups: frozenset[str]) -> torch.Tensor:
        if not groups:
            return torch.zeros(self.size, dtype=torch.bool)
        return self.group_masks[[self.group_index[g] for g in groups]].any(dim=0)

    def chars_mask(self, chars: set[str]) -> torch.Tensor:
        return _mask(self.size, [t for c in chars for t in self.by_simplified.get(c, ())])


def _mask(size: int, ids: list[int]) -> torch.Tensor:
    mask = torch.zeros(size, dtype=torch.bool)
    if ids:
        mask[[i for i in ids if i < size]] = True
    return mask


_VOCABS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer -> {book: _Vocab}


def _vocab(tokenizer: Tokenizer, book: str = PINGSHUI) -> _Vocab:
    try:
        books = _VOCABS.setdefault(tokenizer, {})
    except TypeError:  # not weak-referenceable: compute every time
        return _Vocab(tokenizer, book)
    if book not in books:
        books[book] = _Vocab(tokenizer, book)
    return books[book]


@dataclass
class _State:
    """Where one alternative is in the poem."""

    patterns: list[str]
    line: int = 0
    col: int = 0  # 0..n-1 characters, n the punctuation, n+1 the newline after a couplet
    chars: list[int] = field(default_factory=list)  # token ids of the current line
    groups: frozenset[str] | None = None  # candidate rhyme groups once the first rhyme is chosen
    used: set[str] = field(default_factory=set)  # rhyme characters used (Simplified)
    consumed: int = 0  # tokens of the alternative already followed
    done: bool = False
    pending: dict[str, torch.Tensor] = field(default_factory=dict)  # per-pattern masks of the last step


class ShiConstraint(Constraint):
    """Masks decoding so every alternative is a valid 五绝/七绝/五律/七律 (see the module doc)."""

    def __init__(self, form: Form | str, pattern: str | None = None, heads: str | None = None) -> None:
        self.form = get_form(form) if isinstance(form, str) else form
        if self.form.checker != "zh-shi":
            raise FabulaError(f"{self.form.name} is not regulated Chinese verse (checker zh-shi).")
        self.n_chars: int = self.form.params["line_length"]
        self.n_lines: int = self.form.params["lines"]
        self.templates = full_templates(self.form)
        if pattern is not None and pattern not in self.templates:
            raise FabulaError(
                f"{self.form.name} has no pattern {pattern!r}: use one of {', '.join(self.templates)}."
            )
        self.pattern = pattern
        self.heads = [ch for ch in (heads or "") if _HAN.match(ch)]
        if heads and len(self.heads) != self.n_lines:
            raise FabulaError(
                f"藏头 {''.join(self.heads)} has {len(self.heads)} characters; "
                f"a {self.form.name} has {self.n_lines} lines."
            )
        self.states: dict[int, _State] = {}

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        self.vocab = v = _vocab(tokenizer, self.form.params.get("rhyme_book", PINGSHUI))
        patterns = [self.pattern] if self.pattern else list(self.templates)
        self.rhymes = {p: len(rhyme_lines(self.templates[p])) for p in patterns}
        if not (v.pure_ping.any() and v.pure_ze.any()):
            raise FabulaError(
                "This model's vocabulary has too few Chinese characters of known tone for regulated verse."
            )
        if not any(v.viable_groups(k) for k in self.rhymes.values()):
            raise FabulaError(
                f"No 平水韵 rhyme group has {min(self.rhymes.values())} characters in this model's vocabulary."
            )
        self.head_masks = []
        for ch in self.heads:
            mask = v.chars_mask({to_simplified(ch)}) & v.han
            if not mask.any():
                raise FabulaError(f"藏头: {ch} is not a single token of known tone in this model's vocabulary.")
            self.head_masks.append(mask)
        self.states = {r: _State(list(patterns)) for r in range(n)}

    # -- per step ----------------------------------------------------------------------------

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        width = logits.shape[-1]
        allowed = torch.zeros(len(rows), width, dtype=torch.bool)
        for k, (r, ids) in enumerate(zip(rows, generated, strict=True)):
            state = self.states[r]
            for tid in ids[state.consumed :]:
                self._advance(state, tid)
            state.consumed = len(ids)
            mask = self._allowed(state)
            if not mask.any():  # the lookahead makes this impossible; if it happens it is a bug
                raise RuntimeError(
                    f"ShiConstraint: no token is allowed at line {state.line + 1}, position {state.col + 1}"
                )
            allowed[k, : min(width, mask.shape[0])] = mask[:width]
        return logits.masked_fill(~allowed, float("-inf"))

    def is_complete(self, row: int, generated: list[int]) -> bool:
        state = self.states.get(row)
        if state is None:
            return False
        for tid in generated[state.consumed :]:
            self._advance(state, tid)
        state.consumed = len(generated)
        return state.done

    def pattern_of(self, row: int) -> str | None:
        """The pattern an alternative was written in, once decided."""
        state = self.states.get(row)
        return state.patterns[0] if state and len(state.patterns) == 1 else None

    # -- the state machine -------------------------------------------------------------------

    def _allowed(self, s: _State) -> torch.Tensor:
        v = self.vocab
        if s.done:
            return v.eos if v.eos.any() else v.punct[NEWLINE]
        if s.col == self.n_chars:
            return v.punct[COMMA if s.line % 2 == 0 else PERIOD]
        if s.col == self.n_chars + 1:
            return v.punct[NEWLINE]
        s.pending = {p: self._char_mask(s, p) for p in s.patterns}
        out = torch.zeros(v.size, dtype=torch.bool)
        for m in s.pending.values():
            out |= m
        return out

    def _char_mask(self, s: _State, pattern: str) -> torch.Tensor:
        v, n, i, c = self.vocab, self.n_chars, s.line, s.col
        t = self.templates[pattern][i]
        tone = t[c]
        if i == 0 and c in (1, n - 1):  # decides the pattern: one tone class only
            mask = v.pure_ping if tone == PING else v.pure_ze
        else:
            mask = {PING: v.ping, ZE: v.ze}.get(tone, v.han)
        if c == 0 and self.head_masks:
            mask = mask & self.head_masks[i]
        if c == n - 1 and t[-1] == PING:  # a rhyme
            groups = s.groups if s.groups is not None else v.viable_groups(self.rhymes[pattern])
            mask = mask & v.groups_mask(groups)
            if s.used:
                mask = mask & ~v.chars_mask(s.used)
        # 三平尾: a line ending 平平 needs a 仄-capable character at its last free position before them.
        tail = t[n - 3 :]
        if ZE not in tail and FREE in tail and c == n - 3 + tail.rindex(FREE):
            mask = mask & v.ze
        # 孤平: the 平平仄仄平 type needs two 平 besides the rhyme in the span the checker counts.
        if t.endswith(ZE + PING):
            span = range(4) if n == 5 else range(2, 6)
            free = [j for j in span if t[j] == FREE]
            if free and c == free[-1]:
                have = sum(bool(v.ping[s.chars[j]]) for j in span if j < c)
                coming = sum(1 for j in span if j > c and t[j] == PING)
                if have + coming < 2:
                    mask = mask & v.ping
        return mask

    def _advance(self, s: _State, tid: int) -> None:
        n = self.n_chars
        if s.done:
            return
        if s.col < n:
            if s.pending:
                s.patterns = [p for p in s.patterns if bool(s.pending[p][tid])] or s.patterns
                s.pending = {}
            t = self.templates[s.patterns[0]][s.line]
            if s.col == n - 1 and t[-1] == PING:
                v = self.vocab
                groups = s.groups if s.groups is not None else v.viable_groups(self.rhymes[s.patterns[0]])
                s.groups = groups & v.groups_of.get(tid, frozenset())
                s.used.add(to_simplified(v.char.get(tid, "")))
            s.chars.append(tid)
            s.col += 1
        elif s.col == n:
            if s.line % 2 == 1:
                s.col += 1
            else:
                self._next_line(s)
        else:
            self._next_line(s)

    def _next_line(self, s: _State) -> None:
        s.line += 1
        s.col = 0
        s.chars = []
        if s.line == self.n_lines:
            s.done = True
