"""The served model: one backend, decoding one request at a time.

Local runtimes keep one KV cache, so requests take turns on a lock. A
streamed request decodes on its own thread, which holds the lock and hands
chunks over a queue: the lock is released when decoding ends, fails or is
cancelled, whether or not the HTTP client is still reading.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import cast

from starlette.concurrency import run_in_threadpool

from fabula.backends import Backend, Chunk, Completion, GenerationOptions, Tokenizer, Usage
from fabula.errors import BackendUnavailable
from fabula.server.errors import APIError

__all__ = ["ChunkFeed", "PromptLogprobs", "ServedModel"]

_END = object()


@dataclass
class PromptLogprobs:
    """The prompt's tokens with their log-probabilities, OpenAI's `echo` way."""

    tokens: list[str]
    token_logprobs: list[float | None]  # None for the first token: it has no context
    text_offset: list[int]

    def as_json(self) -> dict[str, object]:
        return {
            "tokens": self.tokens,
            "token_logprobs": self.token_logprobs,
            "text_offset": self.text_offset,
            "top_logprobs": None,  # only the tokens' own log-probabilities are known
        }


@dataclass
class ServedModel:
    backend: Backend
    lock: threading.Lock = field(default_factory=threading.Lock)
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def id(self) -> str:
        """The model name clients send (the backend's spec)."""
        return self.backend.spec

    def check_requested(self, requested: str | None) -> None:
        """404 when a request names another model (an empty name means this one)."""
        if requested and requested != self.id:
            raise APIError(
                404, f"This server serves '{self.id}', not '{requested}'. Send model='{self.id}'.",
                param="model", code="model_not_found",
            )

    def generate(self, prompt: str, options: GenerationOptions) -> tuple[list[Completion], Usage | None]:
        with self.lock:
            completions = self.backend.generate(prompt, options)
            return completions, self.backend.last_usage

    def stream(self, prompt: str, options: GenerationOptions) -> ChunkFeed:
        """Start decoding; raises here (not mid-stream) when the backend fails before its first chunk."""
        feed = ChunkFeed(self, prompt, options)
        feed.wait_for_first()
        return feed

    def count_tokens(self, text: str) -> int:
        tokenizer = self.backend.tokenizer
        return len(tokenizer.encode(text)) if tokenizer is not None else 0

    def prompt_logprobs(self, prompt: str) -> PromptLogprobs:
        """Log-probability of each prompt token given the ones before it."""
        tokenizer = self.backend.tokenizer
        if tokenizer is None:
            raise APIError(
                400, f"{self.id} has no local tokenizer, so this server cannot return prompt log-probabilities.",
                param="logprobs",
            )
        ids = tokenizer.encode(prompt)
        if not ids:
            raise APIError(400, "The prompt is empty; give text to score.", param="prompt")
        head = _first_token_text(tokenizer, ids, prompt)
        rest = prompt[len(head):]
        if not rest:
            return PromptLogprobs([head], [None], [0])
        try:
            with self.lock:
                score = self.backend.score(head, rest)
        except BackendUnavailable as exc:
            raise APIError(400, str(exc), param="logprobs") from exc
        if "".join(score.tokens) == rest or not score.token_ids:
            lengths = [len(t) for t in score.tokens]
        else:  # token texts do not concatenate (e.g. a character split across byte tokens)
            ends = [len(tokenizer.decode(score.token_ids[: i + 1])) for i in range(len(score.token_ids))]
            lengths = [end - start for start, end in zip([0, *ends], ends, strict=False)]
        offsets = [0, len(head)]
        for length in lengths[:-1]:
            offsets.append(min(offsets[-1] + length, len(prompt)))
        return PromptLogprobs([head, *score.tokens], [None, *score.logprobs], offsets[: len(score.tokens) + 1])


class ChunkFeed:
    """One streamed request: chunks from a decoding thread, then `usage`."""

    def __init__(self, served: ServedModel, prompt: str, options: GenerationOptions) -> None:
        self.usage: Usage | None = None
        self._queue: queue.Queue[object] = queue.Queue()
        self._cancelled = threading.Event()
        self._first: object = None
        thread = threading.Thread(target=self._decode, args=(served, prompt, options), daemon=True)
        thread.start()

    def _decode(self, served: ServedModel, prompt: str, options: GenerationOptions) -> None:
        with served.lock:
            chunks: Iterator[Chunk] | None = None
            try:
                chunks = served.backend.stream(prompt, options)
                for chunk in chunks:
                    if self._cancelled.is_set():
                        return
                    self._queue.put(chunk)
                self.usage = served.backend.last_usage
                self._queue.put(_END)
            except BaseException as exc:  # handed to the reader, which reports it
                self._queue.put(exc)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    def wait_for_first(self) -> None:
        self._first = self._queue.get()
        if isinstance(self._first, BaseException):
            raise self._first

    def next_chunk(self) -> Chunk | None:
        """The next chunk (blocking), None at the end; raises what decoding raised."""
        item, self._first = (self._first, None) if self._first is not None else (self._queue.get(), None)
        if isinstance(item, BaseException):
            raise item
        return None if item is _END else cast(Chunk, item)

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        while (chunk := await run_in_threadpool(self.next_chunk)) is not None:
            yield chunk

    def cancel(self) -> None:
        """Stop decoding at the next chunk (the reader has gone)."""
        self._cancelled.set()


def _first_token_text(tokenizer: Tokenizer, ids: list[int], prompt: str) -> str:
    """The text of the prompt's first token, which has no context and so no log-probability.

    Takes as many tokens as it needs to decode to a clean prefix of the prompt
    (a character may be split across byte-level tokens).
    """
    for k in range(1, len(ids) + 1):
        head = tokenizer.decode(ids[:k])
        if head and prompt.startswith(head):
            return head
    return prompt
