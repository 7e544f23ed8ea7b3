"""Request bodies of the OpenAI-compatible endpoints.

Fields follow OpenAI's API; `top_k`, `min_p` and `repetition_penalty` are
accepted as vLLM accepts them. Fields Fabula does not use (`user`, ...) are
ignored; fields that would change the answer and cannot be honoured
(`logit_bias`, `tools`, `suffix`, ...) are refused with a 400, so nobody
believes they took effect.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fabula.backends.options import GenerationOptions
from fabula.server.errors import APIError

__all__ = ["ChatMessage", "ChatRequest", "CompletionRequest", "SamplingRequest"]

#: OpenAI's default temperature (GenerationOptions' own default is 0.8).
OPENAI_TEMPERATURE = 1.0
#: Request fields passed to GenerationOptions under the same name.
_SAMPLING_FIELDS = (
    "temperature", "top_p", "n", "seed", "frequency_penalty", "presence_penalty",
    "top_k", "min_p", "repetition_penalty",
)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class SamplingRequest(BaseModel):
    """Fields shared by /v1/completions and /v1/chat/completions."""

    model_config = ConfigDict(extra="ignore")  # clients send fields Fabula has no use for

    model: str | None = Field(None, description="Must be the served model's id when given.")
    max_tokens: int | None = Field(None, ge=0)
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    top_k: int | None = Field(None, description="vLLM's extension; -1 or 0 means off.")
    min_p: float | None = None
    repetition_penalty: float | None = None
    logit_bias: dict[str, float] | None = None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def options(self, default_max_tokens: int, extra_stops: tuple[str, ...] = ()) -> GenerationOptions:
        """The request as Fabula's GenerationOptions (400 when out of range)."""
        if self.logit_bias:
            raise APIError(400, "logit_bias is not supported by Fabula's server.", param="logit_bias")
        max_tokens = self._max_tokens()
        if max_tokens == 0:
            raise APIError(400, "max_tokens must be at least 1.", param="max_tokens")
        values: dict[str, Any] = {k: getattr(self, k) for k in _SAMPLING_FIELDS if getattr(self, k) is not None}
        values.setdefault("temperature", OPENAI_TEMPERATURE)
        if values.get("top_k") == -1:
            values["top_k"] = 0
        stops = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        values["stop"] = tuple(dict.fromkeys(s for s in [*stops, *extra_stops] if s))
        values["max_tokens"] = max_tokens if max_tokens is not None else default_max_tokens
        try:
            return GenerationOptions(**values)
        except ValidationError as exc:
            raise APIError.invalid(exc) from exc

    def _max_tokens(self) -> int | None:
        return self.max_tokens


class CompletionRequest(SamplingRequest):
    """POST /v1/completions."""

    prompt: str | list[str]
    echo: bool | None = False
    logprobs: int | None = Field(None, ge=0, le=20)
    suffix: str | None = None
    best_of: int | None = None

    def text(self) -> str:
        """The one prompt (a list holding one prompt is accepted too)."""
        if self.suffix:
            raise APIError(400, "suffix (insertion) is not supported by Fabula's server.", param="suffix")
        if self.best_of is not None and self.best_of != (self.n or 1):
            raise APIError(400, "best_of is not supported by Fabula's server; use n.", param="best_of")
        if isinstance(self.prompt, str):
            return self.prompt
        if len(self.prompt) == 1:
            return self.prompt[0]
        raise APIError(400, "Send one prompt per request (prompt as a string).", param="prompt")


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        if any(part.type != "text" for part in self.content):
            raise APIError(400, "Only text content parts are supported by Fabula's server.", param="messages")
        return "".join(part.text or "" for part in self.content)


class ChatRequest(SamplingRequest):
    """POST /v1/chat/completions."""

    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=0)
    logprobs: bool | None = None
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    response_format: dict[str, Any] | None = None

    def conversation(self) -> list[tuple[str, str]]:
        """The messages as (role, text) pairs, refusing what cannot be honoured."""
        if self.logprobs:
            raise APIError(
                400, "Chat log-probabilities are not supported; use /v1/completions with echo=true, max_tokens=0.",
                param="logprobs",
            )
        if self.tools or self.functions:
            raise APIError(400, "Tools and functions are not supported by Fabula's server.", param="tools")
        if self.response_format and self.response_format.get("type", "text") != "text":
            raise APIError(400, "Only response_format {'type': 'text'} is supported.", param="response_format")
        return [(m.role, m.text()) for m in self.messages]

    def _max_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens
