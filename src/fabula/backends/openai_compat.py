"""`openai:<model>@<base_url>`: any OpenAI-compatible server.

Works with Ollama, vLLM, LM Studio, llama.cpp's server, OpenAI itself and
`fabula serve`. Two kinds share this code:
- `openai:` uses /chat/completions (instruction-following models);
- `openai-completions:` uses /completions (base models; the only endpoint
  that can return prompt log-probabilities, which `score` needs).

The API key comes from $FABULA_OPENAI_API_KEY, then $OPENAI_API_KEY; local
servers need none. Decoding happens on the server, so constraints cannot mask
tokens here: form-constrained features fall back to generate-check-repair.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from fabula.backends.base import Backend, Chunk, Score, Usage
from fabula.backends.options import GenerationOptions
from fabula.backends.registry import ModelInfo
from fabula.engine.constraints import Constraint
from fabula.errors import BackendUnavailable, InvalidOptions, ModelNotFound, PromptTooLong

KEY_ENVS = ("FABULA_OPENAI_API_KEY", "OPENAI_API_KEY")
BASE_URL_ENVS = ("FABULA_OPENAI_BASE_URL", "OPENAI_BASE_URL")
OFFICIAL_URL = "https://api.openai.com/v1"
# Sampling options outside OpenAI's API that vLLM, Ollama and llama.cpp's server accept.
_EXTRA_DEFAULTS = {"top_k": 0, "min_p": 0.0, "repetition_penalty": 1.0}


class OpenAIBackend(Backend):
    kind = "openai"
    endpoint = "chat"

    def __init__(self, spec: str, model: str, base_url: str, http_client: Any = None) -> None:
        super().__init__(spec)
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._http_client = http_client
        self._client: Any = None

    @classmethod
    def from_spec(cls, rest: str) -> OpenAIBackend:
        model, _, url = rest.partition("@")
        if not model:
            raise InvalidOptions(f"Name the model: {cls.kind}:MODEL@http://HOST:PORT/v1")
        base = url or next((os.environ[e] for e in BASE_URL_ENVS if os.environ.get(e)), OFFICIAL_URL)
        return cls(f"{cls.kind}:{rest}", model, base)

    @classmethod
    def available(cls) -> list[ModelInfo]:
        return []  # listing would need the network; `fabula models` stays offline

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ImportError as exc:
                raise BackendUnavailable(
                    "The openai backend needs the official client: pip install 'fabula[openai]'"
                ) from exc
            key = next((os.environ[e] for e in KEY_ENVS if os.environ.get(e)), "no-key-needed")
            self._client = openai.OpenAI(
                api_key=key, base_url=self.base_url, http_client=self._http_client, max_retries=0, timeout=600
            )
        return self._client

    def stream(
        self, prompt: str, options: GenerationOptions | None = None, constraint: Constraint | None = None
    ) -> Iterator[Chunk]:
        options = options or GenerationOptions()
        if constraint is not None:
            raise BackendUnavailable(
                f"{self.spec} decodes on the server, so a constraint cannot mask its tokens. "
                "Use a local model (house:, hf:, llamacpp:) for constrained generation."
            )
        usage = Usage(0, 0)
        seen: set[int] = set()
        # Servers that ignore `n` when streaming (Ollama) return one choice: ask again for the rest.
        while len(seen) < options.n:
            missing = options.n - len(seen)
            offset = len(seen)
            seed = None if options.seed is None else options.seed + offset
            for chunk, part in self._one_request(prompt, options, missing, seed, offset):
                if chunk is not None:
                    seen.add(chunk.index)
                    yield chunk
                if part is not None:
                    usage = Usage(usage.prompt_tokens or part.prompt_tokens,
                                  usage.completion_tokens + part.completion_tokens)
            if len(seen) == offset:  # the server returned nothing at all
                break
        self.last_usage = usage

    def _one_request(
        self, prompt: str, options: GenerationOptions, n: int, seed: int | None, offset: int
    ) -> Iterator[tuple[Chunk | None, Usage | None]]:
        with _translated_errors(self):
            for event in self._create(prompt, options, n, seed):
                if getattr(event, "usage", None):
                    yield None, Usage(event.usage.prompt_tokens or 0, event.usage.completion_tokens or 0)
                for choice in event.choices or []:
                    text = _choice_text(choice)
                    index = offset + choice.index
                    if text or choice.finish_reason:
                        yield Chunk(index, text or "", (), _finish(choice.finish_reason)), None

    def _create(self, prompt: str, options: GenerationOptions, n: int, seed: int | None) -> Any:
        args: dict[str, Any] = dict(
            model=self.model, max_tokens=options.max_tokens, temperature=options.temperature,
            top_p=options.top_p, n=n, stream=True, stream_options={"include_usage": True},
            frequency_penalty=options.frequency_penalty, presence_penalty=options.presence_penalty,
        )
        if options.stop:
            args["stop"] = list(options.stop)
        if seed is not None:
            args["seed"] = seed
        extra = {k: getattr(options, k) for k, default in _EXTRA_DEFAULTS.items() if getattr(options, k) != default}
        if extra:
            args["extra_body"] = extra
        if self.endpoint == "chat":
            return self.client.chat.completions.create(messages=[{"role": "user", "content": prompt}], **args)
        return self.client.completions.create(prompt=prompt, **args)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "base_url": self.base_url, "endpoint": self.endpoint}


class OpenAICompletionsBackend(OpenAIBackend):
    """`openai-completions:<model>@<base_url>`: the plain completions endpoint."""

    kind = "openai-completions"
    endpoint = "completions"

    def score(self, prompt: str, continuation: str) -> Score:
        with _translated_errors(self):
            response = self.client.completions.create(
                model=self.model, prompt=prompt + continuation, max_tokens=0, echo=True, logprobs=0, temperature=0
            )
        lp = response.choices[0].logprobs
        if lp is None or not lp.tokens:
            raise BackendUnavailable(f"{self.base_url} returned no log-probabilities for echo; it cannot score text.")
        start = len(prompt)
        end = len(prompt) + len(continuation)
        picked = [
            (tok, float(val)) for tok, val, off in zip(lp.tokens, lp.token_logprobs, lp.text_offset, strict=False)
            if start <= off < end and val is not None
        ]
        return Score(tokens=[t for t, _ in picked], token_ids=[], logprobs=[v for _, v in picked])


def _choice_text(choice: Any) -> str | None:
    delta = getattr(choice, "delta", None)
    return delta.content if delta is not None else getattr(choice, "text", None)


def _finish(reason: str | None) -> str | None:
    return {"length": "length", "stop": "stop"}.get(reason or "", reason)


class _translated_errors:
    """Turn the client's exceptions into errors that say what to do."""

    def __init__(self, backend: OpenAIBackend) -> None:
        self.backend = backend

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, _tb: Any) -> bool:
        if exc is None:
            return False
        import openai

        url = self.backend.base_url
        if isinstance(exc, openai.APIConnectionError):
            raise BackendUnavailable(
                f"Cannot reach {url}. Is the server running (e.g. `ollama serve`, `vllm serve MODEL`, "
                "`fabula serve`), and is the URL right?"
            ) from exc
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            raise BackendUnavailable(
                f"{url} rejected the API key ({exc.status_code}). Set FABULA_OPENAI_API_KEY "
                "(or OPENAI_API_KEY) to a valid key for this server."
            ) from exc
        if isinstance(exc, openai.NotFoundError):
            raise ModelNotFound(
                f"{url} has no model '{self.backend.model}'. It offers: {self._offered()}. "
                f"Use {self.backend.kind}:MODEL@{url}."
            ) from exc
        if isinstance(exc, openai.BadRequestError):
            message = str(exc)
            if "context" in message.lower() or "too long" in message.lower():
                raise PromptTooLong(f"{url} says the prompt does not fit the model's context: {message}") from exc
            raise InvalidOptions(f"{url} rejected the request: {message}") from exc
        return False

    def _offered(self) -> str:
        try:
            return ", ".join(sorted(m.id for m in self.backend.client.models.list())) or "no models"
        except Exception:  # listing is a courtesy; the original error matters more
            return "(could not list models)"
