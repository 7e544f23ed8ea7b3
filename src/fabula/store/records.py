"""Typed records read from and written to the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Provenance = Literal["written", "generated", "edited"]


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    description: str
    created_at: str


@dataclass(frozen=True)
class Document:
    id: int
    project_id: int
    title: str
    kind: str
    created_at: str


@dataclass(frozen=True)
class Passage:
    """A span of text and where it came from.

    `generated` passages name the model and its parameters (and the log row
    when there is one); `edited` passages name the passage they were edited from.
    """

    text: str
    provenance: Provenance = "written"
    model: str | None = None
    params: dict[str, Any] | None = None
    generation_id: int | None = None
    edited_from: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class Version:
    id: int
    document_id: int
    number: int
    message: str
    author: str
    created_at: str
    restored_from: int | None
    passages: list[Passage] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.passages)


@dataclass(frozen=True)
class GenerationRecord:
    """One call to a model, as `fabula log` shows it."""

    prompt: str
    model: str
    options: dict[str, Any]
    outputs: list[str]
    started_at: datetime
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_ms: float | None = None
    duration_ms: float | None = None
    project_id: int | None = None
    id: int | None = None
