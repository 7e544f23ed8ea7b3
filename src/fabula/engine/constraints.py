"""The hook through which a constraint shapes the next-token distribution.

The decode loop calls `adjust` with the logits of every live alternative
before sampling; a constraint returns them masked (-inf) or reweighted.
Poetry forms, guided decoding and safety filters are all constraints.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import torch

from fabula.backends.base import Tokenizer


class Constraint(ABC):
    """Shapes decoding. One instance serves one `stream` call."""

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        """Called once before the first step with the model's tokenizer."""
        self.tokenizer = tokenizer

    @abstractmethod
    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        """Return logits (len(rows), V) for the live alternatives `rows`.

        `generated[r]` holds the token ids alternative `r` produced so far.
        """

    def is_complete(self, row: int, generated: list[int]) -> bool:
        """True when the constraint has nothing more to add to this row."""
        return False


class TokenFilter(Constraint):
    """Allow only tokens whose text passes a predicate (plus end-of-text).

    The allowed set is computed once per tokenizer, so each step costs one
    masked fill: cheap enough for the fast path.
    """

    def __init__(self, allow: Callable[[str], bool], allow_eos: bool = True) -> None:
        self.allow = allow
        self.allow_eos = allow_eos
        self._mask: torch.Tensor | None = None

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        banned = torch.ones(tokenizer.vocab_size, dtype=torch.bool)
        for tid in range(tokenizer.vocab_size):
            if self.allow(tokenizer.token_text(tid)) or (self.allow_eos and tid in tokenizer.eos_token_ids):
                banned[tid] = False
        if bool(banned.all()):
            raise ValueError("the token filter allows no token of this tokenizer")
        self._mask = banned

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        assert self._mask is not None, "begin() was not called"
        return logits.masked_fill(self._mask[: logits.shape[-1]], float("-inf"))


class Without(Constraint):
    """Never produce the tokens `ids` (a house model's control and structure tokens), then `inner`."""

    def __init__(self, ids: frozenset[int], inner: Constraint | None = None) -> None:
        self.ids = sorted(ids)
        self.inner = inner

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        if self.inner is not None:
            self.inner.begin(tokenizer, n)

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        banned = [i for i in self.ids if i < logits.shape[-1]]
        if banned:
            logits = logits.clone()
            logits[:, banned] = float("-inf")
        return self.inner.adjust(logits, rows, generated) if self.inner is not None else logits

    def is_complete(self, row: int, generated: list[int]) -> bool:
        return self.inner.is_complete(row, generated) if self.inner is not None else False
