"""`fabula generate`: continue a prompt, streaming to the terminal."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from datetime import datetime, timezone

import typer
from pydantic import ValidationError
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel

from fabula.backends import Backend, GenerationOptions, resolve
from fabula.backends.base import Completion
from fabula.errors import InvalidOptions

err = Console(stderr=True)


def generate(
    prompt: str = typer.Argument(None, help="Text to continue; '-' or nothing reads standard input."),
    model: str = typer.Option(None, "--model", "-m", help="Model spec, e.g. house:en (default: $FABULA_MODEL or house:en)."),
    max_tokens: int = typer.Option(200, "--max-tokens", help="Most new tokens per alternative."),
    temperature: float = typer.Option(0.8, "--temperature", "-t", help="0 = greedy."),
    top_p: float = typer.Option(1.0, "--top-p", help="Nucleus sampling mass."),
    top_k: int = typer.Option(0, "--top-k", help="Keep the k most likely tokens (0 = off)."),
    min_p: float = typer.Option(0.0, "--min-p", help="Drop tokens below min-p x top probability."),
    repetition_penalty: float = typer.Option(1.0, "--repetition-penalty", help="1 = off."),
    frequency_penalty: float = typer.Option(0.0, "--frequency-penalty"),
    presence_penalty: float = typer.Option(0.0, "--presence-penalty"),
    stop: list[str] = typer.Option([], "--stop", help="Stop string (repeatable)."),
    n: int = typer.Option(1, "--n", "-n", help="Alternatives, sampled together."),
    seed: int = typer.Option(None, "--seed", help="Seed for reproducible output."),
    log: bool = typer.Option(True, "--log/--no-log", help="Record prompt and output in the generation log."),
    stats: bool = typer.Option(False, "--stats", help="Print token counts and speed to stderr."),
    control: list[str] = typer.Option(
        [], "--control", "-c", help="House models: a control KEY=VALUE, e.g. genre=mystery (repeatable)."
    ),
    title: str = typer.Option(None, "--title", help="House models: a title (or theme) to write to."),
) -> None:
    """Continue PROMPT with a model, streaming tokens as they arrive."""
    text = _read_prompt(prompt)
    options = options_from_flags(
        max_tokens=max_tokens, temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
        repetition_penalty=repetition_penalty, frequency_penalty=frequency_penalty,
        presence_penalty=presence_penalty, stop=tuple(stop), n=n, seed=seed,
    )
    backend = resolve(model)
    condition(backend, control, title)
    backend.load()
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    completions, ttft = _run(backend, text, options)
    elapsed = time.perf_counter() - t0
    usage = backend.last_usage
    if stats and usage:
        rate = usage.completion_tokens / max(elapsed - (ttft or 0.0), 1e-9)
        err.print(
            f"[dim]{usage.prompt_tokens} prompt + {usage.completion_tokens} generated tokens, "
            f"first token {1000 * (ttft or 0):.0f} ms, {rate:.1f} tok/s[/dim]"
        )
    if log:
        from fabula.generation_log import make_record, record

        record(make_record(backend.spec, text, options, completions, usage, started, ttft, elapsed))


def condition(backend: Backend, controls: list[str], title: str | None) -> None:
    """Apply --control/--title to a house model; refuse them for backends without a header."""
    if not controls and not title:
        return
    if not hasattr(backend, "condition"):
        raise InvalidOptions(
            f"--control and --title work with house models (their prompts start with control tokens); "
            f"{backend.spec} takes a plain prompt."
        )
    pairs = {}
    for item in controls:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidOptions(f"--control {item!r}: write KEY=VALUE, e.g. --control genre=mystery.")
        pairs[key.strip()] = value.strip()
    backend.condition(pairs, title)


def _read_prompt(prompt: str | None) -> str:
    if prompt in (None, "-"):
        if sys.stdin.isatty():
            raise InvalidOptions("Give a prompt: `fabula generate \"Once upon a time\"`, or pipe text in.")
        return sys.stdin.read()
    return prompt


def options_from_flags(**values: object) -> GenerationOptions:
    try:
        return GenerationOptions(**values)
    except ValidationError as exc:
        problems = "; ".join(f"--{'-'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}" for e in exc.errors())
        raise InvalidOptions(f"Invalid generation options: {problems}") from exc


def _run(backend: Backend, prompt: str, options: GenerationOptions) -> tuple[list[Completion], float | None]:
    """Stream to stdout (one alternative) or a live panel view (several)."""
    done = [Completion(index=i, text="") for i in range(options.n)]
    t0 = time.perf_counter()
    ttft: float | None = None
    live = _live_view(options.n)
    with live if live else nullcontext():
        for chunk in backend.stream(prompt, options):
            if ttft is None:
                ttft = time.perf_counter() - t0
            target = done[chunk.index]
            target.text += chunk.text
            target.token_ids.extend(chunk.token_ids)
            target.finish_reason = chunk.finish_reason or target.finish_reason
            if options.n == 1:
                sys.stdout.write(chunk.text)
                sys.stdout.flush()
            elif live:
                live.update(_panels(done))
    if options.n == 1:
        sys.stdout.write("\n")
    elif not live:
        for c in done:
            sys.stdout.write(f"--- alternative {c.index + 1} ---\n{c.text}\n")
    return done, ttft


def _live_view(n: int) -> Live | None:
    if n == 1 or not sys.stdout.isatty():
        return None
    return Live(console=Console(), refresh_per_second=12)


def _panels(done: list[Completion]) -> Group:
    return Group(*(Panel(c.text or "…", title=f"alternative {c.index + 1}") for c in done))


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
