"""Next-token samplers over a batch of logits (rows = alternatives).

Each step is a pure function of (logits, state) so the order is explicit:
penalties on raw logits, then temperature, then the truncations (top-k,
top-p, min-p), then a seeded draw.
"""

from __future__ import annotations

import torch

from fabula.backends.options import GenerationOptions

NEG_INF = float("-inf")


class Penalties:
    """Per-row token history for the penalties; costs nothing when they are off.

    Rows are compacted with `keep` in step with the runtime's KV cache.
    """

    def __init__(self, options: GenerationOptions, prompt_ids: list[int], n: int, vocab: int) -> None:
        self.options = options
        self.active = (
            options.repetition_penalty != 1.0 or options.frequency_penalty != 0.0 or options.presence_penalty != 0.0
        )
        if self.active:
            self.seen = torch.zeros(n, vocab, dtype=torch.bool)
            self.seen[:, [t for t in prompt_ids if t < vocab]] = True
            self.counts = torch.zeros(n, vocab)

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        return apply_penalties(logits, self.seen, self.counts, self.options) if self.active else logits

    def record(self, tokens: torch.Tensor) -> None:
        if self.active:
            rows = torch.arange(len(tokens))
            self.seen[rows, tokens] = True
            self.counts[rows, tokens] += 1

    def keep(self, rows: torch.Tensor) -> None:
        if self.active:
            self.seen, self.counts = self.seen[rows], self.counts[rows]


def apply_penalties(
    logits: torch.Tensor, seen: torch.Tensor, counts: torch.Tensor, options: GenerationOptions
) -> torch.Tensor:
    """Repetition penalty over prompt+output (`seen`, bool), frequency and
    presence penalties over the output only (`counts`), as OpenAI defines them."""
    if options.repetition_penalty != 1.0:
        penalised = torch.where(
            logits > 0, logits / options.repetition_penalty, logits * options.repetition_penalty
        )
        logits = torch.where(seen, penalised, logits)
    if options.frequency_penalty:
        logits = logits - options.frequency_penalty * counts
    if options.presence_penalty:
        logits = logits - options.presence_penalty * (counts > 0).to(logits.dtype)
    return logits


def truncate(logits: torch.Tensor, options: GenerationOptions) -> torch.Tensor:
    """Temperature, then top-k, top-p and min-p masks (to -inf)."""
    logits = logits / options.temperature
    if options.top_k and options.top_k < logits.shape[-1]:
        kth = torch.topk(logits, options.top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, NEG_INF)
    if options.top_p < 1.0:
        logits = _top_p(logits, options.top_p)
    if options.min_p > 0.0:
        probs = torch.softmax(logits, dim=-1)
        floor = options.min_p * probs.max(dim=-1, keepdim=True).values
        logits = logits.masked_fill(probs < floor, NEG_INF)
    return logits


def _top_p(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
    probs = torch.softmax(sorted_logits, dim=-1)
    # drop a token when the mass before it already reaches top_p (keeps >= 1)
    drop_sorted = (probs.cumsum(dim=-1) - probs) >= top_p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, NEG_INF)


def choose(logits: torch.Tensor, options: GenerationOptions, generator: torch.Generator) -> torch.Tensor:
    """One token id per row: argmax when greedy, else a seeded draw."""
    if options.greedy:
        return logits.argmax(dim=-1)
    probs = torch.softmax(truncate(logits, options), dim=-1)
    return draw(probs, generator)


def draw(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One index per row with the given probabilities, by inverse CDF.

    Same distribution as `torch.multinomial(probs, 1)`, about 10x cheaper on
    CPU for one draw per row, which matters at hundreds of tokens a second.
    """
    cdf = probs.cumsum(dim=-1)
    u = torch.rand(probs.shape[0], 1, generator=generator) * cdf[:, -1:]
    picked = torch.searchsorted(cdf, u, right=True).squeeze(-1)
    return picked.clamp_(max=probs.shape[-1] - 1)
