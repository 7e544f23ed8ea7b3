"""`fabula infill BEFORE AFTER`: write the text that belongs between two passages."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

import typer

from fabula.backends import resolve
from fabula.cli.generate import condition, options_from_flags
from fabula.errors import InvalidOptions
from fabula.house.prompt import fim_prompt


def infill(
    before: str = typer.Argument(..., help="The text before the gap."),
    after: str = typer.Argument(..., help="The text after the gap."),
    model: str = typer.Option(None, "--model", "-m", help="A house model trained to fill in the middle (default house:en)."),
    max_tokens: int = typer.Option(120, "--max-tokens", help="Most new tokens per alternative."),
    temperature: float = typer.Option(0.8, "--temperature", "-t", help="0 = greedy."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling mass."),
    n: int = typer.Option(1, "--n", "-n", help="Alternatives, sampled together."),
    seed: int = typer.Option(None, "--seed", help="Seed for reproducible output."),
    control: list[str] = typer.Option([], "--control", "-c", help="A control KEY=VALUE (repeatable)."),
    log: bool = typer.Option(True, "--log/--no-log", help="Record prompt and output in the generation log."),
) -> None:
    """Fill the gap between BEFORE and AFTER; prints only the new text (one block per alternative)."""
    options = options_from_flags(max_tokens=max_tokens, temperature=temperature, top_p=top_p, n=n, seed=seed)
    backend = resolve(model)
    if not hasattr(backend, "infill"):
        raise InvalidOptions(f"{backend.spec} cannot fill in the middle; use a house model such as house:en.")
    condition(backend, control, None)
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    completions = backend.infill(before, after, options)
    elapsed = time.perf_counter() - t0
    for c in completions:
        if n > 1:
            sys.stdout.write(f"--- alternative {c.index + 1} ---\n")
        sys.stdout.write(c.text + "\n")
    if log:
        from fabula.generation_log import make_record, record

        prompt = fim_prompt(backend.header, before, after)
        record(make_record(backend.spec, prompt, options, completions, backend.last_usage, started, None, elapsed))


def register(app: typer.Typer) -> None:
    app.command("infill")(infill)
