"""Echo: make chosen words likely until they appear, then leave them alone.

A poem's theme words, a scene's character names: the text should use them, but forcing a word at
a fixed place reads badly and can break a form. `Echo` adds `weight` to the logits of the first
token of each unit an alternative has not used yet; once an alternative has started a unit that
spans several tokens (" Anna" = " An" + "na"), the next token of the unit is forced, so a boosted
start becomes the whole word. A unit counts as used once its whole token sequence has appeared in
the alternative, and is boosted no more.

`Echo` wraps another constraint (a poem form) or none; the inner constraint's masks are applied
after the bonus, so a token the form forbids stays forbidden (and a forced continuation the form
forbids is dropped rather than forced).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from fabula.backends.base import Tokenizer
from fabula.engine.constraints import Constraint

__all__ = ["Echo"]


class Echo(Constraint):
    """Boost each unit's token sequences until the alternative has used the unit."""

    def __init__(
        self, spellings: dict[str, Sequence[str]], weight: float = 2.0, inner: Constraint | None = None
    ) -> None:
        """`spellings` maps a unit to the texts that spell it (" Anna", "Anna"; "春")."""
        self.spellings = spellings
        self.weight = weight
        self.inner = inner

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        if self.inner is not None:
            self.inner.begin(tokenizer, n)
        self.sequences: dict[str, list[tuple[int, ...]]] = {}
        for unit, texts in self.spellings.items():
            seqs = {tuple(tokenizer.encode(t)) for t in texts if t}
            self.sequences[unit] = sorted(s for s in seqs if s)

    def _state(self, ids: list[int]) -> tuple[set[str], list[int]]:
        """Units used so far, and the tokens that would continue a unit the alternative has started."""
        used: set[str] = set()
        forced: list[int] = []
        for unit, seqs in self.sequences.items():
            for seq in seqs:
                if _contains(ids, seq):
                    used.add(unit)
                    break
        for unit, seqs in self.sequences.items():
            if unit in used:
                continue
            for seq in seqs:
                for k in range(len(seq) - 1, 0, -1):  # longest started prefix first
                    if len(ids) >= k and tuple(ids[-k:]) == seq[:k]:
                        forced.append(seq[k])
                        break
        return used, forced

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        boosted = logits.clone()
        width = logits.shape[-1]
        forcing: dict[int, list[int]] = {}
        for k, ids in enumerate(generated):
            used, forced = self._state(ids)
            forced = [t for t in forced if t < width]
            if forced:
                forcing[k] = forced
            boost = [t for t in {seq[0] for u, seqs in self.sequences.items() if u not in used for seq in seqs}
                     if t < width]
            if boost:
                boosted[k, boost] += self.weight
        chosen = boosted
        if forcing:  # finish the units alternatives have started
            chosen = boosted.clone()
            for k, forced in forcing.items():
                chosen[k] = float("-inf")
                chosen[k, forced] = boosted[k, forced]
        if self.inner is None:
            return chosen
        masked = self.inner.adjust(chosen, rows, generated)
        dead = torch.isinf(masked).all(dim=-1)
        if forcing and bool(dead.any()):  # the form forbids the continuation: drop the forcing there
            free = self.inner.adjust(boosted, rows, generated)
            masked[dead] = free[dead]
        return masked

    def is_complete(self, row: int, generated: list[int]) -> bool:
        return self.inner.is_complete(row, generated) if self.inner is not None else False


def _contains(ids: list[int], seq: tuple[int, ...]) -> bool:
    n = len(seq)
    if n == 1:
        return seq[0] in ids
    return any(tuple(ids[i : i + n]) == seq for i in range(len(ids) - n + 1))
