"""`fabula project new|list|show|export`: projects, their documents and versions."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fabula.atomic import write_text_atomic
from fabula.store import Document, Version, open_store

app = typer.Typer(help="Projects: documents with append-only versions and provenance.", no_args_is_help=True)
console = Console()


class ExportFormat(str, Enum):
    markdown = "markdown"
    json = "json"


@app.command("new")
def new(
    name: str = typer.Argument(..., help="A short name, used by the other commands."),
    description: str = typer.Option("", "--description", "-d", help="What the project is about."),
) -> None:
    """Create a project."""
    with open_store() as store:
        project = store.create_project(name, description)
    console.print(f"Created project [bold]{escape(project.name)}[/bold] (id {project.id}).")


@app.command("list")
def list_() -> None:
    """List projects."""
    with open_store() as store:
        projects = [(p, len(store.documents(p))) for p in store.list_projects()]
    if not projects:
        console.print("No projects yet. Create one with `fabula project new NAME`.")
        return
    table = Table("id", "name", "documents", "created", "description")
    for p, count in projects:
        table.add_row(str(p.id), Text(p.name), str(count), _when(p.created_at), Text(p.description))
    console.print(table)


@app.command("show")
def show(name: str = typer.Argument(..., help="Project name or id.")) -> None:
    """A project's documents: versions, provenance and the start of the latest text."""
    with open_store() as store:
        project = store.get_project(name)
        summaries = [(d, store.count_versions(d), store.current(d)) for d in store.documents(project)]
    console.print(
        Text.assemble((project.name, "bold"), f"  (id {project.id}, created {_when(project.created_at)})")
    )
    if project.description:
        console.print(Text(project.description))
    if not summaries:
        console.print("No documents yet.")
        return
    table = Table("document", "kind", "versions", "latest", "provenance")
    for document, count, latest in summaries:
        table.add_row(*_document_row(document, count, latest))
    console.print(table)
    for document, _, latest in summaries:
        if latest and latest.text.strip():
            title = (f"{document.title}, v{latest.number}: ", "bold")
            console.print(Text.assemble(title, _clip(latest.text)))


@app.command("export")
def export(
    name: str = typer.Argument(..., help="Project name or id."),
    fmt: ExportFormat = typer.Option(
        ExportFormat.markdown,
        "--format",
        "-f",
        help="markdown: current text of each document; json: every version with provenance and log rows.",
    ),
    out: Path = typer.Option(
        None, "--output", "-o", help="Write to this file (atomically) instead of stdout."
    ),
) -> None:
    """Export a project as Markdown or JSON."""
    with open_store() as store:
        text = store.export_project(name, fmt=fmt.value)
    text = text if text.endswith("\n") else text + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    write_text_atomic(out, text)  # a reader never sees a half-written export
    console.print(f"Wrote {escape(str(out))}")


def _document_row(document: Document, count: int, latest: Version | None) -> list[str | Text]:
    if latest is None:
        return [Text(document.title), Text(document.kind), "0", "", ""]
    mix = Counter(p.provenance for p in latest.passages)
    provenance = ", ".join(f"{kind} {n}" for kind, n in sorted(mix.items()))
    when = f"v{latest.number} {_when(latest.created_at)}"
    return [Text(document.title), Text(document.kind), str(count), when, provenance]


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _clip(text: str, width: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
