"""The project store: projects, documents, append-only versions, generation log.

Nothing is overwritten: committing or restoring adds a version. Every public
method runs in one transaction, so a failure leaves the previous state intact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from sqlalchemy import Engine

from fabula.store import export, generations, projects
from fabula.store import versions as history
from fabula.store.database import connect, default_url, reading, writing
from fabula.store.errors import StoreError
from fabula.store.migrations import apply_migrations
from fabula.store.projects import DocumentRef, ProjectRef
from fabula.store.records import Document, GenerationRecord, Passage, Project, Version


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

    # --- export ---------------------------------------------------------------
    def export_project(self, project: ProjectRef, fmt: str = "markdown") -> str:
        """The project as Markdown (current text) or JSON (every version, provenance, log rows)."""
        with reading(self.engine) as conn:
            return export.export_project(conn, project, fmt)


def _document_id(document: DocumentRef) -> int:
    return document.id if isinstance(document, Document) else document


def open_store(url: str | None = None) -> Store:
    """The store at `url` (default: $FABULA_DATABASE_URL, else SQLite `fabula.db` in FABULA_HOME)."""
    return Store(connect(url or default_url()))
