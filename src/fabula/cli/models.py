"""`fabula models`: what models are available and where."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from fabula.backends.registry import available_models, backend_kinds, default_spec


def models(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List models every backend can see, and the backend kinds installed."""
    infos = available_models()
    if as_json:
        rows = [{"spec": i.spec, "description": i.description, "location": i.location} for i in infos]
        typer.echo(json.dumps({"default": default_spec(), "models": rows, "backends": sorted(backend_kinds())}))
        return
    table = Table(title=f"Models (default: {default_spec()})")
    for column in ("spec", "description", "location"):
        table.add_column(column, overflow="fold")
    for info in infos:
        table.add_row(info.spec, info.description, info.location)
    console = Console()
    console.print(table)
    console.print(
        "Backends: " + ", ".join(sorted(backend_kinds()))
        + ". Any local checkpoint: hf:PATH; GGUF: llamacpp:FILE.gguf; "
        "servers: openai:MODEL@http://HOST:PORT/v1"
    )


def register(app: typer.Typer) -> None:
    app.command("models")(models)
