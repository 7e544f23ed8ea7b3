"""Typed records read from and written to the store, validated when built."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, get_args

from fabula.store.errors import InvalidRecord

Provenance = Literal["written", "generated", "edited"]
PROVENANCES: tuple[str, ...] = get_args(Provenance)


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    description: str
    created_at: datetime


@dataclass(frozen=True)
class Document:
    id: int
    project_id: int
    title: str
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class Passage:
    """A span of text and where it came from.

    - `written`: typed by a person; no model fields.
    - `generated`: names the model spec, its parameters, and optionally the
      generation-log row it came from.
    - `edited`: names the stored passage (`edited_from`) it was edited from.

    Passages are joined as they are to make a version's text, so they carry
    their own whitespace. `id` is set on passages read back from the store.
    """

    text: str
    provenance: Provenance = "written"
    model: str | None = None
    params: dict[str, Any] | None = None
    generation_id: int | None = None
    edited_from: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise InvalidRecord(
                f"Unknown provenance {self.provenance!r}: use one of {', '.join(PROVENANCES)}."
            )
        generated = self.provenance == "generated"
        if generated and not self.model:
            raise InvalidRecord(
                "A generated passage must name the model that wrote it (model='house:en', ...)."
            )
        if not generated and (self.model or self.params is not None or self.generation_id is not None):
            raise InvalidRecord(
                f"Only generated passages carry model, params or generation_id, not {self.provenance!r} ones."
            )
        if (self.provenance == "edited") != (self.edited_from is not None):
            raise InvalidRecord(
                "An edited passage names the passage it was edited from (edited_from=id), and only it does."
            )


@dataclass(frozen=True)
class Version:
    """One accepted state of a document: an ordered list of passages."""

    id: int
    document_id: int
    number: int
    message: str
    author: str
    created_at: datetime
    restored_from: int | None
    passages: list[Passage] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.passages)


@dataclass(frozen=True)
class GenerationRecord:
    """One call to a model, as `fabula log` shows it. `started_at` is kept in UTC."""

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

    def __post_init__(self) -> None:
        if not self.model:
            raise InvalidRecord("A generation record must name its model spec.")
        if not all(isinstance(o, str) for o in self.outputs):
            raise InvalidRecord("Generation outputs must be a list of strings, one per alternative.")
        # A naive time is taken as local time; storing UTC keeps the log sortable across machines.
        object.__setattr__(self, "started_at", self.started_at.astimezone(timezone.utc))
