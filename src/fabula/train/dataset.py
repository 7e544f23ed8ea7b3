"""Token arrays of corpus splits, and seeded random training windows."""

from __future__ import annotations

import numpy as np
import torch

from fabula.data.corpus import read_split
from fabula.train.tokenizer import format_document


def tokenize_split(tokenizer, corpora: list[str], split: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """All documents of `split` in order, formatted with control tokens, as one uint16 array."""
    ids: list[int] = []
    for name in corpora:
        for doc in read_split(name, split):
            ids.extend(tokenizer.encode(format_document(doc.text, doc.meta), add_special_tokens=False))
    return np.asarray(ids, dtype=np.uint16)


class Windows:
    """Random (input, target) windows; the generator state is checkpointed for exact resume."""

    def __init__(self, tokens: np.ndarray, context: int, seed: int) -> None:
        if len(tokens) <= context + 1:
            raise ValueError(f"only {len(tokens)} tokens: fewer than one window of {context + 1}")
        self.tokens = tokens
        self.context = context
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        starts = self.rng.integers(0, len(self.tokens) - self.context - 1, size)
        rows = np.stack([self.tokens[s : s + self.context + 1] for s in starts]).astype(np.int64)
        x = torch.from_numpy(rows)
        return x[:, :-1], x[:, 1:]

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def restore(self, state: dict) -> None:
        self.rng.bit_generator.state = state
