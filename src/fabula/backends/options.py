"""Sampling options shared by every backend.

One typed, strict options object: unknown fields are rejected so a typo in
`--top_p` never silently does nothing.
"""

from pydantic import BaseModel, ConfigDict, Field, model_validator


class GenerationOptions(BaseModel):
    """How to sample a continuation. Every backend accepts these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = Field(200, ge=1, description="Most new tokens per alternative.")
    temperature: float = Field(0.8, ge=0.0, le=5.0, description="0 means greedy decoding.")
    top_k: int = Field(0, ge=0, description="Keep the k most likely tokens (0 = off).")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass (1 = off).")
    min_p: float = Field(0.0, ge=0.0, lt=1.0, description="Drop tokens below min_p x the top probability.")
    repetition_penalty: float = Field(
        1.0, gt=0.0, le=3.0, description="CTRL-style penalty on tokens already seen (1 = off)."
    )
    frequency_penalty: float = Field(
        0.0, ge=-2.0, le=2.0, description="Subtract this x count of each generated token from its logit."
    )
    presence_penalty: float = Field(
        0.0, ge=-2.0, le=2.0, description="Subtract this once from the logit of every generated token."
    )
    stop: tuple[str, ...] = Field((), description="Stop an alternative when it produces one of these strings.")
    n: int = Field(1, ge=1, le=64, description="Alternatives sampled together in one batch.")
    seed: int | None = Field(None, description="Seed for reproducible sampling.")

    @model_validator(mode="after")
    def _stop_strings_not_empty(self) -> "GenerationOptions":
        if any(s == "" for s in self.stop):
            raise ValueError("stop strings must not be empty")
        return self

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0
