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


# --- the story engine: bible/plan states, continuation trees, canon facts ------------------

StateKind = Literal["bible", "plan"]
STATE_KINDS: tuple[str, ...] = get_args(StateKind)
NodeStatus = Literal["candidate", "accepted", "rejected"]
NODE_STATUSES: tuple[str, ...] = get_args(NodeStatus)
FactSource = Literal["extracted", "model", "written"]
FACT_SOURCES: tuple[str, ...] = get_args(FactSource)
FactStatus = Literal["proposed", "accepted", "rejected"]
FACT_STATUSES: tuple[str, ...] = get_args(FactStatus)


def check_origin(provenance: str, model: str | None, extra: bool = False) -> None:
    """The rule passages follow, for records without `edited_from`: generated names its model,
    and only generated records carry a model (or, when `extra`, params and a generation id)."""
    if provenance not in PROVENANCES:
        raise InvalidRecord(f"Unknown provenance {provenance!r}: use one of {', '.join(PROVENANCES)}.")
    if provenance == "generated" and not model:
        raise InvalidRecord("Generated text must name the model that wrote it (model='house:en', ...).")
    if provenance != "generated" and (model or extra):
        raise InvalidRecord(
            f"Only generated text carries model, params or generation_id, not {provenance!r} text."
        )


@dataclass(frozen=True)
class StateRecord:
    """One saved version of a project's bible or plan (a JSON object), numbered per kind."""

    id: int
    project_id: int
    kind: StateKind
    number: int
    payload: dict[str, Any]
    provenance: Provenance
    model: str | None
    message: str
    created_at: datetime


@dataclass(frozen=True)
class Node:
    """A passage in a document's tree of continuations; children are its alternatives.

    Like a `Passage` it carries its own whitespace, so a path's text is its texts joined.
    """

    id: int
    document_id: int
    parent_id: int | None
    text: str
    provenance: Provenance
    model: str | None
    params: dict[str, Any] | None
    generation_id: int | None
    status: NodeStatus
    created_at: datetime


@dataclass(frozen=True)
class HeadMove:
    """One entry of a document's head log: a move (`choose`, a written passage) or an undo of one."""

    id: int
    document_id: int
    from_node: int | None
    to_node: int | None
    kind: Literal["move", "undo"]
    undoes: int | None  # for an undo: the move it took back
    status_before: str | None  # the moved-to node's status before a move that accepted it
    created_at: datetime


@dataclass(frozen=True)
class BranchTree:
    """Every node of a document's continuation tree (oldest first) and its head."""

    nodes: list[Node]
    head_id: int | None

    def children(self, node_id: int | None) -> list[Node]:
        """The alternatives after `node_id` (None: the roots), oldest first."""
        return [n for n in self.nodes if n.parent_id == node_id]

    def path(self, node_id: int | None) -> list[Node]:
        """Root to `node_id`; empty for None."""
        by_id = {n.id: n for n in self.nodes}
        out: list[Node] = []
        while node_id is not None:
            out.append(by_id[node_id])
            node_id = by_id[node_id].parent_id
        return out[::-1]


@dataclass(frozen=True)
class FactRecord:
    """A canon fact as stored: what became true (subject, relation, value) in which scene."""

    id: int
    project_id: int
    subject: str
    relation: str
    value: str
    scene_id: str
    scene_order: int
    evidence: str
    source: FactSource
    status: FactStatus
    created_at: datetime
    decided_at: datetime | None

    def fact(self) -> dict[str, Any]:
        """The fact's own fields (what `add_facts` takes), without the store's id and times."""
        return {name: getattr(self, name) for name in FACT_FIELDS}


FACT_FIELDS: tuple[str, ...] = (
    "subject", "relation", "value", "scene_id", "scene_order", "evidence", "source", "status"
)
