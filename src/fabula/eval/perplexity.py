"""The result of a perplexity measurement, whichever model scored the tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Perplexity"]


@dataclass(frozen=True)
class Perplexity:
    value: float  # exp(nll)
    nll: float  # mean negative log-likelihood per token, in nats
    tokens: int  # tokens scored, over all texts
    per_text: list[float]  # each text's own perplexity
    model: str  # the reference model: perplexities compare only under the same one

    @classmethod
    def of(cls, logprobs: list[list[float]], model: str) -> Perplexity:
        """Pooled over every token of every text (natural-log probabilities, one list per text)."""
        flat = [lp for text in logprobs for lp in text]
        nll = -sum(flat) / len(flat)
        return cls(math.exp(nll), nll, len(flat), [math.exp(-sum(t) / len(t)) for t in logprobs], model)
