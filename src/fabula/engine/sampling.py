"""Next-token samplers over a batch of logits (rows = alternatives).

Each step is a pure function of (logits, state) so the order is explicit:
penalties on raw logits, then temperature, then the truncations (top-k,
top-p, min-p), then a seeded draw.
"""

from __future__ import annotations

import torch

from fabula.backends.options import GenerationOptions

NEG_INF = float("-inf")


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
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
