"""`fabula bench`: speed against baselines measured in the same run."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fabula.errors import InvalidOptions

app = typer.Typer(help="Benchmarks with ratios against baselines in the same run.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("decode")
def decode_bench(
    model: str = typer.Option(None, "--model", "-m", help="A local model spec (house:NAME or hf:PATH)."),
    random_config: str = typer.Option(None, "--random-config", help="Benchmark a random-init Llama: 10m or small."),
    tokens: int = typer.Option(128, help="New tokens per alternative."),
    prompt_tokens: int = typer.Option(64, help="Prompt length in tokens."),
    repeats: int = typer.Option(2, help="Timed runs per contender (best counts)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
    out: Path = typer.Option(None, "--out", help="Also write the table as Markdown to this file."),
) -> None:
    """Decode tokens/s (batch 1 and 8) and time to first token, same weights, same run."""
    from fabula.bench.decode import run

    checkpoint = _checkpoint(model, random_config)
    with console.status("benchmarking") as status:
        report = run(checkpoint, tokens, prompt_tokens, repeats=repeats,
                     progress=lambda what: status.update(f"benchmarking: {what}"))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        Console().print(_table(report))
    if out:
        from fabula.atomic import write_text_atomic

        write_text_atomic(out, markdown(report))


def _checkpoint(model: str | None, random_config: str | None) -> Path:
    if random_config:
        from fabula.bench.random_model import SHAPES, random_checkpoint

        if random_config not in SHAPES:
            raise InvalidOptions(f"--random-config must be one of {', '.join(SHAPES)}")
        return random_checkpoint(random_config)
    from fabula.backends import resolve
    from fabula.backends.local import LocalBackend

    backend = resolve(model)
    if not isinstance(backend, LocalBackend):
        raise InvalidOptions(f"{backend.spec} is not a local checkpoint; bench decode needs house:NAME or hf:PATH.")
    return backend.path


def _table(report: dict) -> Table:
    ratios = {(r["contender"], r["batch"]): r for r in report["ratios"]}
    table = Table(title=f"decode: {report['tokens']} new tokens after {report['prompt_tokens']}, "
                        f"{report['threads']} threads")
    for col in ("contender", "batch", "tok/s", "first token ms", "x generate fp32", "x llama.cpp", "note"):
        table.add_column(col)
    for r in report["results"]:
        ratio = ratios[(r["contender"], r["batch"])]
        table.add_row(r["contender"], str(r["batch"]), _fmt(r["tokens_per_s"]), _fmt(r["ttft_ms"]),
                      _fmt(ratio["vs_generate"]), _fmt(ratio["vs_llamacpp"]), r["note"])
    table.caption = (f"memory bandwidth {report['bandwidth_gbs']} GB/s; batch-1 bound (bytes/bandwidth): "
                     + ", ".join(f"{k} {v} tok/s" for k, v in report["batch1_bound_tok_s"].items()))
    return table


def markdown(report: dict) -> str:
    ratios = {(r["contender"], r["batch"]): r for r in report["ratios"]}
    lines = ["| contender | batch | tok/s | first token ms | × generate fp32 | × llama.cpp q8_0 |",
             "|---|---|---|---|---|---|"]
    for r in report["results"]:
        ratio = ratios[(r["contender"], r["batch"])]
        lines.append(f"| {r['contender']} | {r['batch']} | {_fmt(r['tokens_per_s'])} | {_fmt(r['ttft_ms'])} | "
                     f"{_fmt(ratio['vs_generate'])} | {_fmt(ratio['vs_llamacpp'])} |")
    bounds = ", ".join(f"{k}: {v} tok/s" for k, v in report["batch1_bound_tok_s"].items())
    lines.append(f"\nMemory bandwidth {report['bandwidth_gbs']} GB/s; batch-1 bound from model bytes: {bounds}.")
    return "\n".join(lines) + "\n"


def _fmt(value: object) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
