"""The project store: projects, documents, append-only versions, generation log.

Nothing is overwritten: committing or restoring adds a version. Every write
runs in one transaction, so a failure leaves the previous state intact.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, text

from fabula.store.database import StoreError, connect, default_url
from fabula.store.migrations import apply_migrations
from fabula.store.records import Document, GenerationRecord, Passage, Project, Version


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.begin() as conn:
            apply_migrations(conn)

    # --- projects -------------------------------------------------------
    def create_project(self, name: str, description: str = "") -> Project:
        if not name.strip():
            raise StoreError("A project needs a name: `fabula project new NAME`.")
        with self.engine.begin() as conn:
            if conn.execute(text("SELECT 1 FROM projects WHERE name = :n"), {"n": name}).first():
                raise StoreError(f"A project named '{name}' exists already. See it with `fabula project show {name}`.")
            pid = _insert(conn, "projects", name=name, description=description, created_at=_now())
        return self.get_project(pid)

    def list_projects(self) -> list[Project]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, name, description, created_at FROM projects ORDER BY id"))
            return [Project(*row) for row in rows]

    def get_project(self, key: str | int) -> Project:
        column = "id" if isinstance(key, int) else "name"
        with self.engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT id, name, description, created_at FROM projects WHERE {column} = :k"), {"k": key}
            ).first()
        if row is None:
            raise StoreError(
                f"No project named '{key}'. List projects with `fabula project list` "
                f"or create one with `fabula project new {key}`."
            )
        return Project(*row)

    # --- documents and versions ----------------------------------------
    def create_document(self, project: Project, title: str, kind: str = "prose") -> Document:
        with self.engine.begin() as conn:
            if conn.execute(
                text("SELECT 1 FROM documents WHERE project_id = :p AND title = :t"), {"p": project.id, "t": title}
            ).first():
                raise StoreError(f"Project '{project.name}' already has a document titled '{title}'.")
            did = _insert(conn, "documents", project_id=project.id, title=title, kind=kind, created_at=_now())
        return self.get_document(did)

    def get_document(self, document_id: int) -> Document:
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT id, project_id, title, kind, created_at FROM documents WHERE id = :i"),
                {"i": document_id},
            ).first()
        if row is None:
            raise StoreError(f"No document with id {document_id}.")
        return Document(*row)

    def documents(self, project: Project) -> list[Document]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, project_id, title, kind, created_at FROM documents WHERE project_id = :p ORDER BY id"),
                {"p": project.id},
            )
            return [Document(*row) for row in rows]

    def commit_version(
        self, document: Document, passages: list[Passage], message: str = "", author: str = ""
    ) -> Version:
        """Add a new version made of `passages`; earlier versions stay as they were."""
        with self.engine.begin() as conn:
            vid = self._add_version(conn, document.id, passages, message, author, restored_from=None)
        return self.get_version(vid)

    def restore(self, document: Document, version_id: int, author: str = "") -> Version:
        """Make an old version current again, as a new version (history is kept)."""
        old = self.get_version(version_id)
        if old.document_id != document.id:
            raise StoreError(f"Version {version_id} belongs to another document.")
        copies = [Passage(**{**p.__dict__, "id": None}) for p in old.passages]
        with self.engine.begin() as conn:
            vid = self._add_version(
                conn, document.id, copies, f"restore version {old.number}", author, restored_from=old.id
            )
        return self.get_version(vid)

    def versions(self, document: Document) -> list[Version]:
        with self.engine.connect() as conn:
            ids = conn.execute(
                text("SELECT id FROM versions WHERE document_id = :d ORDER BY number"), {"d": document.id}
            ).scalars()
            return [self._read_version(conn, vid) for vid in ids]

    def get_version(self, version_id: int) -> Version:
        with self.engine.connect() as conn:
            return self._read_version(conn, version_id)

    def current(self, document: Document) -> Version | None:
        with self.engine.connect() as conn:
            vid = conn.execute(
                text("SELECT id FROM versions WHERE document_id = :d ORDER BY number DESC LIMIT 1"),
                {"d": document.id},
            ).scalar()
            return None if vid is None else self._read_version(conn, vid)

    def current_text(self, document: Document) -> str:
        version = self.current(document)
        return version.text if version else ""

    # --- generation log -------------------------------------------------
    def log_generation(self, record: GenerationRecord) -> int:
        with self.engine.begin() as conn:
            return _insert(
                conn,
                "generations",
                project_id=record.project_id,
                model=record.model,
                prompt=record.prompt,
                options=json.dumps(record.options, sort_keys=True),
                outputs=json.dumps(record.outputs, ensure_ascii=False),
                prompt_tokens=record.prompt_tokens,
                completion_tokens=record.completion_tokens,
                started_at=record.started_at.isoformat(timespec="milliseconds"),
                ttft_ms=record.ttft_ms,
                duration_ms=record.duration_ms,
            )

    def list_generations(
        self, limit: int = 20, model: str | None = None, search: str | None = None
    ) -> list[GenerationRecord]:
        """Newest first; `search` matches prompt or output text."""
        clauses, params = [], {"limit": limit}
        if model:
            clauses.append("model = :model")
            params["model"] = model
        if search:
            clauses.append("(prompt LIKE :q OR outputs LIKE :q)")
            params["q"] = f"%{search}%"
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT {_GEN_COLUMNS} FROM generations {where} ORDER BY id DESC LIMIT :limit"), params
            )
            return [_generation(row) for row in rows]

    def get_generation(self, generation_id: int) -> GenerationRecord:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT {_GEN_COLUMNS} FROM generations WHERE id = :i"), {"i": generation_id}
            ).first()
        if row is None:
            raise StoreError(f"No generation with id {generation_id}. List recent ones with `fabula log`.")
        return _generation(row)

    # --- internals --------------------------------------------------------
    def _add_version(
        self, conn: Connection, document_id: int, passages: list[Passage], message: str, author: str,
        restored_from: int | None,
    ) -> int:
        number = conn.execute(
            text("SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE document_id = :d"), {"d": document_id}
        ).scalar_one()
        vid = _insert(
            conn, "versions", document_id=document_id, number=number, message=message, author=author,
            restored_from=restored_from, created_at=_now(),
        )
        for position, p in enumerate(passages):
            _check_provenance(p)
            _insert(
                conn, "passages", version_id=vid, position=position, text=p.text, provenance=p.provenance,
                model=p.model, params=None if p.params is None else json.dumps(p.params, sort_keys=True),
                generation_id=p.generation_id, edited_from=p.edited_from,
            )
        return vid

    def _read_version(self, conn: Connection, version_id: int) -> Version:
        row = conn.execute(
            text(
                "SELECT id, document_id, number, message, author, created_at, restored_from "
                "FROM versions WHERE id = :i"
            ),
            {"i": version_id},
        ).first()
        if row is None:
            raise StoreError(f"No version with id {version_id}. See a document's versions with `fabula project show`.")
        passages = [
            Passage(
                text=r.text, provenance=r.provenance, model=r.model,
                params=None if r.params is None else json.loads(r.params),
                generation_id=r.generation_id, edited_from=r.edited_from, id=r.id,
            )
            for r in conn.execute(
                text(
                    "SELECT id, text, provenance, model, params, generation_id, edited_from "
                    "FROM passages WHERE version_id = :v ORDER BY position"
                ),
                {"v": version_id},
            )
        ]
        return Version(*row, passages=passages)


_GEN_COLUMNS = (
    "id, project_id, model, prompt, options, outputs, prompt_tokens, completion_tokens, "
    "started_at, ttft_ms, duration_ms"
)


def _generation(row: Any) -> GenerationRecord:
    return GenerationRecord(
        id=row.id, project_id=row.project_id, model=row.model, prompt=row.prompt,
        options=json.loads(row.options), outputs=json.loads(row.outputs),
        prompt_tokens=row.prompt_tokens, completion_tokens=row.completion_tokens,
        started_at=datetime.fromisoformat(row.started_at), ttft_ms=row.ttft_ms, duration_ms=row.duration_ms,
    )


def _check_provenance(p: Passage) -> None:
    if p.provenance == "generated" and not p.model:
        raise StoreError("A generated passage must name the model that wrote it.")
    if p.provenance not in ("written", "generated", "edited"):
        raise StoreError(f"Unknown provenance {p.provenance!r}: use written, generated or edited.")


def _insert(conn: Connection, table: str, **values: Any) -> int:
    columns = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    return int(conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"), values).scalar_one())


def open_store(url: str | None = None) -> Store:
    """The store at `url` (default: $FABULA_DATABASE_URL or SQLite in FABULA_HOME)."""
    return Store(connect(url or default_url()))
