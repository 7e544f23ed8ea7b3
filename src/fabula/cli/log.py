"""`fabula log`: browse the generation log."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.console import Console
from rich.table import Table

from fabula.store import open_store

app = typer.Typer(help="The generation log: prompts, outputs, models, options and timings.")
console = Console()


@app.callback(invoke_without_command=True)
def recent(
    ctx: typer.Context,
    count: int = typer.Option(20, "--count", "-n", help="How many of the newest entries."),
    model: str = typer.Option(None, "--model", "-m", help="Only this model spec."),
    search: str = typer.Option(None, "--search", "-q", help="Text in the prompt or an output."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """List recent generations (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    records = open_store().list_generations(limit=count, model=model, search=search)
    if as_json:
        for r in records:
            typer.echo(json.dumps(asdict(r), default=str, ensure_ascii=False))
        return
    table = Table("id", "started", "model", "tokens", "ms", "prompt", "output")
    for r in records:
        table.add_row(
            str(r.id), r.started_at.strftime("%Y-%m-%d %H:%M:%S"), r.model,
            f"{r.prompt_tokens}+{r.completion_tokens}", f"{r.duration_ms:.0f}" if r.duration_ms else "",
            _clip(r.prompt), _clip(r.outputs[0] if r.outputs else ""),
        )
    console.print(table)


@app.command("show")
def show(generation_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """One generation in full."""
    r = open_store().get_generation(generation_id)
    if as_json:
        typer.echo(json.dumps(asdict(r), default=str, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]#{r.id}[/bold] {r.started_at} {r.model}")
    console.print(f"options: {json.dumps(r.options, sort_keys=True)}")
    console.print(
        f"tokens: {r.prompt_tokens} prompt + {r.completion_tokens} generated; "
        f"first token {r.ttft_ms} ms; total {r.duration_ms} ms"
    )
    console.print(f"\n[dim]prompt:[/dim]\n{r.prompt}")
    for i, text in enumerate(r.outputs, 1):
        console.print(f"\n[dim]output {i}:[/dim]\n{text}")


def _clip(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
