"""Numbered, append-only schema migrations.

A migration is (number, name, steps); a step is SQL written to run on both
SQLite and PostgreSQL (`{pk}` is the auto-increment primary key), or a
function of the connection for data changes. Pending migrations are applied in
order inside the caller's transaction and recorded in `_migrations`.
Never edit, renumber or remove an entry: append the next number instead
(tests/store/test_migrations.py pins a fingerprint of each existing one).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

from fabula.store.errors import StoreError

Step = str | Callable[[Connection], None]
Migration = tuple[int, str, list[Step]]

# An auto-increment primary key, spelled per dialect.
_PK = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "BIGSERIAL PRIMARY KEY"}
# Any constant: the key of the PostgreSQL advisory lock that serialises migrating processes.
_PG_LOCK_KEY = 0x46414255

MIGRATIONS: list[Migration] = [
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
    (
        3,
        "index generations and passages by what they point to",
        [
            "CREATE INDEX generations_project ON generations (project_id)",
            "CREATE INDEX passages_generation ON passages (generation_id)",
            "CREATE INDEX passages_edited_from ON passages (edited_from)",
        ],
    ),
    (
        4,
        "story: bible and plan versions, continuation trees, canon facts",
        [
            # A project's bible and plan: every save is a new numbered row (nothing is overwritten).
            """CREATE TABLE story_states (
                id {pk},
                project_id BIGINT NOT NULL REFERENCES projects(id),
                kind TEXT NOT NULL CHECK (kind IN ('bible', 'plan')),
                number INTEGER NOT NULL,
                payload TEXT NOT NULL,
                provenance TEXT NOT NULL CHECK (provenance IN ('written', 'generated', 'edited')),
                model TEXT,
                message TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                UNIQUE (project_id, kind, number)
            )""",
            # Continuations as a tree per document: a node's children are its alternatives.
            """CREATE TABLE branch_nodes (
                id {pk},
                document_id BIGINT NOT NULL REFERENCES documents(id),
                parent_id BIGINT REFERENCES branch_nodes(id),
                text TEXT NOT NULL,
                provenance TEXT NOT NULL CHECK (provenance IN ('written', 'generated', 'edited')),
                model TEXT,
                params TEXT,
                generation_id BIGINT REFERENCES generations(id),
                status TEXT NOT NULL CHECK (status IN ('candidate', 'accepted', 'rejected')),
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX branch_nodes_document ON branch_nodes (document_id)",
            "CREATE INDEX branch_nodes_parent ON branch_nodes (parent_id)",
            "CREATE INDEX branch_nodes_generation ON branch_nodes (generation_id)",
            """CREATE TABLE branch_heads (
                document_id BIGINT PRIMARY KEY REFERENCES documents(id),
                node_id BIGINT REFERENCES branch_nodes(id),
                moved_at TEXT NOT NULL
            )""",
            # Every head change, so undo can step back through choices in any later process.
            """CREATE TABLE branch_moves (
                id {pk},
                document_id BIGINT NOT NULL REFERENCES documents(id),
                from_node BIGINT REFERENCES branch_nodes(id),
                to_node BIGINT REFERENCES branch_nodes(id),
                kind TEXT NOT NULL CHECK (kind IN ('move', 'undo')),
                undoes BIGINT REFERENCES branch_moves(id),
                status_before TEXT,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX branch_moves_document ON branch_moves (document_id)",
            "CREATE INDEX branch_moves_undoes ON branch_moves (undoes)",
            """CREATE TABLE canon_facts (
                id {pk},
                project_id BIGINT NOT NULL REFERENCES projects(id),
                subject TEXT NOT NULL,
                relation TEXT NOT NULL,
                value TEXT NOT NULL,
                scene_id TEXT NOT NULL,
                scene_order INTEGER NOT NULL,
                evidence TEXT NOT NULL DEFAULT '',
                source TEXT NOT NULL CHECK (source IN ('extracted', 'model', 'written')),
                status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected')),
                created_at TEXT NOT NULL,
                decided_at TEXT
            )""",
            "CREATE INDEX canon_facts_project ON canon_facts (project_id, scene_order)",
        ],
    ),
    (
        5,
        "eval runs: samples, metric values, checkpoints, A/B judgements",
        [
            # One evaluation of a suite; `status` is 'running' until its last task is stored.
            """CREATE TABLE eval_runs (
                id {pk},
                suite TEXT NOT NULL,
                suite_hash TEXT NOT NULL,
                model TEXT NOT NULL,
                fabula_version TEXT NOT NULL,
                git_commit TEXT,
                config TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('running', 'done')),
                created_at TEXT NOT NULL,
                finished_at TEXT
            )""",
            "CREATE INDEX eval_runs_suite ON eval_runs (suite)",
            # The checkpoint: a task is listed here in the transaction that stores its samples.
            """CREATE TABLE eval_run_tasks (
                run_id BIGINT NOT NULL REFERENCES eval_runs(id),
                task TEXT NOT NULL,
                seconds DOUBLE PRECISION NOT NULL,
                finished_at TEXT NOT NULL,
                PRIMARY KEY (run_id, task)
            )""",
            """CREATE TABLE eval_samples (
                id {pk},
                run_id BIGINT NOT NULL REFERENCES eval_runs(id),
                task TEXT NOT NULL,
                prompt_index INTEGER NOT NULL,
                prompt TEXT NOT NULL,
                temperature DOUBLE PRECISION NOT NULL,
                seed INTEGER NOT NULL,
                sample_index INTEGER NOT NULL,
                model TEXT NOT NULL,
                output TEXT NOT NULL,
                UNIQUE (run_id, task, prompt_index, temperature, seed, sample_index)
            )""",
            # A metric's value on one unit: a sample, or a group of samples (distinct-n, self-BLEU);
            # NULL where the metric is undefined on that unit (too short a text).
            """CREATE TABLE eval_values (
                id {pk},
                run_id BIGINT NOT NULL REFERENCES eval_runs(id),
                metric TEXT NOT NULL,
                unit TEXT NOT NULL,
                task TEXT NOT NULL,
                temperature DOUBLE PRECISION NOT NULL,
                sample_id BIGINT REFERENCES eval_samples(id),
                value DOUBLE PRECISION,
                UNIQUE (run_id, metric, unit)
            )""",
            "CREATE INDEX eval_values_sample ON eval_values (sample_id)",
            """CREATE TABLE ab_judgements (
                id {pk},
                run_a BIGINT NOT NULL REFERENCES eval_runs(id),
                run_b BIGINT NOT NULL REFERENCES eval_runs(id),
                sample_a BIGINT NOT NULL REFERENCES eval_samples(id),
                sample_b BIGINT NOT NULL REFERENCES eval_samples(id),
                shown_first TEXT NOT NULL CHECK (shown_first IN ('a', 'b')),
                choice TEXT NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'skip')),
                judge TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX ab_judgements_runs ON ab_judgements (run_a, run_b)",
        ],
    ),
]


