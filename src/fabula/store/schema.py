"""The tables as the migrations leave them, for building queries with SQLAlchemy Core.

Never used to create tables (migrations do that); a test checks that these
columns match a freshly migrated database, on SQLite and PostgreSQL.
Timestamps are ISO 8601 text in UTC; JSON fields are text.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Integer, MetaData, Table, Text

metadata = MetaData()


def _id() -> Column[int]:
    return Column("id", BigInteger, primary_key=True)


projects = Table(
    "projects",
    metadata,
    _id(),
    Column("name", Text, nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    _id(),
    Column("project_id", BigInteger, ForeignKey("projects.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

versions = Table(
    "versions",
    metadata,
    _id(),
    Column("document_id", BigInteger, ForeignKey("documents.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("restored_from", BigInteger, ForeignKey("versions.id")),
    Column("created_at", Text, nullable=False),
)

passages = Table(
    "passages",
    metadata,
    _id(),
    Column("version_id", BigInteger, ForeignKey("versions.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("provenance", Text, nullable=False),
    Column("model", Text),
    Column("params", Text),  # JSON object
    Column("generation_id", BigInteger),
    Column("edited_from", BigInteger, ForeignKey("passages.id")),
)

generations = Table(
    "generations",
    metadata,
    _id(),
    Column("project_id", BigInteger, ForeignKey("projects.id")),
    Column("model", Text, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("options", Text, nullable=False),  # JSON object
    Column("outputs", Text, nullable=False),  # JSON list of strings
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("started_at", Text, nullable=False),
    Column("ttft_ms", Float),
    Column("duration_ms", Float),
)


def now_text() -> str:
    """The current UTC time as stored."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def to_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def from_text(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
