"""Numbered, append-only schema migrations.

Each migration is a list of SQL statements written to run on both SQLite and
PostgreSQL. Applied ones are recorded in `_migrations`; never edit or reorder
an existing entry: append a new number instead.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# An auto-increment primary key, spelled per dialect.
_PK = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "BIGSERIAL PRIMARY KEY"}

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "projects, documents, versions, passages",
        [
            """CREATE TABLE projects (
                id {pk},
                name TEXT NOT NULL UNIQUE,
                description TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE documents (
                id {pk},
                project_id BIGINT NOT NULL REFERENCES projects(id),
                title TEXT NOT NULL,
                kind TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (project_id, title)
            )""",
            """CREATE TABLE versions (
                id {pk},
                document_id BIGINT NOT NULL REFERENCES documents(id),
                number INTEGER NOT NULL,
                message TEXT NOT NULL DEFAULT '',
                author TEXT NOT NULL DEFAULT '',
                restored_from BIGINT REFERENCES versions(id),
                created_at TEXT NOT NULL,
                UNIQUE (document_id, number)
            )""",
            """CREATE TABLE passages (
                id {pk},
                version_id BIGINT NOT NULL REFERENCES versions(id),
                position INTEGER NOT NULL,
                text TEXT NOT NULL,
                provenance TEXT NOT NULL CHECK (provenance IN ('written', 'generated', 'edited')),
                model TEXT,
                params TEXT,
                generation_id BIGINT,
                edited_from BIGINT REFERENCES passages(id),
                UNIQUE (version_id, position)
            )""",
        ],
    ),
    (
        2,
        "generation log",
        [
            """CREATE TABLE generations (
                id {pk},
                project_id BIGINT REFERENCES projects(id),
                model TEXT NOT NULL,
                prompt TEXT NOT NULL,
                options TEXT NOT NULL,
                outputs TEXT NOT NULL,
                prompt_tokens INTEGER,
                completion_tokens INTEGER,
                started_at TEXT NOT NULL,
                ttft_ms DOUBLE PRECISION,
                duration_ms DOUBLE PRECISION
            )""",
            "CREATE INDEX generations_started ON generations (started_at)",
            "CREATE INDEX generations_model ON generations (model)",
        ],
    ),
]


def apply_migrations(conn: Connection) -> list[int]:
    """Apply every migration not yet recorded; returns the numbers applied."""
    conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS _migrations "
            "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    )
    done = {row[0] for row in conn.execute(text("SELECT number FROM _migrations"))}
    pk = _PK.get(conn.dialect.name, _PK["postgresql"])
    applied = []
    for number, name, statements in MIGRATIONS:
        if number in done:
            continue
        for statement in statements:
            conn.execute(text(statement.format(pk=pk)))
        conn.execute(
            text("INSERT INTO _migrations (number, name, applied_at) VALUES (:n, :name, CURRENT_TIMESTAMP)"),
            {"n": number, "name": name},
        )
        applied.append(number)
    return applied
