"""`openai:MODEL@BASE_URL`: any OpenAI-compatible server.

Ollama, vLLM, LM Studio, llama.cpp's server, OpenAI itself and `fabula serve`
all speak this API. Two kinds share the code:

- `openai:` sends the prompt as one user message to /chat/completions
  (instruction-following models);
- `openai-completions:` sends it verbatim to /completions (base models).

Both score text through /completions with `echo` + `logprobs`, which only
some servers support (vLLM and `fabula serve` do).

Spec syntax: `MODEL[@BASE_URL][#key=ENV_VAR]`. The base URL defaults to
$FABULA_OPENAI_BASE_URL, then $OPENAI_BASE_URL, then OpenAI's; a URL without
a scheme gets `http://`. The API key comes from the variable named after
`#key=`, else $FABULA_OPENAI_API_KEY, then $OPENAI_API_KEY; local servers
need none, so a placeholder is sent when none is set.

Decoding happens on the server, so a constraint cannot mask tokens here
(`supports_constraints` is False): form-constrained features fall back to
generate-check-repair.

The official `openai` client is imported on first use; it comes with
`pip install 'fabula[openai]'`.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fabula.backends.base import Backend, Chunk, Score, Usage
from fabula.backends.options import GenerationOptions
from fabula.backends.registry import ModelInfo
from fabula.errors import BackendUnavailable, FabulaError, InvalidOptions, ModelNotFound, PromptTooLong

if TYPE_CHECKING:
    from fabula.engine.constraints import Constraint

__all__ = ["OpenAIBackend", "OpenAICompletionsBackend", "ServerSpec", "parse_spec"]

KEY_ENVS = ("FABULA_OPENAI_API_KEY", "OPENAI_API_KEY")
BASE_URL_ENVS = ("FABULA_OPENAI_BASE_URL", "OPENAI_BASE_URL")
OFFICIAL_URL = "https://api.openai.com/v1"
#: Sent when no key is set: local servers ignore it, the client insists on one.
PLACEHOLDER_KEY = "no-key-set"
#: OpenAI accepts at most four stop strings; further ones are enforced here only.
SERVER_STOP_LIMIT = 4
#: Seconds `available()` waits for /models, so `fabula models` never hangs.
LIST_TIMEOUT = 2.0
#: Sampling options outside OpenAI's API that vLLM, Ollama and llama.cpp's
#: server read from the request body, with the value meaning "off".
EXTRA_BODY_DEFAULTS: dict[str, float] = {"top_k": 0, "min_p": 0.0, "repetition_penalty": 1.0}


@dataclass(frozen=True)
class ServerSpec:
    """The parts of `MODEL[@BASE_URL][#key=ENV_VAR]`."""

    model: str
    base_url: str
    key_env: str | None = None


def parse_spec(rest: str, kind: str = "openai") -> ServerSpec:
    """Split the part of a spec after `openai:` into model, base URL and key variable."""
    body, _, fragment = rest.partition("#")
    key_env = None
    if fragment:
        name, _, value = fragment.partition("=")
        if name != "key" or not value:
            raise InvalidOptions(
                f"'#{fragment}' in '{kind}:{rest}' is not understood. After '#' write key=ENV_VAR "
                f"to name the variable holding the API key, e.g. {kind}:MODEL@URL#key=GROQ_API_KEY."
            )
        key_env = value
    model, at, url = body.partition("@")
    if not model or (at and not url):
        raise InvalidOptions(
            f"'{kind}:{rest}' names no model or no URL. Write {kind}:MODEL@BASE_URL, "
            f"e.g. {kind}:llama3.2@http://localhost:11434/v1, or {kind}:MODEL with $FABULA_OPENAI_BASE_URL set."
        )
    if not url:
        url = _env_base_url() or OFFICIAL_URL
    elif "://" not in url:
        url = f"http://{url}"
    return ServerSpec(model, url.rstrip("/"), key_env)


def _env_base_url() -> str | None:
    return next((os.environ[name] for name in BASE_URL_ENVS if os.environ.get(name)), None)


class OpenAIBackend(Backend):
    """A model behind an OpenAI-compatible HTTP API, through /chat/completions.

    `http_client` (an `httpx.Client`) is handed to the `openai` client as is,
    e.g. one with a proxy, custom certificates or a mock transport.
    """

    kind = "openai"
    endpoint: ClassVar[str] = "chat"

    def __init__(
        self,
        spec: str,
        model: str,
        base_url: str,
        *,
        key_env: str | None = None,
        http_client: Any = None,
        max_retries: int = 2,
        timeout: float = 600.0,
    ) -> None:
        super().__init__(spec)
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.key_env = key_env
        self.max_retries = max_retries
        self.timeout = timeout
        self._http_client = http_client
        self._client: Any = None

    @classmethod
    def from_spec(cls, rest: str, **client_options: Any) -> OpenAIBackend:
        """The backend for `MODEL[@BASE_URL][#key=ENV_VAR]`; extra keywords go to `__init__`."""
        parsed = parse_spec(rest, cls.kind)
        return cls(f"{cls.kind}:{rest}", parsed.model, parsed.base_url, key_env=parsed.key_env, **client_options)

    @classmethod
    def available(cls) -> list[ModelInfo]:
        """Models on the server named by $FABULA_OPENAI_BASE_URL / $OPENAI_BASE_URL, if one is set."""
        url = _env_base_url()
        if url is None:
            return []
        try:
            ids = cls(f"{cls.kind}:*", "", url, max_retries=0, timeout=LIST_TIMEOUT).offered_models()
        except Exception:  # a listing is a courtesy: `fabula models` must not fail for it
            return []
        return [ModelInfo(spec=f"{cls.kind}:{i}", description="served over the OpenAI API", location=url) for i in ids]

    # -- the client -----------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The `openai.OpenAI` client, created on first use."""
        if self._client is None:
            try:
                import openai
            except ImportError as exc:
                raise BackendUnavailable(
                    f"{self.spec} needs the official OpenAI client: pip install 'fabula[openai]'"
                ) from exc
            key, _ = self._api_key()
            self._client = openai.OpenAI(
                api_key=key,
                base_url=self.base_url,
                http_client=self._http_client,
                max_retries=self.max_retries,
                timeout=self.timeout,
            )
        return self._client

    def _api_key(self) -> tuple[str, str | None]:
        """The key to send and the variable it came from (None for the placeholder)."""
        names = (self.key_env,) if self.key_env else KEY_ENVS
        for name in names:
            if os.environ.get(name):
                return os.environ[name], name
        if self.key_env:
            raise BackendUnavailable(
                f"{self.spec} reads its API key from ${self.key_env}, which is not set: "
                f"export {self.key_env}=YOUR_KEY"
            )
        return PLACEHOLDER_KEY, None

    # Names servers give the context length in their /models entries: vLLM (and Fabula's server),
    # LM Studio, and others. Ollama's OpenAI API gives none: then it stays unknown (None).
    CONTEXT_FIELDS: ClassVar[tuple[str, ...]] = ("max_model_len", "context_length", "max_context_length")

    @property
    def context_length(self) -> int | None:
        """The served model's context, when the server's /models entry says it (asked once)."""
        if not hasattr(self, "_context"):
            self._context = self._served_context()
        return self._context

    def _served_context(self) -> int | None:
        try:
            entry = self.client.models.retrieve(self.model)
        except Exception:  # a server without /models/{id}, or down: generation will say so
            return None
        extra = {**(getattr(entry, "model_extra", None) or {}), **entry.__dict__}
        for name in self.CONTEXT_FIELDS:
            value = extra.get(name)
            if isinstance(value, int) and value > 0:
                return value
        return None

    # A chat request wraps the prompt in the model's template: roles, turn markers.
    CHAT_TEMPLATE_TOKENS: ClassVar[int] = 32

    def count_tokens(self, prompt: str) -> int | None:
        """Tokens the served model receives for `prompt`, from the server's /tokenize (vLLM,
        llama.cpp and Fabula's server have one); None when the server has none (Ollama)."""
        if getattr(self, "_tokenize_url", "") is None:
            return None
        counts: dict[str, int] = self.__dict__.setdefault("_counts", {})
        if prompt not in counts:
            count = self._tokenize(prompt)
            if count is None:
                return None
            if len(counts) > 4096:
                counts.clear()
            counts[prompt] = count + (self.CHAT_TEMPLATE_TOKENS if self.endpoint == "chat" else 0)
        return counts[prompt]

    def _tokenize(self, text: str) -> int | None:
        import httpx

        root = self.base_url.removesuffix("/v1")
        urls = [getattr(self, "_tokenize_url", None)] if getattr(self, "_tokenize_url", None) else [
            f"{root}/tokenize", f"{self.base_url}/tokenize"]
        key, _ = self._api_key()
        for url in urls:
            try:
                reply = httpx.post(url, json={"model": self.model, "prompt": text, "content": text},
                                   headers={"Authorization": f"Bearer {key}"}, timeout=30)
                data = reply.json() if reply.status_code == 200 else {}
            except (httpx.HTTPError, ValueError):
                continue
            count = data.get("count", len(data["tokens"]) if isinstance(data.get("tokens"), list) else None)
            if isinstance(count, int):
                self._tokenize_url: str | None = url
                return count
        self._tokenize_url = None  # asked once: this server cannot count
        return None

    def offered_models(self) -> list[str]:
        """Model ids the server lists at /models."""
        try:
            return sorted(m.id for m in self.client.models.list())
        except Exception as exc:
            raise self._explained(exc) from exc

    # -- generation ----------------------------------------------------------------

    def stream(
        self, prompt: str, options: GenerationOptions | None = None, constraint: Constraint | None = None
    ) -> Iterator[Chunk]:
        """Stream `options.n` alternatives.

        Many servers (Ollama, LM Studio) answer a streamed request with one
        choice whatever `n` says; the missing alternatives are then asked for
        again, with the seed advanced so they differ, and numbered on.
        """
        options = options or GenerationOptions()
        if constraint is not None:
            raise BackendUnavailable(
                f"{self.spec} decodes on the server, so a constraint cannot mask its tokens. "
                "Use a local model (house:, hf:, llamacpp:) for constrained generation."
            )
        self.last_usage = None
        alternatives = [_Alternative(options.stop) for _ in range(options.n)]
        usages: list[Usage] = []
        first = 0  # index of the first alternative the next request produces
        while first < options.n:
            wanted = options.n - first
            seed = None if options.seed is None else options.seed + first
            produced = 0
            events = self._events(prompt, options, wanted, seed, usages)
            try:
                for local_index, text, reason in events:
                    produced = max(produced, local_index + 1)
                    index = first + local_index
                    chunk = alternatives[index].take(index, text, reason)
                    if chunk is not None:
                        yield chunk
                    mine = alternatives[first:]
                    if all(a.finished for a in mine) and any(a.cut_here for a in mine):
                        break  # cut by stop strings the server did not apply: hang up
            finally:
                events.close()  # closes the HTTP response too
            if produced == 0:
                break  # the server sent no choices at all; close what is open below
            first += produced
        for index, alternative in enumerate(alternatives):
            if not alternative.finished:
                yield Chunk(index, alternative.held, (), "stop")  # the server closed without a reason
        if usages:
            self.last_usage = Usage(usages[0].prompt_tokens, sum(u.completion_tokens for u in usages))

    def _events(
        self, prompt: str, options: GenerationOptions, n: int, seed: int | None, usages: list[Usage]
    ) -> Generator[tuple[int, str, str | None], None, None]:
        """(choice index, text, finish reason) for each choice of one streamed request."""
        try:
            with self._create(prompt, options, n, seed) as events:
                for event in events:
                    if getattr(event, "usage", None):
                        usages.append(Usage(event.usage.prompt_tokens or 0, event.usage.completion_tokens or 0))
                    for choice in event.choices or []:
                        if 0 <= choice.index < n:
                            yield choice.index, _choice_text(choice), choice.finish_reason
        except Exception as exc:
            raise self._explained(exc) from exc

    def _create(self, prompt: str, options: GenerationOptions, n: int, seed: int | None) -> Any:
        args: dict[str, Any] = {
            "model": self.model,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "frequency_penalty": options.frequency_penalty,
            "presence_penalty": options.presence_penalty,
            "n": n,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if options.stop:
            args["stop"] = list(options.stop[:SERVER_STOP_LIMIT])
        if seed is not None:
            args["seed"] = seed
        extra = {k: getattr(options, k) for k, off in EXTRA_BODY_DEFAULTS.items() if getattr(options, k) != off}
        if extra:
            args["extra_body"] = extra
        if self.endpoint == "chat":
            return self.client.chat.completions.create(messages=[{"role": "user", "content": prompt}], **args)
        return self.client.completions.create(prompt=prompt, **args)

    # -- scoring -------------------------------------------------------------------

    def score(self, prompt: str, continuation: str) -> Score:
        """Log-probabilities of the tokens of `continuation`, from /completions with echo.

        The server tokenizes `prompt + continuation` as one text; the tokens
        kept are those overlapping the continuation. Servers report token
        strings, not ids, so `Score.token_ids` is empty.
        """
        text = prompt + continuation
        try:
            response = self.client.completions.create(
                model=self.model, prompt=text, max_tokens=0, echo=True, logprobs=1, temperature=0.0
            )
        except Exception as exc:
            raise self._scoring_error(exc) from exc
        choice = response.choices[0] if response.choices else None
        lp = getattr(choice, "logprobs", None)
        if choice is None or lp is None or not lp.tokens or not lp.text_offset or not choice.text.startswith(text):
            raise BackendUnavailable(self._cannot_score("it returned no log-probabilities for the echoed prompt"))
        tokens, offsets, values = lp.tokens, lp.text_offset, lp.token_logprobs or []
        start, end = len(prompt), len(text)
        picked: list[tuple[str, float]] = []
        for i, (token, offset, value) in enumerate(zip(tokens, offsets, values, strict=False)):
            token_end = offsets[i + 1] if i + 1 < len(offsets) else offset + len(token)
            if offset < end and token_end > start and value is not None:
                picked.append((token, float(value)))
        return Score(tokens=[t for t, _ in picked], token_ids=[], logprobs=[v for _, v in picked])

    def _scoring_error(self, exc: Exception) -> Exception:
        if isinstance(exc, FabulaError):  # e.g. the client is not installed
            return exc
        import openai

        if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError)):
            return BackendUnavailable(self._cannot_score(f"it refused echo + logprobs: {_server_message(exc)}"))
        if isinstance(exc, openai.NotFoundError) and self.model in self._offered_or_empty():
            return BackendUnavailable(self._cannot_score(f"it has no /completions for this model: {_server_message(exc)}"))
        return self._explained(exc)

    def _cannot_score(self, why: str) -> str:
        return (
            f"{self.base_url} cannot score text with '{self.model}': {why}. Scoring needs a server that "
            "returns prompt log-probabilities (vLLM, `fabula serve`) or a local model (house:, hf:, llamacpp:)."
        )

    # -- errors --------------------------------------------------------------------

    def _explained(self, exc: Exception) -> Exception:
        """The client's exception as a FabulaError that says what to do (others unchanged)."""
        if isinstance(exc, FabulaError):
            return exc
        try:
            import openai
        except ImportError:
            return exc
        url = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            return BackendUnavailable(
                f"{url} did not answer within {self.timeout:g} s. Is the server overloaded, or the URL wrong?"
            )
        if isinstance(exc, openai.APIConnectionError):
            return BackendUnavailable(
                f"Cannot reach {url}. Is the server running? e.g. `ollama serve`, `vllm serve MODEL` "
                "or `fabula serve`; and is the URL (host, port, /v1) right?"
            )
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return BackendUnavailable(self._key_advice(exc))
        if isinstance(exc, openai.NotFoundError):
            return ModelNotFound(self._not_found_advice(_server_message(exc)))
        if isinstance(exc, openai.RateLimitError):
            return BackendUnavailable(
                f"{url} is rate-limiting these requests or the account is out of quota ({_server_message(exc)}). "
                "Wait and retry, or check the account's plan."
            )
        if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError)):
            message = _server_message(exc)
            if _is_context_overflow(exc, message):
                return PromptTooLong(
                    f"{url} says the prompt does not fit '{self.model}''s context: {message} "
                    "Shorten the prompt or lower max_tokens."
                )
            return InvalidOptions(f"{url} rejected the request: {message}")
        if isinstance(exc, openai.APIStatusError):
            return BackendUnavailable(
                f"{url} failed with HTTP {exc.status_code}: {_server_message(exc)}. Check the server's log."
            )
        if isinstance(exc, openai.APIError):  # an error event in the middle of a stream
            message = _server_message(exc)
            if _is_context_overflow(exc, message):
                return PromptTooLong(f"{url} says the prompt does not fit '{self.model}''s context: {message}")
            return BackendUnavailable(f"{url} reported an error while generating: {message}")
        return exc

    def _key_advice(self, exc: Any) -> str:
        _, source = self._api_key()
        status = f"HTTP {exc.status_code}: {_server_message(exc)}"
        if source is None:
            return (
                f"{self.base_url} needs an API key and none is set ({status}). "
                "export FABULA_OPENAI_API_KEY=YOUR_KEY (or OPENAI_API_KEY), "
                f"or name another variable in the spec: {self.kind}:{self.model}@{self.base_url}#key=ENV_VAR"
            )
        return f"{self.base_url} rejected the API key in ${source} ({status}). Set ${source} to a valid key for this server."

    def _not_found_advice(self, message: str) -> str:
        offered = self._offered_or_empty()
        if self.model in offered:  # the model exists; this endpoint does not serve it
            other = "openai-completions" if self.endpoint == "chat" else "openai"
            return (
                f"{self.base_url} has '{self.model}' but refused it here ({message}). "
                f"Try the other endpoint: {other}:{self.model}@{self.base_url}"
            )
        if offered:
            return (
                f"{self.base_url} has no model '{self.model}'. It offers: {', '.join(offered)}. "
                f"Use e.g. {self.kind}:{offered[0]}@{self.base_url}"
            )
        return (
            f"{self.base_url} has no model '{self.model}', and it lists no models at /models either. "
            "Check the base URL (it usually ends in /v1, e.g. http://localhost:11434/v1) "
            "and pull or load the model on the server (e.g. `ollama pull MODEL`)."
        )

    def _offered_or_empty(self) -> list[str]:
        try:
            return self.offered_models()
        except Exception:  # the error being explained matters more than the listing
            return []

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "model": self.model,
            "base_url": self.base_url,
            "endpoint": f"/{self.endpoint}/completions" if self.endpoint == "chat" else "/completions",
            "key_env": self.key_env or " or ".join(KEY_ENVS),
        }


