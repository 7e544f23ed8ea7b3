"""`fabula bench`: speed against baselines measured in the same run."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fabula.errors import InvalidOptions, ModelNotFound, UnknownModelSpec

app = typer.Typer(help="Benchmarks, with ratios against baselines measured in the same run.",
                  no_args_is_help=True)
console = Console(stderr=True)


@app.command("decode")
def decode_bench(
    model: str = typer.Option(None, "--model", "-m",
                              help="A local Llama checkpoint: house:NAME or hf:PATH (default: house:en)."),
    random_config: str = typer.Option(None, "--random-config",
                                      help="Benchmark a seeded random-init Llama instead: small or 10m "
                                           "(both ~10 M parameters; built once into the cache)."),
    tokens: int = typer.Option(128, "--tokens", min=2, help="New tokens per alternative."),
    prompt_tokens: int = typer.Option(64, "--prompt-tokens", min=1, help="Prompt length in tokens."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Timed runs per contender after a warm-up (best counts)."),
    threads: int = typer.Option(None, "--threads", min=1, help="Threads for every contender (default: torch's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    out: Path = typer.Option(None, "--out", help="Also write the report: JSON if FILE ends in .json, else Markdown."),
    bandwidth_mb: int = typer.Option(512, "--bandwidth-mb", min=1, hidden=True,
                                     help="Buffer copied to measure memory bandwidth (MB)."),
) -> None:
    """Decode tokens/s at batch 1 and 8 and time to first token, on the same weights in one run."""
    from fabula.bench.decode import run

    checkpoint = _checkpoint(model, random_config)
    with _progress_bar() as progress:
        report = run(checkpoint, tokens, prompt_tokens, repeats=repeats, threads=threads, progress=progress,
                     bandwidth_mb=bandwidth_mb)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        Console().print(_table(report))
    if out:
        from fabula.atomic import write_text_atomic

        write_text_atomic(out, json.dumps(report, indent=2) + "\n" if out.suffix == ".json" else markdown(report))


@app.command("poem")
def poem_bench(
    model: str = typer.Option(None, "--model", "-m",
                              help="A local model: house:NAME or hf:PATH (default: house:zh-poetry)."),
    forms: list[str] = typer.Option(None, "--form", "-f",
                                    help="A form (repeatable; default: the model's language's, see docs/benchmarks.md)."),
    samples: int = typer.Option(20, "--samples", "-n", min=1, help="Constrained poems per form."),
    baseline_samples: int = typer.Option(100, "--baseline-samples", min=1,
                                         help="Unconstrained samples per form (rejection sampling)."),
    baseline_seconds: float = typer.Option(None, "--baseline-seconds", min=0.0,
                                           help="Also stop the baseline after this many seconds per form."),
    temperature: float = typer.Option(0.8, "--temperature", "-t", min=0.0, max=5.0, help="Sampling temperature."),
    top_p: float = typer.Option(1.0, "--top-p", min=0.0, max=1.0, help="Nucleus sampling mass (1 = off)."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed draws the same poems."),
    title: str = typer.Option(None, "--title", help="A title to condition every poem on (default: none)."),
    threads: int = typer.Option(None, "--threads", min=1, help="Torch threads (default: torch's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    out: Path = typer.Option(None, "--out", help="Also write the report: JSON if FILE ends in .json, else Markdown."),
) -> None:
    """Constrained decoding vs rejection sampling: compliance and seconds per valid poem, per form."""
    from tqdm import tqdm

    from fabula.backends import resolve
    from fabula.bench.poem import default_forms, markdown, run

    spec = model or "house:zh-poetry"
    try:
        backend = resolve(spec)
    except (ModelNotFound, UnknownModelSpec) as exc:
        if model:
            raise
        raise InvalidOptions(f"The default model {spec} is not installed ({exc}). Give one with --model.") from exc
    if top_p <= 0:
        raise InvalidOptions("--top-p must be above 0.")
    with tqdm(total=None, file=sys.stderr, unit="poem", dynamic_ncols=True, leave=False) as bar:

        def progress(done: int, total: int, what: str) -> None:
            bar.total = total
            bar.n = done
            bar.set_description(what, refresh=False)
            bar.refresh()

        report = run(backend, tuple(forms) if forms else default_forms(backend), samples, baseline_samples, temperature, top_p,
                     seed, title, baseline_seconds, threads, progress)
    text = markdown(report)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(text, nl=False)
    if out:
        from fabula.atomic import write_text_atomic

        write_text_atomic(out, json.dumps(report, ensure_ascii=False, indent=2) + "\n" if out.suffix == ".json"
                          else text)


@app.command("all")
def all_bench(
    as_json: bool = typer.Option(False, "--json", help="Print the summary (and every full report) as JSON on stdout."),
    out: Path = typer.Option(None, "--out", help="Also write the summary: JSON if FILE ends in .json, else Markdown."),
    poem_samples: int = typer.Option(4, "--poem-samples", min=1, help="Constrained poems per form."),
    decode_repeats: int = typer.Option(2, "--decode-repeats", min=1, help="Timed decode rounds per contender."),
) -> None:
    """Every benchmark with small settings (a few minutes): one table of ratios against their baselines."""
    from dataclasses import replace

    from fabula.bench.summary import Settings, markdown, run_all, write

    settings = replace(Settings(), poem_samples=poem_samples, decode_repeats=decode_repeats)
    with _progress_bar() as progress:
        try:
            summary = run_all(settings, progress)
        except (ModelNotFound, UnknownModelSpec) as exc:
            raise InvalidOptions(f"bench all runs on the house models, and one is missing ({exc}); "
                                 "install them with `make setup`.") from exc
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        typer.echo(markdown(summary), nl=False)
    if out:
        write(summary, out)


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int, str], None]]:
    """A transient bar on stderr, and the (done, total, what) callback the benchmarks report to."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("benchmarking", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        yield progress


