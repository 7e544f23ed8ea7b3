"""`fabula log [show ID]`: browse the generation log."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fabula.store import GenerationRecord, open_store

app = typer.Typer(help="The generation log: prompts, outputs, models, options and timings.")
console = Console()


@app.callback(invoke_without_command=True)
def recent(
    ctx: typer.Context,
    count: int = typer.Option(20, "--count", "-n", min=1, help="How many of the newest entries."),
    model: str = typer.Option(
        None, "--model", "-m", help="Only this model spec (or every spec of a backend: house)."
    ),
    search: str = typer.Option(None, "--search", "-s", help="Text in the prompt or an output (any case)."),
    project: str = typer.Option(None, "--project", "-p", help="Only generations logged for this project."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per line."),
) -> None:
    """List recent generations, newest first. `fabula log show ID` prints one in full."""
    if ctx.invoked_subcommand is not None:
        return
    with open_store() as store:
        records = store.list_generations(limit=count, model=model, search=search, project=project)
    if as_json:
        for r in records:
            typer.echo(_to_json(r))
        return
    if not records:
        filtered = model or search or project
        console.print(
            "No generations match."
            if filtered
            else "No generations logged yet; `fabula generate` logs each one."
        )
        return
    table = Table("id", "started", "model", "tokens", "ms", "prompt", "output")
    for r in records:
        output = _clip(r.outputs[0]) if r.outputs else ""
        if len(r.outputs) > 1:
            output += f" (+{len(r.outputs) - 1})"
        table.add_row(
            str(r.id),
            _when(r.started_at),
            Text(r.model),
            _tokens(r),
            "" if r.duration_ms is None else f"{r.duration_ms:.0f}",
            Text(_clip(r.prompt)),
            Text(output),
        )
    console.print(table)


@app.command("show")
def show(
    generation_id: int = typer.Argument(..., help="The id shown by `fabula log`."),
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON."),
) -> None:
    """One generation in full: options, timings, prompt and every output."""
    with open_store() as store:
        r = store.get_generation(generation_id)
    if as_json:
        typer.echo(_to_json(r, indent=2))
        return
    project = "" if r.project_id is None else f"  project {r.project_id}"
    console.print(f"[bold]#{r.id}[/bold] {_when(r.started_at)}  {escape(r.model)}{project}")
    console.print(Text(f"options: {json.dumps(r.options, sort_keys=True, ensure_ascii=False)}"))
    console.print(
        f"tokens: {_tokens(r) or 'not reported'}; first token {_ms(r.ttft_ms)}; total {_ms(r.duration_ms)}"
    )
    console.print("\n[dim]prompt:[/dim]")
    console.print(Text(r.prompt))
    for i, text in enumerate(r.outputs, 1):
        console.print(f"\n[dim]output {i} of {len(r.outputs)}:[/dim]")
        console.print(Text(text))


def _to_json(r: GenerationRecord, indent: int | None = None) -> str:
    return json.dumps(
        {**asdict(r), "started_at": r.started_at.isoformat()}, ensure_ascii=False, indent=indent
    )


def _tokens(r: GenerationRecord) -> str:
    """`prompt→completion` token counts, `?` for a count the backend did not report."""
    if r.prompt_tokens is None and r.completion_tokens is None:
        return ""
    shown = ["?" if n is None else str(n) for n in (r.prompt_tokens, r.completion_tokens)]
    return "→".join(shown)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _clip(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