def latest() -> int:
    return MIGRATIONS[-1][0]


def applied(conn: Connection) -> list[int]:
    """Numbers recorded in `_migrations` (empty for a new database)."""
    _create_ledger(conn)
    return list(conn.execute(text("SELECT number FROM _migrations ORDER BY number")).scalars())


def apply_migrations(conn: Connection) -> list[int]:
    """Apply every migration not yet recorded, in order; returns the numbers applied."""
    _check_numbering(MIGRATIONS)
    if conn.dialect.name == "postgresql":
        # Two processes opening a new database at once would both try to create the tables.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    done = set(applied(conn))
    if done and max(done) > latest():
        raise StoreError(
            f"This database has migration {max(done)} but this Fabula knows only up to {latest()}: "
            "it was written by a newer Fabula. Upgrade Fabula (`pip install -U fabula`)."
        )
    pk = _PK.get(conn.dialect.name, _PK["postgresql"])
    new = []
    for number, name, steps in MIGRATIONS:
        if number in done:
            continue
        for step in steps:
            if callable(step):
                step(conn)
            else:
                conn.execute(text(step.format(pk=pk)))
        conn.execute(
            text("INSERT INTO _migrations (number, name, applied_at) VALUES (:n, :name, CURRENT_TIMESTAMP)"),
            {"n": number, "name": name},
        )
        new.append(number)
    return new


def _create_ledger(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS _migrations "
            "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    )


def _check_numbering(migrations: list[Migration]) -> None:
    numbers = [number for number, _, _ in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"Migrations must be numbered 1, 2, 3... in order; found {numbers}.")