class OpenAICompletionsBackend(OpenAIBackend):
    """`openai-completions:MODEL@BASE_URL`: the plain /completions endpoint (base models)."""

    kind = "openai-completions"
    endpoint: ClassVar[str] = "completions"

    @classmethod
    def available(cls) -> list[ModelInfo]:
        return []  # the same models are listed once, under openai:


class _Alternative:
    """One alternative's text as it arrives, cut at the first stop string.

    Servers apply stop strings too, but not all of them, and not more than
    four; checking here gives every server the same semantics as local
    models: the stop string ends the text and is never part of it.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = stops
        self.held = ""  # text that might be the start of a stop string
        self.finished = False
        self.cut_here = False  # finished by a stop string the server let through

    def take(self, index: int, text: str, reason: str | None) -> Chunk | None:
        """The chunk to emit for `text` (None when nothing is ready yet)."""
        if self.finished:
            return None
        text = self.held + text
        self.held = ""
        cut = min((pos for pos in (text.find(s) for s in self.stops) if pos >= 0), default=-1)
        if cut >= 0:
            self.finished = self.cut_here = True
            return Chunk(index, text[:cut], (), "stop")
        if reason is not None:
            self.finished = True
            return Chunk(index, text, (), "length" if reason == "length" else "stop")
        keep = max((k for s in self.stops for k in range(1, len(s)) if text.endswith(s[:k])), default=0)
        self.held = text[len(text) - keep :] if keep else ""
        ready = text[: len(text) - keep]
        return Chunk(index, ready) if ready else None


def _choice_text(choice: Any) -> str:
    delta = getattr(choice, "delta", None)
    text = delta.content if delta is not None else getattr(choice, "text", None)
    return text or ""


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(body.get("message"), str):
            return body["message"]
    return getattr(exc, "message", None) or str(exc)


def _is_context_overflow(exc: Any, message: str) -> bool:
    if getattr(exc, "code", None) in ("context_length_exceeded", "exceed_context_size_error"):
        return True
    lowered = message.lower()
    return "context" in lowered and any(w in lowered for w in ("length", "exceed", "maximum", "too long", "size"))
