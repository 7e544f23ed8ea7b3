"""Fabula's decode loop: prefill once, then sample n alternatives together.

Per step: logits of the live rows -> penalties -> constraint hook -> sampler
-> incremental detokenization with stop strings -> finished rows leave the
batch (and the KV cache), so late steps compute only what is still needed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from fabula.backends.base import Chunk, Tokenizer, Usage
from fabula.backends.options import GenerationOptions
from fabula.engine.constraints import Constraint
from fabula.engine.runtime import Runtime
from fabula.engine.sampling import Penalties, choose
from fabula.engine.text_stream import TextStream
from fabula.errors import PromptTooLong


@dataclass
class _Row:
    """One alternative being decoded."""

    index: int
    stream: TextStream
    finish: str | None = None


def check_fits(prompt_tokens: int, context: int) -> None:
    if prompt_tokens >= context:
        raise PromptTooLong(
            f"The prompt is {prompt_tokens} tokens but the model's context holds {context} "
            f"(and at least one token must be generated). Shorten the prompt to under {context} "
            "tokens, or use a model with a longer context."
        )
    if prompt_tokens == 0:
        raise PromptTooLong("The prompt is empty after tokenization; give the model some text to continue.")


def decode(
    runtime: Runtime,
    tokenizer: Tokenizer,
    prompt_ids: list[int],
    options: GenerationOptions,
    constraint: Constraint | None = None,
    usage: list[Usage] | None = None,
) -> Iterator[Chunk]:
    """Stream chunks for `options.n` alternatives continuing `prompt_ids`.

    Appends the final token counts to `usage` when given (a generator cannot
    return a value to a plain `for` loop).
    """
    check_fits(len(prompt_ids), runtime.context_length)
    n = options.n
    budget = min(options.max_tokens, runtime.context_length - len(prompt_ids))
    generator = torch.Generator().manual_seed(options.seed if options.seed is not None else random.getrandbits(63))
    rows = [_Row(i, TextStream(tokenizer, options.stop)) for i in range(n)]
    live = list(range(n))
    if constraint is not None:
        constraint.begin(tokenizer, n)

    logits = runtime.prefill(prompt_ids, n)
    penalties = Penalties(options, prompt_ids, n, logits.shape[-1])
    generated_total = 0

    for _ in range(budget):
        logits = penalties.apply(logits)
        if constraint is not None:
            logits = constraint.adjust(logits, live, [rows[r].stream.ids for r in live])
        tokens = choose(logits, options, generator)
        penalties.record(tokens)
        generated_total += len(live)

        for r, token in zip(live, tokens.tolist(), strict=True):
            yield from _advance(rows[r], token, tokenizer, constraint)
        still = [k for k, r in enumerate(live) if rows[r].finish is None]
        if not still:
            break
        if len(still) < len(live):
            keep = torch.tensor(still)
            runtime.keep(keep)
            penalties.keep(keep)
            tokens = tokens[keep]
            live = [live[k] for k in still]
        logits = runtime.step(tokens)

    for r in live:  # ran out of budget: context full or max_tokens reached
        if rows[r].finish is None:
            rows[r].finish = "length" if budget == options.max_tokens else "context"
            yield Chunk(r, rows[r].stream.flush(), (), rows[r].finish)
    if usage is not None:
        usage.append(Usage(prompt_tokens=len(prompt_ids), completion_tokens=generated_total))


def _advance(row: _Row, token: int, tokenizer: Tokenizer, constraint: Constraint | None) -> Iterator[Chunk]:
    if token in tokenizer.eos_token_ids:
        row.finish = "stop"
        yield Chunk(row.index, row.stream.flush(), (token,), "stop")
        return
    text, hit_stop = row.stream.push(token)
    if hit_stop or (constraint is not None and constraint.is_complete(row.index, row.stream.ids)):
        row.finish = "stop"
        tail = "" if hit_stop else row.stream.flush()
        yield Chunk(row.index, text + tail, (token,), "stop")
        return
    yield Chunk(row.index, text, (token,))
