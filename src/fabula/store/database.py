"""Opening the database: SQLite under FABULA_HOME by default, or any SQLAlchemy URL."""

from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine, event

from fabula.errors import FabulaError
from fabula.paths import home

URL_ENV = "FABULA_DATABASE_URL"


class StoreError(FabulaError):
    """The store cannot do what was asked (unknown project, bad database URL...)."""


def default_url() -> str:
    return os.environ.get(URL_ENV) or f"sqlite:///{home() / 'fabula.db'}"


def connect(url: str) -> Engine:
    if url.startswith("postgresql") and "+" not in url.split(":", 1)[0]:
        url = url.replace("postgresql", "postgresql+psycopg", 1)  # psycopg 3, not psycopg2
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # bad URL or missing driver
        raise StoreError(
            f"Cannot open database {url!r}: {exc}. Use sqlite:///PATH, or "
            "postgresql://USER@HOST/DB with `pip install 'fabula[postgres]'`."
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()
