"""A project as Markdown (for reading) or JSON (every version, with provenance)."""

from __future__ import annotations

import json
from dataclasses import asdict

from fabula.store.records import Project
from fabula.store.store import Store


def export_markdown(store: Store, project: Project) -> str:
    parts = [f"# {project.name}\n"]
    if project.description:
        parts.append(f"{project.description}\n")
    for document in store.documents(project):
        parts.append(f"## {document.title}\n\n{store.current_text(document).strip()}\n")
    return "\n".join(parts)


def export_json(store: Store, project: Project) -> str:
    documents = [
        {**asdict(d), "versions": [asdict(v) for v in store.versions(d)]} for d in store.documents(project)
    ]
    return json.dumps({"project": asdict(project), "documents": documents}, ensure_ascii=False, indent=2)


EXPORTERS = {"markdown": export_markdown, "json": export_json}
