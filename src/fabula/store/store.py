"""The project store: projects, documents, append-only versions, generation log.

Nothing is overwritten: committing or restoring adds a version. Every public
method runs in one transaction, so a failure leaves the previous state intact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

from sqlalchemy import Engine

from fabula.store import export, generations, projects
from fabula.store import story as stories
from fabula.store import versions as history
from fabula.store.database import connect, default_url, reading, writing
from fabula.store.errors import StoreError
from fabula.store.migrations import apply_migrations
from fabula.store.projects import DocumentRef, ProjectRef
from fabula.store.records import (
    BranchTree,
    Document,
    FactRecord,
    GenerationRecord,
    HeadMove,
    Node,
    Passage,
    Project,
    Provenance,
    StateRecord,
    Version,
)


class Store:
    """All reads and writes of Fabula's database. Build one with `open_store()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with writing(engine) as conn:
            apply_migrations(conn)

    def close(self) -> None:
        """Release pooled connections (a PostgreSQL server counts them)."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- projects and documents -------------------------------------------
    def create_project(self, name: str, description: str = "") -> Project:
        with writing(self.engine) as conn:
            return projects.create_project(conn, name, description)

    def list_projects(self) -> list[Project]:
        with reading(self.engine) as conn:
            return projects.list_projects(conn)

    def get_project(self, project: ProjectRef) -> Project:
        """By name or id; raises `NotFound` with the commands to list or create one."""
        with reading(self.engine) as conn:
            return projects.get_project(conn, project)

    def create_document(self, project: ProjectRef, title: str, kind: str = "prose") -> Document:
        with writing(self.engine) as conn:
            return projects.create_document(conn, project, title, kind)

    def documents(self, project: ProjectRef) -> list[Document]:
        with reading(self.engine) as conn:
            return projects.list_documents(conn, project)

    def get_document(self, document: DocumentRef) -> Document:
        with reading(self.engine) as conn:
            return projects.get_document(conn, document)

    def find_document(self, project: ProjectRef, title: str) -> Document:
        with reading(self.engine) as conn:
            return projects.find_document(conn, project, title)

    # --- versions -----------------------------------------------------------
    def commit_version(
        self, document: DocumentRef, passages: Sequence[Passage], message: str = "", author: str = ""
    ) -> Version:
        """Add the next version, made of `passages`; earlier versions stay as they were."""
        with writing(self.engine) as conn:
            vid = history.add_version(conn, _document_id(document), passages, message, author)
            return history.read_versions(conn, [vid])[0]

    def restore(
        self, document: DocumentRef, version_id: int, author: str = "", message: str | None = None
    ) -> Version:
        """Make an old version current again by adding a copy of it (provenance kept)."""
        document_id = _document_id(document)
        with writing(self.engine) as conn:
            (old,) = history.read_versions(conn, [version_id])
            if old.document_id != document_id:
                raise StoreError(f"Version {version_id} belongs to another document (id {old.document_id}).")
            vid = history.add_version(
                conn,
                document_id,
                old.passages,
                message or f"restore version {old.number}",
                author,
                restored_from=old.id,
            )
            return history.read_versions(conn, [vid])[0]

    def versions(self, document: DocumentRef) -> list[Version]:
        """Every version of the document, oldest first."""
        with reading(self.engine) as conn:
            return history.read_versions(conn, history.version_ids(conn, _document_id(document)))

    def count_versions(self, document: DocumentRef) -> int:
        with reading(self.engine) as conn:
            return history.count_versions(conn, _document_id(document))

    def get_version(self, version_id: int) -> Version:
        with reading(self.engine) as conn:
            return history.read_versions(conn, [version_id])[0]

    def current(self, document: DocumentRef) -> Version | None:
        """The newest version, or None before the first commit."""
        with reading(self.engine) as conn:
            vid = history.head_id(conn, _document_id(document))
            return None if vid is None else history.read_versions(conn, [vid])[0]

    def current_text(self, document: DocumentRef) -> str:
        version = self.current(document)
        return version.text if version else ""

    # --- generation log -------------------------------------------------------
    def log_generation(self, record: GenerationRecord) -> int:
        """Append a row to the generation log; returns its id."""
        with writing(self.engine) as conn:
            if record.project_id is not None:
                projects.get_project(conn, record.project_id)
            return generations.log_generation(conn, record)

    def list_generations(
        self,
        limit: int = 20,
        model: str | None = None,
        search: str | None = None,
        project: ProjectRef | None = None,
    ) -> list[GenerationRecord]:
        """Newest first. `model` is a spec or a bare backend name; `search` matches prompts
        and outputs, ignoring ASCII case."""
        with reading(self.engine) as conn:
            project_id = None if project is None else projects.get_project(conn, project).id
            return generations.list_generations(conn, limit, model, search, project_id)

    def get_generation(self, generation_id: int) -> GenerationRecord:
        with reading(self.engine) as conn:
            return generations.get_generation(conn, generation_id)

    # --- story: bible and plan versions ----------------------------------------
    def save_state(
        self,
        project: ProjectRef,
        kind: str,
        payload: Mapping[str, Any],
        provenance: Provenance = "written",
        model: str | None = None,
        message: str = "",
    ) -> StateRecord:
        """Save the project's bible or plan (`kind`) as its next numbered version."""
        with writing(self.engine) as conn:
            return stories.save_state(conn, project, kind, payload, provenance, model, message)

    def latest_state(self, project: ProjectRef, kind: str) -> StateRecord | None:
        with reading(self.engine) as conn:
            return stories.latest_state(conn, project, kind)

    def states(self, project: ProjectRef, kind: str) -> list[StateRecord]:
        """Every saved version of the bible or plan, oldest first."""
        with reading(self.engine) as conn:
            return stories.states(conn, project, kind)

    def state(self, project: ProjectRef, kind: str, number: int) -> StateRecord:
        with reading(self.engine) as conn:
            return stories.state(conn, project, kind, number)

    # --- story: continuation trees ----------------------------------------------
    def add_branch_nodes(
        self,
        document: DocumentRef,
        parent_id: int | None,
        texts: Sequence[str],
        provenance: Provenance = "generated",
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        generation_id: int | None = None,
    ) -> list[Node]:
        """Add alternatives after `parent_id` (None: new roots) as candidates; the head stays."""
        with writing(self.engine) as conn:
            return stories.add_nodes(
                conn, _document_id(document), parent_id, texts, provenance, model, params, generation_id
            )

    def append_node(
        self,
        document: DocumentRef,
        text: str,
        provenance: Provenance = "written",
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        generation_id: int | None = None,
    ) -> Node:
        """Add one accepted passage after the head and move the head to it (undo takes it back)."""
        with writing(self.engine) as conn:
            return stories.append(conn, _document_id(document), text, provenance, model, params, generation_id)

    def branch_node(self, node_id: int) -> Node:
        with reading(self.engine) as conn:
            return stories.get_node(conn, node_id)

    def branch_children(self, node: Node | int) -> list[Node]:
        """The alternatives after a node, oldest first."""
        with reading(self.engine) as conn:
            return stories.children(conn, _node_id(node))

    def branch_roots(self, document: DocumentRef) -> list[Node]:
        with reading(self.engine) as conn:
            return stories.roots(conn, _document_id(document))

    def branch_path(self, node: Node | int) -> list[Node]:
        """The passages from the root to `node`: the text that node continues, and it."""
        with reading(self.engine) as conn:
            return stories.path(conn, _node_id(node))

    def branch_head(self, document: DocumentRef) -> Node | None:
        """The last passage of the document's current text, or None before the first."""
        with reading(self.engine) as conn:
            return stories.head(conn, _document_id(document))

    def move_head(self, document: DocumentRef, node_id: int | None, accept: bool = False) -> Node | None:
        """Make `node_id` the head (logged, so `undo_head` can step back); `accept` marks it accepted."""
        with writing(self.engine) as conn:
            return stories.move_head(conn, _document_id(document), node_id, accept)

    def undo_head(self, document: DocumentRef) -> Node | None:
        """Step back one head move (in this or any earlier process); returns the new head."""
        with writing(self.engine) as conn:
            return stories.undo_head(conn, _document_id(document))

    def head_moves(self, document: DocumentRef) -> list[HeadMove]:
        """The document's head log, oldest first."""
        with reading(self.engine) as conn:
            return stories.moves(conn, _document_id(document))

    def set_branch_status(self, node_id: int, status: str) -> Node:
        """Mark a node candidate, accepted or rejected (a node of the current text cannot be rejected)."""
        with writing(self.engine) as conn:
            return stories.set_status(conn, node_id, status)

    def branch_tree(self, document: DocumentRef) -> BranchTree:
        """Every node of the document's tree and its head, read in one snapshot."""
        with reading(self.engine) as conn:
            return stories.tree(conn, _document_id(document))

    # --- story: canon facts -----------------------------------------------------
    def add_facts(self, project: ProjectRef, facts: Sequence[Mapping[str, Any]]) -> list[int]:
        """Store facts (dicts, or dataclasses, with exactly the canon fields); all or none."""
        with writing(self.engine) as conn:
            return stories.add_facts(conn, project, facts)

    def facts(self, project: ProjectRef, status: str | None = None) -> list[FactRecord]:
        """The project's facts in story order (scene_order, then id), optionally of one status."""
        with reading(self.engine) as conn:
            return stories.list_facts(conn, project, status)

    def decide_facts(self, ids: Sequence[int], status: str) -> list[FactRecord]:
        """Accept or reject proposed facts; an unknown id changes nothing."""
        with writing(self.engine) as conn:
            return stories.decide_facts(conn, ids, status)

    # --- export ---------------------------------------------------------------
    def export_project(self, project: ProjectRef, fmt: str = "markdown") -> str:
        """The project as Markdown (current text) or JSON (every version, provenance, log rows)."""
        with reading(self.engine) as conn:
            return export.export_project(conn, project, fmt)


def _document_id(document: DocumentRef) -> int:
    return document.id if isinstance(document, Document) else document


def _node_id(node: Node | int) -> int:
    return node.id if isinstance(node, Node) else node


def open_store(url: str | None = None) -> Store:
    """The store at `url` (default: $FABULA_DATABASE_URL, else SQLite `fabula.db` in FABULA_HOME)."""
    return Store(connect(url or default_url()))
