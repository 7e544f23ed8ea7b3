"""Projects and their documents (queries on an open connection)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, exc, insert, select

from fabula.store.errors import AlreadyExists, InvalidRecord, NotFound
from fabula.store.records import Document, Project
from fabula.store.schema import documents, from_text, now_text, projects

ProjectRef = Project | str | int  # a project, its name, or its id
DocumentRef = Document | int


def create_project(conn: Connection, name: str, description: str) -> Project:
    name = name.strip()
    if not name:
        raise InvalidRecord("A project needs a name: `fabula project new NAME`.")
    if conn.execute(select(projects.c.id).where(projects.c.name == name)).first():
        raise _project_exists(name)
    try:
        pid = conn.execute(
            insert(projects)
            .values(name=name, description=description, created_at=now_text())
            .returning(projects.c.id)
        ).scalar_one()
    except exc.IntegrityError as error:  # a concurrent creator won the UNIQUE race
        raise _project_exists(name) from error
    return get_project(conn, pid)


def list_projects(conn: Connection) -> list[Project]:
    return [_project(row) for row in conn.execute(select(projects).order_by(projects.c.id))]


def get_project(conn: Connection, ref: ProjectRef) -> Project:
    """By name, or by id (an int, or a string of digits that names no project)."""
    key = ref.id if isinstance(ref, Project) else ref
    row = None
    if isinstance(key, str):
        row = conn.execute(select(projects).where(projects.c.name == key)).first()
    if row is None and (isinstance(key, int) or key.isdigit()):
        row = conn.execute(select(projects).where(projects.c.id == int(key))).first()
    if row is None:
        raise NotFound(
            f"No project named '{key}'. List projects with `fabula project list` "
            f"or create one with `fabula project new {key}`."
        )
    return _project(row)


def create_document(conn: Connection, project: ProjectRef, title: str, kind: str) -> Document:
    owner = get_project(conn, project)
    if not title.strip():
        raise InvalidRecord("A document needs a title.")
    if conn.execute(
        select(documents.c.id).where(documents.c.project_id == owner.id, documents.c.title == title)
    ).first():
        raise AlreadyExists(
            f"Project '{owner.name}' already has a document titled '{title}'. "
            f"See its documents with `fabula project show {owner.name}`."
        )
    did = conn.execute(
        insert(documents)
        .values(project_id=owner.id, title=title, kind=kind, created_at=now_text())
        .returning(documents.c.id)
    ).scalar_one()
    return get_document(conn, did)


def list_documents(conn: Connection, project: ProjectRef) -> list[Document]:
    owner = get_project(conn, project)
    query = select(documents).where(documents.c.project_id == owner.id).order_by(documents.c.id)
    return [_document(row) for row in conn.execute(query)]


def get_document(conn: Connection, ref: DocumentRef) -> Document:
    document_id = ref.id if isinstance(ref, Document) else ref
    row = conn.execute(select(documents).where(documents.c.id == document_id)).first()
    if row is None:
        raise NotFound(
            f"No document with id {document_id}. See a project's documents with `fabula project show NAME`."
        )
    return _document(row)


def find_document(conn: Connection, project: ProjectRef, title: str) -> Document:
    owner = get_project(conn, project)
    row = conn.execute(
        select(documents).where(documents.c.project_id == owner.id, documents.c.title == title)
    ).first()
    if row is None:
        raise NotFound(
            f"Project '{owner.name}' has no document titled '{title}'. "
            f"See its documents with `fabula project show {owner.name}`."
        )
    return _document(row)


def _project_exists(name: str) -> AlreadyExists:
    return AlreadyExists(
        f"A project named '{name}' exists already. See it with `fabula project show {name}`."
    )


def _project(row: Any) -> Project:
    return Project(
        id=row.id, name=row.name, description=row.description, created_at=from_text(row.created_at)
    )


def _document(row: Any) -> Document:
    return Document(
        id=row.id,
        project_id=row.project_id,
        title=row.title,
        kind=row.kind,
        created_at=from_text(row.created_at),
    )
