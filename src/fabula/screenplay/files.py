"""Screenplay files by suffix: read Fountain or Final Draft, export Fountain, PDF or Final Draft."""

from __future__ import annotations

from pathlib import Path

from fabula.atomic import write_text_atomic
from fabula.errors import FabulaError
from fabula.screenplay.model import Screenplay

__all__ = ["EXPORTS", "READS", "export", "read", "read_text"]

READS = (".fountain", ".spmd", ".txt", ".fdx")
EXPORTS = (".pdf", ".fdx", ".fountain")


def read_text(path: Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise FabulaError(f"No screenplay at {path}: give the path of a {' or '.join(READS)} file.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FabulaError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}): save it as UTF-8."
        ) from exc


def read(path: Path) -> Screenplay:
    """A screenplay from a Fountain file (.fountain, .spmd, .txt) or a Final Draft file (.fdx)."""
    path = Path(path)
    if path.suffix.lower() not in READS:
        raise FabulaError(f"Cannot read {path.name}: screenplays are read from {', '.join(READS)} files.")
    text = read_text(path)
    if path.suffix.lower() == ".fdx":
        from fabula.screenplay.fdx import from_fdx

        return from_fdx(text)
    from fabula.screenplay.fountain import parse

    return parse(text)


def export(sp: Screenplay, path: Path) -> Path:
    """Write a screenplay in the format its suffix names (.pdf, .fdx or .fountain), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from fabula.screenplay.pdf import to_pdf

        return to_pdf(sp, path)
    if suffix == ".fdx":
        from fabula.screenplay.fdx import write_fdx

        return write_fdx(sp, path)
    if suffix == ".fountain":
        from fabula.screenplay.fountain import write

        write_text_atomic(path, write(sp))
        return path
    raise FabulaError(f"Cannot export to {path.name}: choose an output ending in {', '.join(EXPORTS)}.")
