"""Append-only document versions made of passages with provenance.

Rows here are only ever inserted: a commit or a restore adds version n+1
and its passages; no statement in the store updates or deletes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select

from fabula.store.errors import InvalidRecord, NotFound
from fabula.store.records import Passage, Version
from fabula.store.schema import documents, from_text, generations, now_text, passages, versions


def add_version(
    conn: Connection,
    document_id: int,
    content: Sequence[Passage],
    message: str,
    author: str,
    restored_from: int | None = None,
) -> int:
    """Insert the next version of a document; returns its id."""
    _lock_document(conn, document_id)
    _check_references(conn, content)
    number = conn.execute(
        select(func.coalesce(func.max(versions.c.number), 0) + 1).where(versions.c.document_id == document_id)
    ).scalar_one()
    vid = conn.execute(
        insert(versions)
        .values(
            document_id=document_id,
            number=number,
            message=message,
            author=author,
            restored_from=restored_from,
            created_at=now_text(),
        )
        .returning(versions.c.id)
    ).scalar_one()
    if content:
        conn.execute(insert(passages), [_passage_row(vid, position, p) for position, p in enumerate(content)])
    return int(vid)


def version_ids(conn: Connection, document_id: int) -> list[int]:
    query = select(versions.c.id).where(versions.c.document_id == document_id).order_by(versions.c.number)
    return list(conn.execute(query).scalars())


def count_versions(conn: Connection, document_id: int) -> int:
    query = select(func.count()).select_from(versions).where(versions.c.document_id == document_id)
    return int(conn.execute(query).scalar_one())


def head_id(conn: Connection, document_id: int) -> int | None:
    """The id of the document's newest version, or None before the first commit."""
    query = (
        select(versions.c.id)
        .where(versions.c.document_id == document_id)
        .order_by(versions.c.number.desc())
        .limit(1)
    )
    return conn.execute(query).scalar()


def read_versions(conn: Connection, ids: Sequence[int]) -> list[Version]:
    """The versions with these ids, passages included, in the order given."""
    if not ids:
        return []
    rows = {row.id: row for row in conn.execute(select(versions).where(versions.c.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(
            f"No version with id {missing[0]}. See a project's documents and versions with "
            "`fabula project show NAME`."
        )
    content: dict[int, list[Passage]] = {i: [] for i in ids}
    query = (
        select(passages)
        .where(passages.c.version_id.in_(ids))
        .order_by(passages.c.version_id, passages.c.position)
    )
    for row in conn.execute(query):
        content[row.version_id].append(_passage(row))
    return [_version(rows[i], content[i]) for i in ids]


def _lock_document(conn: Connection, document_id: int) -> None:
    # Serialises commits to one document, so two writers cannot pick the same number.
    # (FOR UPDATE on PostgreSQL; SQLite's writer already holds the database lock.)
    query = select(documents.c.id).where(documents.c.id == document_id).with_for_update()
    if conn.execute(query).first() is None:
        raise NotFound(
            f"No document with id {document_id}. See a project's documents with `fabula project show NAME`."
        )


def _check_references(conn: Connection, content: Sequence[Passage]) -> None:
    for p in content:
        if (
            p.generation_id is not None
            and not conn.execute(select(generations.c.id).where(generations.c.id == p.generation_id)).first()
        ):
            raise InvalidRecord(
                f"Passage names generation {p.generation_id}, which is not in the log. "
                "List logged generations with `fabula log`."
            )
        if (
            p.edited_from is not None
            and not conn.execute(select(passages.c.id).where(passages.c.id == p.edited_from)).first()
        ):
            raise InvalidRecord(f"Passage was edited from passage {p.edited_from}, which does not exist.")


def _passage_row(version_id: int, position: int, p: Passage) -> dict[str, Any]:
    return {
        "version_id": version_id,
        "position": position,
        "text": p.text,
        "provenance": p.provenance,
        "model": p.model,
        "params": None if p.params is None else json.dumps(p.params, sort_keys=True),
        "generation_id": p.generation_id,
        "edited_from": p.edited_from,
    }


def _passage(row: Any) -> Passage:
    return Passage(
        id=row.id,
        text=row.text,
        provenance=row.provenance,
        model=row.model,
        params=None if row.params is None else json.loads(row.params),
        generation_id=row.generation_id,
        edited_from=row.edited_from,
    )


def _version(row: Any, content: list[Passage]) -> Version:
    return Version(
        id=row.id,
        document_id=row.document_id,
        number=row.number,
        message=row.message,
        author=row.author,
        created_at=from_text(row.created_at),
        restored_from=row.restored_from,
        passages=content,
    )