def _checkpoint(model: str | None, random_config: str | None) -> Path:
    if random_config:
        if model:
            raise InvalidOptions("Give --model or --random-config, not both.")
        from fabula.bench.random_model import SHAPES, random_checkpoint

        if random_config not in SHAPES:
            raise InvalidOptions(f"--random-config must be one of {', '.join(SHAPES)}, not {random_config!r}.")
        return random_checkpoint(random_config)
    from fabula.backends import resolve
    from fabula.backends.local import LocalBackend
    from fabula.backends.registry import DEFAULT_MODEL

    try:
        backend = resolve(model or DEFAULT_MODEL)
    except (ModelNotFound, UnknownModelSpec) as exc:
        if model:
            raise
        raise InvalidOptions(
            f"The default model {DEFAULT_MODEL} is not installed ({exc}). Give one with --model hf:PATH, "
            "or benchmark a random model with --random-config 10m."
        ) from exc
    if not isinstance(backend, LocalBackend):
        raise InvalidOptions(f"{backend.spec} is not a local checkpoint; bench decode needs house:NAME or hf:PATH.")
    return backend.path


def _table(report: dict) -> Table:
    ratios = {(r["contender"], r["batch"]): r for r in report["ratios"]}
    table = Table(title=f"decode: {report['tokens']} new tokens after {report['prompt_tokens']}, "
                        f"{report['parameters'] / 1e6:.1f} M parameters, {report['threads']} threads")
    notes = any(r["note"] for r in report["results"])
    columns = ["contender", "batch", "tok/s", "first token ms", "× generate fp32", "× llama.cpp q8_0"]
    for col in columns + (["note"] if notes else []):
        table.add_column(col, justify="left" if col in ("contender", "note") else "right")
    for r in report["results"]:
        ratio = ratios[(r["contender"], r["batch"])]
        cells = [r["contender"], str(r["batch"]), _fmt(r["tokens_per_s"]), _fmt(r["ttft_ms"]),
                 _fmt(ratio["vs_generate"]), _fmt(ratio["vs_llamacpp"])]
        table.add_row(*cells, *([r["note"]] if notes else []))
    table.caption = _bound_line(report)
    return table


def markdown(report: dict) -> str:
    """The report as a Markdown table plus the bandwidth bound."""
    ratios = {(r["contender"], r["batch"]): r for r in report["ratios"]}
    lines = ["| contender | batch | tok/s | first token ms | × generate fp32 | × llama.cpp q8_0 |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in report["results"]:
        ratio = ratios[(r["contender"], r["batch"])]
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"| {r['contender']}{note} | {r['batch']} | {_fmt(r['tokens_per_s'])} | {_fmt(r['ttft_ms'])} | "
                     f"{_fmt(ratio['vs_generate'])} | {_fmt(ratio['vs_llamacpp'])} |")
    lines.append("")
    lines.append(_bound_line(report) + ".")
    return "\n".join(lines) + "\n"


def _bound_line(report: dict) -> str:
    bounds = ", ".join(f"{k} {v:,.0f} tok/s" for k, v in report["batch1_bound_tok_s"].items())
    return f"Memory bandwidth {report['bandwidth_gbs']} GB/s (copy); batch-1 bound = model bytes ÷ bandwidth: {bounds}"


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 10 else f"{value:,.0f}"
    return str(value)
