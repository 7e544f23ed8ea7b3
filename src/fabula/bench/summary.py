"""`fabula bench all`: every benchmark with small settings, one table of ratios against baselines.

Each benchmark keeps its own method (see `fabula.bench.decode` and `fabula.bench.poem`): the
baseline is measured in the same run, on the same weights. This module only runs them in turn and
reads one row per measured case out of their reports, so the ratios printed here are exactly the
ones the full benchmarks would print at the same settings.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from fabula.bench.decode import BASELINE as DECODE_BASELINE

Progress = Callable[[int, int, str], None]  # (done, total, what is running)


@dataclass(frozen=True)
class Row:
    """One measured case: its value, its baseline's value in the same run, and their ratio."""

    benchmark: str  # "decode" or "poem"
    model: str
    case: str  # a contender at a batch size, or a poem form
    measure: str  # what `value` counts, higher or lower is better as the measure says
    value: float | None
    baseline: str
    baseline_value: float | None
    ratio: float | None  # > 1: the case beats its baseline by that factor
    lower_bound: bool = False  # the baseline never succeeded: the ratio is at least this


@dataclass(frozen=True)
class Settings:
    """How much each benchmark does; the defaults take a few minutes on 2 cores."""

    decode_model: str = "house:en"
    decode_tokens: int = 64
    decode_prompt_tokens: int = 32
    decode_repeats: int = 2
    decode_batches: tuple[int, ...] = (1, 8)
    decode_bandwidth_mb: int = 512
    poem_models: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("house:zh-poetry", ("五言绝句", "七言律诗", "浣溪沙")),
        ("house:en", ("haiku", "limerick")),
    )
    poem_samples: int = 4
    poem_baseline_samples: int = 20
    poem_baseline_seconds: float = 20.0
    seed: int = 0


def decode_rows(report: dict, model: str) -> list[Row]:
    """Tokens/s of every contender against `transformers generate` fp32 at the same batch."""
    base = {r["batch"]: r["tokens_per_s"] for r in report["results"] if r["contender"] == DECODE_BASELINE}
    ratio = {(r["contender"], r["batch"]): r["vs_generate"] for r in report["ratios"]}
    return [
        Row("decode", model, f"{r['contender']}, batch {r['batch']}", "tok/s", r["tokens_per_s"],
            f"{DECODE_BASELINE}, batch {r['batch']}", base.get(r["batch"]), ratio[(r["contender"], r["batch"])])
        for r in report["results"] if r["contender"] != DECODE_BASELINE
    ]


def poem_rows(report: dict) -> list[Row]:
    """Seconds per valid poem, constrained decoding against rejection sampling, per form."""
    return [
        Row("poem", report["model"], r["form"], "s per valid poem", r["constrained"]["s_per_valid"],
            "rejection sampling", r["baseline"]["s_per_valid"], r["ratio"], r["ratio_is_lower_bound"])
        for r in report["results"]
    ]


def run_all(settings: Settings = Settings(), progress: Progress = lambda done, total, what: None) -> dict:
    """Run every benchmark at `settings`; the summary rows plus each benchmark's full report."""
    from fabula.backends import resolve
    from fabula.bench import decode, poem

    total = 1 + len(settings.poem_models)
    progress(0, total, f"decode on {settings.decode_model}")
    backend = resolve(settings.decode_model)
    decoded = decode.run(backend.path, settings.decode_tokens, settings.decode_prompt_tokens,  # type: ignore[attr-defined]
                         settings.decode_batches, settings.decode_repeats, bandwidth_mb=settings.decode_bandwidth_mb)
    rows = decode_rows(decoded, settings.decode_model)
    reports = {"decode": decoded}
    for i, (spec, forms) in enumerate(settings.poem_models, start=1):
        progress(i, total, f"poem on {spec}")
        report = poem.run(resolve(spec), forms, settings.poem_samples, settings.poem_baseline_samples,
                          seed=settings.seed, baseline_seconds=settings.poem_baseline_seconds)
        rows += poem_rows(report)
        reports[f"poem {spec}"] = report
    progress(total, total, "done")
    return {
        "settings": asdict(settings),
        "machine": {
            "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "rows": [asdict(r) for r in rows],
        "reports": reports,
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.2f}" if value < 10 else f"{value:,.0f}"


def _ratio(row: dict) -> str:
    if row["ratio"] is None:
        return "–"
    return ("≥ " if row["lower_bound"] else "") + f"{row['ratio']:,.2f}×"


HEADER = ("benchmark", "model", "case", "measure", "value", "baseline", "baseline value", "ratio")


def cells(row: dict) -> tuple[str, ...]:
    """A row as the table's strings, in `HEADER` order."""
    return (row["benchmark"], row["model"], row["case"], row["measure"], _fmt(row["value"]), row["baseline"],
            _fmt(row["baseline_value"]), _ratio(row))


def markdown(summary: dict) -> str:
    """The summary table as Markdown, then the machine it ran on."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|---|---:|---|---:|---:|"]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in summary["rows"]]
    m = summary["machine"]
    lines += ["", f"Ratio: how many times the case beats its baseline (tok/s ÷ baseline tok/s; baseline s per valid "
                  f"poem ÷ constrained s per valid poem; ≥ when the baseline found no valid poem). "
                  f"{m['cpu_count']} CPUs, {m['platform']}, Python {m['python']}, {m['date']}."]
    return "\n".join(lines) + "\n"


def write(summary: dict, out: Path) -> None:
    """The summary as JSON when `out` ends in .json, else Markdown; atomically."""
    import json

    from fabula.atomic import write_text_atomic

    text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n" if out.suffix == ".json" else markdown(summary)
    write_text_atomic(out, text)
