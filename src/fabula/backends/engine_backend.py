"""Backends whose tokens are chosen by Fabula's own decode loop.

Subclasses provide a tokenizer and a compute `Runtime`; streaming, scoring
and constraints are the same for all of them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator

import torch

from fabula.backends.base import Backend, Chunk, Score, Tokenizer, Usage
from fabula.backends.options import GenerationOptions
from fabula.engine.constraints import Constraint
from fabula.engine.decode import check_fits, decode
from fabula.engine.runtime import Runtime
from fabula.errors import PromptTooLong


class EngineBackend(Backend):
    @property
    @abstractmethod
    def tokenizer(self) -> Tokenizer: ...

    @property
    @abstractmethod
    def runtime(self) -> Runtime: ...

    @property
    def supports_constraints(self) -> bool:
        return True

    def load(self) -> None:
        _ = self.tokenizer, self.runtime

    def stream(
        self, prompt: str, options: GenerationOptions | None = None, constraint: Constraint | None = None
    ) -> Iterator[Chunk]:
        options = options or GenerationOptions()
        ids = self.tokenizer.encode_prompt(prompt)
        check_fits(len(ids), self.runtime.context_length)
        usage: list[Usage] = []
        yield from decode(self.runtime, self.tokenizer, ids, options, constraint, usage)
        self.last_usage = usage[0] if usage else None

    def score(self, prompt: str, continuation: str) -> Score:
        prompt_ids = self.tokenizer.encode_prompt(prompt)
        cont_ids = self.tokenizer.encode(continuation)
        if not prompt_ids:  # no BOS and no prompt: nothing predicts the first token
            raise PromptTooLong(
                f"{self.spec} has no beginning-of-text token, so scoring needs a prompt: give the text's "
                "first word as the prompt and score the rest."
            )
        ids = prompt_ids + cont_ids
        check_fits(len(ids) - 1, self.runtime.context_length)
        logprobs = torch.log_softmax(self.runtime.sequence_logits(ids), dim=-1)
        start = len(prompt_ids)
        picked = [float(logprobs[start - 1 + i, t]) for i, t in enumerate(cont_ids)]
        return Score([self.tokenizer.token_text(t) for t in cont_ids], cont_ids, picked)
