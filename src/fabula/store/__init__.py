"""The project store: SQLite by default, PostgreSQL through SQLAlchemy."""

from fabula.store.database import StoreError
from fabula.store.records import Document, GenerationRecord, Passage, Project, Version
from fabula.store.store import Store, open_store

__all__ = [
    "Document",
    "GenerationRecord",
    "Passage",
    "Project",
    "Store",
    "StoreError",
    "Version",
    "open_store",
]
