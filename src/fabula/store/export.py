"""A project as Markdown (current text, for reading) or JSON (everything, for keeping)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from fabula.store import generations, projects, versions
from fabula.store.errors import StoreError
from fabula.store.projects import ProjectRef
from fabula.store.records import Project

JSON_FORMAT_VERSION = 1


def export_project(conn: Connection, ref: ProjectRef, fmt: str) -> str:
    if fmt not in EXPORTERS:
        raise StoreError(f"Unknown export format {fmt!r}: use one of {', '.join(EXPORTERS)}.")
    return EXPORTERS[fmt](conn, projects.get_project(conn, ref))


def export_markdown(conn: Connection, project: Project) -> str:
    parts = [f"# {project.name}\n"]
    if project.description:
        parts.append(f"{project.description}\n")
    for document in projects.list_documents(conn, project):
        head = versions.head_id(conn, document.id)
        text = versions.read_versions(conn, [head])[0].text.strip() if head else ""
        parts.append(f"## {document.title}\n\n{text}\n" if text else f"## {document.title}\n")
    return "\n".join(parts)


def export_json(conn: Connection, project: Project) -> str:
    documents = []
    cited: set[int] = set()
    for document in projects.list_documents(conn, project):
        history = versions.read_versions(conn, versions.version_ids(conn, document.id))
        cited.update(p.generation_id for v in history for p in v.passages if p.generation_id is not None)
        documents.append({**asdict(document), "versions": [asdict(v) for v in history]})
    log = [asdict(r) for r in generations.generations_for(conn, project.id, sorted(cited))]
    payload = {
        "fabula_export": JSON_FORMAT_VERSION,
        "project": asdict(project),
        "documents": documents,
        "generations": log,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"Cannot export {type(value).__name__} as JSON")


EXPORTERS: dict[str, Callable[[Connection, Project], str]] = {
    "markdown": export_markdown,
    "json": export_json,
}
