"""Compute runtimes: what turns token ids into next-token logits.

The decode loop (engine/decode.py) is written against `Runtime` only, so the
same samplers, stop strings and constraints run on every runtime:
- `LeanRuntime`: Fabula's own Llama forward with a static KV cache (fast path).
- `TransformersRuntime`: any `transformers` causal LM with its own cache,
  for architectures the lean forward does not cover.
"""

from __future__ import annotations

from typing import Protocol

import torch

from fabula.modeling.llama import KVCache, LeanLlama


class Runtime(Protocol):
    @property
    def context_length(self) -> int: ...

    def prefill(self, ids: list[int], n: int) -> torch.Tensor:
        """Run the prompt once, copy its cache to n rows; logits (n, V)."""

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feed one token per live row (B,); logits (B, V)."""

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only these live rows (indices into the current batch)."""

    def sequence_logits(self, ids: list[int]) -> torch.Tensor:
        """Logits at every position of `ids`, (T, V), no cache kept."""


class LeanRuntime:
    def __init__(self, model: LeanLlama) -> None:
        self.model = model
        self.cache: KVCache | None = None

    @property
    def context_length(self) -> int:
        return self.model.shape.max_seq_len

    def prefill(self, ids: list[int], n: int) -> torch.Tensor:
        self.cache = self.model.new_cache(1)
        logits = self.model.forward(torch.tensor([ids]), self.cache)
        self.cache.expand(n)
        return logits.expand(n, -1)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        assert self.cache is not None, "prefill first"
        return self.model.forward(tokens.unsqueeze(1), self.cache)

    def keep(self, rows: torch.Tensor) -> None:
        assert self.cache is not None
        self.cache.keep(rows)

    def sequence_logits(self, ids: list[int]) -> torch.Tensor:
        return self.model.forward(torch.tensor([ids]), None, all_logits=True)[0]


class TransformersRuntime:
    """Any `AutoModelForCausalLM`, stepping with its own `past_key_values`."""

    def __init__(self, model: torch.nn.Module, context_length: int) -> None:
        self.model = model.eval()
        self._context = context_length
        self.past = None

    @property
    def context_length(self) -> int:
        return self._context

    @torch.inference_mode()
    def prefill(self, ids: list[int], n: int) -> torch.Tensor:
        out = self.model(input_ids=torch.tensor([ids] * n), use_cache=True)
        self.past = out.past_key_values
        return out.logits[:, -1, :].float()

    @torch.inference_mode()
    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        out = self.model(input_ids=tokens.unsqueeze(1), past_key_values=self.past, use_cache=True)
        self.past = out.past_key_values
        return out.logits[:, -1, :].float()

    def keep(self, rows: torch.Tensor) -> None:
        self.past.batch_select_indices(rows)

    @torch.inference_mode()
    def sequence_logits(self, ids: list[int]) -> torch.Tensor:
        return self.model(input_ids=torch.tensor([ids])).logits[0].float()
