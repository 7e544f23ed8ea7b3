"""Catalogue folders registered the way a plugin registers them: entry points naming a folder.

Every catalogue (poem forms, beat sheets, endings, rubrics, eval suites) is a folder of TOML files.
A package adds one with an entry point in the catalogue's group whose object is a folder path or a
function returning one; Fabula's own folder is registered the same way, and is read first even in a
source tree that was never installed (no entry points then).
"""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from fabula.errors import FabulaError

__all__ = ["catalog_folders", "read_catalog_file"]


def catalog_folders(group: str, builtin: Path) -> list[Path]:
    """`builtin` first, then every other folder registered in entry-point `group`, by name."""
    folders = [builtin]
    seen = {builtin.resolve()}
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        found = ep.load()
        folder = Path(found() if callable(found) else found)
        if folder.resolve() not in seen:
            seen.add(folder.resolve())
            folders.append(folder)
    return folders


def read_catalog_file(path: Path, what: str) -> dict[str, Any]:
    """One catalogue file's TOML; a broken file is an error naming it (`what`: "Form catalogue")."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FabulaError(f"{what} {path} is not valid TOML: {exc}. Fix or remove it.") from exc
