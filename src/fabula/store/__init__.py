"""The project store: projects, versioned documents with provenance, and the generation log.

SQLite in FABULA_HOME by default; any SQLAlchemy URL (PostgreSQL via psycopg 3)
through `open_store(url)` or $FABULA_DATABASE_URL.
"""

from fabula.store.errors import AlreadyExists, DatabaseUnavailable, InvalidRecord, NotFound, StoreError
from fabula.store.export import EXPORTERS
from fabula.store.records import Document, GenerationRecord, Passage, Project, Provenance, Version
from fabula.store.store import Store, open_store

EXPORT_FORMATS: tuple[str, ...] = tuple(EXPORTERS)

__all__ = [
    "EXPORT_FORMATS",
    "AlreadyExists",
    "DatabaseUnavailable",
    "Document",
    "GenerationRecord",
    "InvalidRecord",
    "NotFound",
    "Passage",
    "Project",
    "Provenance",
    "Store",
    "StoreError",
    "Version",
    "open_store",
]
