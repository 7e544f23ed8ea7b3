"""Opening the database and running transactions on it.

SQLite under FABULA_HOME by default, or any SQLAlchemy URL (PostgreSQL via
psycopg 3). Writes go through `writing()`, reads through `reading()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event, exc, make_url

from fabula.paths import home
from fabula.store.errors import DatabaseUnavailable

URL_ENV = "FABULA_DATABASE_URL"
_WRITE = "fabula_write"  # execution option marking a connection that will write


def default_url() -> str:
    """$FABULA_DATABASE_URL, or SQLite at `fabula.db` in Fabula's home."""
    return os.environ.get(URL_ENV) or f"sqlite:///{home() / 'fabula.db'}"


def parse_url(url: str) -> URL:
    """Parse a URL; bare `postgresql://` and `postgres://` select psycopg 3."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise DatabaseUnavailable(
            f"Not a database URL: {url!r}. Use sqlite:///PATH or postgresql://USER@HOST/DB "
            f"(in ${URL_ENV} or as the url argument)."
        ) from error
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # not psycopg2, which Fabula does not install
    return parsed


def connect(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed)
    except (ImportError, exc.ArgumentError, exc.NoSuchModuleError) as error:
        raise DatabaseUnavailable(
            f"Cannot open database {safe_url(parsed)}: {error}. For PostgreSQL install the driver "
            "with `pip install 'fabula[postgres]'`."
        ) from error
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def safe_url(url: URL | str) -> str:
    """The URL without its password, for messages."""
    return (url if isinstance(url, URL) else make_url(url)).render_as_string(hide_password=True)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on error."""
    with _connection(engine) as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction, so multi-query reads see a single snapshot."""
    with _connection(engine) as conn:
        if engine.dialect.name == "postgresql":  # its default snapshot is per statement
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


@contextmanager
def _connection(engine: Engine) -> Iterator[Connection]:
    try:
        conn = engine.connect()
    except exc.DBAPIError as error:
        raise DatabaseUnavailable(
            f"Cannot connect to database {safe_url(engine.url)}: {error.orig}. Check ${URL_ENV} "
            "(or the url passed to open_store) and that the server is running."
        ) from error
    with conn:
        try:
            yield conn
        except exc.OperationalError as error:
            if engine.dialect.name == "sqlite" and "locked" in str(error.orig):
                raise DatabaseUnavailable(
                    "The database is busy: another Fabula process has been writing to it for a while. "
                    "Try again in a moment."
                ) from error
            raise


def _sqlite_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # Python's sqlite3 opens transactions only before INSERT/UPDATE/DELETE, so DDL
    # (migrations) and reads would run outside them; let SQLAlchemy's begin event do it.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that read first
    # fails outright (SQLITE_BUSY, no waiting) if another writer committed meanwhile.
    mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")
