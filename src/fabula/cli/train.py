"""`fabula train`: tokenizers, the one training loop, held-out perplexity."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Train house models: tokenizer, training loop, evaluation.", no_args_is_help=True)

_CONFIG_HELP = (
    "A TOML or YAML training config: a path, or the name of a shipped one (see `fabula train configs`)."
)


def _load(config: Path, out: Path | None):  # type: ignore[no-untyped-def]
    from fabula.train.config import load_config

    cfg = load_config(config)
    if out is not None:
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"out": out})})
    return cfg


@app.command("run")
def run(
    config: Path = typer.Argument(..., help=_CONFIG_HELP),
    resume: bool = typer.Option(False, "--resume", help="Continue exactly from the run's newest checkpoint."),
    max_steps: int = typer.Option(
        None, "--max-steps", min=1, help="Stop at this step (the schedule is unchanged; resume later)."
    ),
    out: Path = typer.Option(None, "--out", help="Run folder (overrides run.out)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Train from a config; the best model is exported to <out>/model with training.json."""
    from fabula.train.loop import train

    cfg = _load(config, out)
    summary = train(cfg, resume=resume, max_steps=max_steps, progress=progress)
    shown = {
        k: v for k, v in summary.items() if k not in ("history", "config", "train_losses", "control_tokens")
    }
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@app.command("tokenizer")
def tokenizer(
    config: Path = typer.Argument(..., help=_CONFIG_HELP),
    out: Path = typer.Option(
        None, "--out", help="Run folder (overrides run.out); the tokenizer goes to <out>/tokenizer."
    ),
) -> None:
    """Train and save the run's tokenizer only (with the control tokens found in the corpora)."""
    from fabula.train.loop import prepare_tokenizer
    from fabula.train.tokenizer import control_tokens_of, load_tokenizer

    cfg = _load(config, out)
    folder = prepare_tokenizer(cfg)
    controls = control_tokens_of(folder)
    typer.echo(
        json.dumps(
            {
                "tokenizer": str(folder),
                "kind": cfg.tokenizer.kind,
                "vocab_size": load_tokenizer(folder).get_vocab_size(with_added_tokens=True),
                "control_tokens": controls,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


@app.command("eval")
def evaluate(
    checkpoint: Path = typer.Argument(..., help="An exported model folder (<out>/model)."),
    corpus: list[str] = typer.Option(..., "--corpus", help="A prepared corpus (repeatable)."),
    split: str = typer.Option("test", "--split", help="train, validation or test."),
    baseline: bool = typer.Option(False, "--baseline/--no-baseline", help="Also an add-k bigram baseline."),
) -> None:
    """Perplexity of a trained model over every token of a corpus split."""
    from fabula.train.evaluate import evaluate_checkpoint

    report = evaluate_checkpoint(checkpoint, corpus, split, baseline=baseline)
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False))


@app.command("configs")
def configs() -> None:
    """List the shipped training configs."""
    from fabula.train.config import load_config, shipped_configs

    for path in shipped_configs():
        cfg = load_config(path)
        typer.echo(f"{path.name:28} {cfg.description}")


@app.command("speed")
def speed(
    config: Path = typer.Argument(..., help=_CONFIG_HELP),
    steps: int = typer.Option(20, "--steps", min=1, help="Timed optimiser steps (after warm-up)."),
    compile: bool = typer.Option(None, "--compile/--no-compile", help="Override run.compile."),
    bf16: bool = typer.Option(None, "--bf16/--no-bf16", help="Override run.bf16."),
) -> None:
    """Measure training tokens/s of a config's model here (random tokens; no corpus needed)."""
    from fabula.train.loop import measure_throughput

    cfg = _load(config, None)
    changes = {k: v for k, v in {"compile": compile, "bf16": bf16}.items() if v is not None}
    cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update=changes)})
    report = measure_throughput(cfg, steps=steps)
    report["hours_for_max_steps"] = round(cfg.optim.max_steps * report["seconds_per_step"] / 3600, 2)
    report["tokens_for_max_steps"] = cfg.optim.max_steps * cfg.tokens_per_step
    typer.echo(json.dumps(report, indent=2))
