"""The backend contract: one streaming method, plus scoring where possible.

A backend turns a prompt into a stream of `Chunk`s. Everything else (the CLI,
logging, story and poem code) is written against this class only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from fabula.backends.options import GenerationOptions
from fabula.errors import BackendUnavailable

if TYPE_CHECKING:
    from fabula.engine.constraints import Constraint


class Tokenizer(Protocol):
    """The part of a tokenizer Fabula needs; exposed by local backends."""

    @property
    def vocab_size(self) -> int: ...

    @property
    def eos_token_ids(self) -> frozenset[int]: ...

    @property
    def bos_token_id(self) -> int | None: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...

    def token_text(self, token_id: int) -> str: ...


@dataclass(frozen=True)
class Chunk:
    """A piece of streamed text for one alternative.

    `finish_reason` is set on the last chunk of an alternative: "stop" (stop
    string, end-of-text token or constraint), "length" (max_tokens) or
    "context" (the model's context is full).
    """

    index: int
    text: str
    token_ids: tuple[int, ...] = ()
    finish_reason: str | None = None


@dataclass
class Completion:
    """One finished alternative."""

    index: int
    text: str
    token_ids: list[int] = field(default_factory=list)
    finish_reason: str | None = None


@dataclass(frozen=True)
class Score:
    """Log-probabilities of each continuation token given the prompt."""

    tokens: list[str]
    token_ids: list[int]
    logprobs: list[float]

    @property
    def total(self) -> float:
        return float(sum(self.logprobs))


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


class Backend(ABC):
    """A source of text: a local checkpoint, llama.cpp, or a remote server."""

    #: Short name of the backend kind ("house", "hf", "openai", ...).
    kind: str = ""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.last_usage: Usage | None = None

    @abstractmethod
    def stream(
        self,
        prompt: str,
        options: GenerationOptions | None = None,
        constraint: Constraint | None = None,
    ) -> Iterator[Chunk]:
        """Yield chunks as tokens arrive, for `options.n` alternatives.

        Chunks of different alternatives may interleave. Sets `last_usage`
        when the stream is exhausted.
        """

    def load(self) -> None:
        """Load weights now rather than on first use (so timings measure decoding only)."""

    def score(self, prompt: str, continuation: str) -> Score:
        """Log-probability of `continuation` token by token after `prompt`."""
        raise BackendUnavailable(
            f"The {self.kind} backend cannot score text (it exposes no token log-probabilities). "
            "Use a local model (house:, hf:, llamacpp:) for scoring."
        )

    @property
    def tokenizer(self) -> Tokenizer | None:
        """The model's tokenizer, where the backend has one locally."""
        return None

    @property
    def context_length(self) -> int | None:
        return None

    def count_tokens(self, prompt: str) -> int | None:
        """How many tokens the model receives for `prompt` (header and BOS included), or None when
        the backend cannot tell (a remote server without a tokenize endpoint)."""
        tok = self.tokenizer
        if tok is None:
            return None
        text = (getattr(self, "header", "") or "") + prompt
        encode = getattr(tok, "encode_prompt", None) or tok.encode
        return len(encode(text))

    @property
    def supports_constraints(self) -> bool:
        """True when a `Constraint` can mask the next-token distribution."""
        return False

    def generate(
        self,
        prompt: str,
        options: GenerationOptions | None = None,
        constraint: Constraint | None = None,
    ) -> list[Completion]:
        """Run `stream` to the end and collect one `Completion` per alternative."""
        options = options or GenerationOptions()
        return collect(self.stream(prompt, options, constraint), options.n)

    def describe(self) -> dict[str, object]:
        """Facts shown by `fabula models`."""
        return {"spec": self.spec, "kind": self.kind, "context_length": self.context_length}


def collect(chunks: Iterator[Chunk], n: int) -> list[Completion]:
    """The `n` completions a stream of chunks adds up to."""
    done = [Completion(index=i, text="") for i in range(n)]
    for chunk in chunks:
        target = done[chunk.index]
        target.text += chunk.text
        target.token_ids.extend(chunk.token_ids)
        if chunk.finish_reason:
            target.finish_reason = chunk.finish_reason
    return done
