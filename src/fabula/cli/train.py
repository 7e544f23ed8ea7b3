"""`fabula train run CONFIG`: the one training loop."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Train house models (the one training loop).", no_args_is_help=True)


@app.command("run")
def run(
    config: Path = typer.Argument(..., help="A TOML config (a path, or the name of a shipped one)."),
    resume: bool = typer.Option(False, "--resume", help="Continue exactly from the run's last checkpoint."),
    max_steps: int = typer.Option(None, "--max-steps", help="Stop early at this step (resume later)."),
) -> None:
    """Train from a config; the best model is exported to <out>/model."""
    from fabula.train.config import load_config
    from fabula.train.loop import train

    summary = train(load_config(config), resume=resume, max_steps=max_steps)
    typer.echo(json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=2))
