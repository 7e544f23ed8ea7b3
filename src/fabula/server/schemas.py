"""Request bodies of the OpenAI-compatible endpoints (the fields Fabula honours)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fabula.backends.options import GenerationOptions


class SamplingFields(BaseModel):
    model_config = ConfigDict(extra="ignore")  # clients send fields we do not use (user, ...)

    model: str = ""
    max_tokens: int | None = Field(None, ge=0)
    temperature: float = 1.0
    top_p: float = 1.0
    n: int = 1
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool = False
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0

    def options(self, default_max_tokens: int) -> GenerationOptions:
        stop = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        return GenerationOptions(
            max_tokens=max(1, self.max_tokens if self.max_tokens is not None else default_max_tokens),
            temperature=self.temperature, top_p=self.top_p, n=self.n, stop=tuple(stop), seed=self.seed,
            frequency_penalty=self.frequency_penalty, presence_penalty=self.presence_penalty,
            top_k=self.top_k, min_p=self.min_p, repetition_penalty=self.repetition_penalty,
        )


class CompletionRequest(SamplingFields):
    prompt: str
    echo: bool = False
    logprobs: int | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str


class ChatRequest(SamplingFields):
    messages: list[ChatMessage]


def render_chat(messages: list[ChatMessage]) -> str:
    """Messages as one prompt for a base model.

    A lone user message is sent verbatim (so chat and completions agree);
    otherwise each message becomes "Role: content" and the prompt ends with
    "Assistant:" for the model to continue.
    """
    if len(messages) == 1 and messages[0].role == "user":
        return messages[0].content
    lines = [f"{m.role.capitalize()}: {m.content}" for m in messages]
    return "\n\n".join(lines) + "\n\nAssistant:"
