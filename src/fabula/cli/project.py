"""`fabula project new|list|show|export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fabula.atomic import write_text_atomic
from fabula.store import StoreError, open_store
from fabula.store.export import EXPORTERS

app = typer.Typer(help="Projects: documents with versions and provenance.", no_args_is_help=True)
console = Console()


@app.command("new")
def new(name: str, description: str = typer.Option("", "--description", "-d")) -> None:
    """Create a project."""
    project = open_store().create_project(name, description)
    console.print(f"Created project [bold]{project.name}[/bold] (id {project.id}).")


@app.command("list")
def list_() -> None:
    """List projects."""
    store = open_store()
    table = Table("id", "name", "documents", "created", "description")
    for p in store.list_projects():
        table.add_row(str(p.id), p.name, str(len(store.documents(p))), p.created_at, p.description)
    console.print(table)


@app.command("show")
def show(name: str) -> None:
    """Documents of a project with their versions and latest text."""
    store = open_store()
    project = store.get_project(name)
    console.print(f"[bold]{project.name}[/bold]  {project.description}")
    for document in store.documents(project):
        versions = store.versions(document)
        latest = versions[-1] if versions else None
        console.print(f"\n[bold]{document.title}[/bold] ({document.kind}), {len(versions)} version(s)")
        if latest:
            kinds = ", ".join(sorted({p.provenance for p in latest.passages}))
            console.print(f"  v{latest.number} {latest.created_at} [{kinds}] {latest.message}")
            console.print("  " + latest.text[:300].replace("\n", "\n  "))


@app.command("export")
def export(
    name: str,
    fmt: str = typer.Option("markdown", "--format", "-f", help="markdown or json"),
    out: Path = typer.Option(None, "--output", "-o", help="Write to a file (atomically) instead of stdout."),
) -> None:
    """Export a project as Markdown or JSON."""
    if fmt not in EXPORTERS:
        raise StoreError(f"Unknown format {fmt!r}: use one of {', '.join(EXPORTERS)}.")
    store = open_store()
    text = EXPORTERS[fmt](store, store.get_project(name))
    if out is None:
        typer.echo(text)
    else:
        write_text_atomic(out, text)
        console.print(f"Wrote {out}")
