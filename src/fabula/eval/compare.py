"""Is run B better than run A? A paired bootstrap per metric, read in each metric's direction.

For a metric, the units (samples, or groups of samples) that both runs measured are paired by
their key (task/prompt/temperature/seed[/sample]); d_i = B_i - A_i. The observed difference is
mean(d). The bootstrap draws len(d) indices with replacement, `resamples` times (numpy's PCG64
generator seeded with `seed`), and takes the mean of d over each draw; the 95% interval is the
2.5th and 97.5th percentile of those means. If the interval excludes 0 the difference is clear,
and the metric's direction (fabula.eval.suite_metrics) says whether B is better or worse;
otherwise "no clear difference". Units where either run has no value are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fabula.errors import FabulaError
from fabula.eval.runs import EvalRun, get_run, run_values
from fabula.eval.suite_metrics import Direction, get_metric
from fabula.store import Store

__all__ = ["Difference", "RunComparison", "bootstrap_mean_ci", "compare_runs", "compare_values", "render", "verdict"]

RESAMPLES = 1000
SEED = 0
LEVEL = 0.95


@dataclass(frozen=True)
class Difference:
    metric: str
    direction: Direction
    units: int  # paired units
    mean_a: float
    mean_b: float
    diff: float  # mean(B - A)
    low: float  # the interval of the difference
    high: float
    verdict: str  # "better", "worse", "no clear difference", or "no verdict" (no direction)


@dataclass(frozen=True)
class RunComparison:
    a: EvalRun
    b: EvalRun
    same_suite_file: bool
    differences: list[Difference]


def _interval(stats: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_mean_ci(values: Sequence[float], resamples: int = RESAMPLES, seed: int = SEED,
                      level: float = LEVEL) -> tuple[float, float, float]:
    """The mean of `values` and its percentile-bootstrap interval."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise FabulaError("No values to bootstrap: the run measured nothing for this metric.")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
    return (float(x.mean()), *_interval(means, level))


def verdict(direction: Direction, low: float, high: float) -> str:
    if direction is None:
        return "no verdict"
    if low <= 0 <= high:
        return "no clear difference"
    b_higher = low > 0
    return "better" if b_higher == (direction == "higher") else "worse"


def compare_values(metric: str, a: Mapping[str, float], b: Mapping[str, float], direction: Direction,
                   resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL) -> Difference:
    """Paired bootstrap of B - A over the units both mappings hold."""
    units = sorted(set(a) & set(b))
    if not units:
        raise FabulaError(f"{metric}: the two runs share no measured unit, so they cannot be paired.")
    xa = np.array([a[u] for u in units], dtype=float)
    xb = np.array([b[u] for u in units], dtype=float)
    diff, low, high = bootstrap_mean_ci(xb - xa, resamples, seed, level)
    return Difference(metric, direction, len(units), float(xa.mean()), float(xb.mean()), diff, low, high,
                      verdict(direction, low, high))


def metric_values(store: Store, run_id: int, task: str | None = None) -> dict[str, dict[str, float]]:
    """metric label -> unit -> value (units without a value left out)."""
    out: dict[str, dict[str, float]] = {}
    for v in run_values(store, run_id):
        if v.value is not None and (task is None or v.task == task):
            out.setdefault(v.metric, {})[v.unit] = v.value
    return out


def compare_runs(store: Store, run_a: int, run_b: int, resamples: int = RESAMPLES, seed: int = SEED,
                 task: str | None = None) -> RunComparison:
    a, b = get_run(store, run_a), get_run(store, run_b)
    if a.suite != b.suite:
        raise FabulaError(
            f"Run {a.id} is of suite {a.suite} and run {b.id} of suite {b.suite}: only runs of the same suite "
            f"compare. List runs of one suite with `fabula eval list --suite {a.suite}`."
        )
    for run in (a, b):
        if run.status != "done":
            raise FabulaError(f"Run {run.id} is unfinished; finish it with `fabula eval run {run.suite} --resume {run.id}`.")
    va, vb = metric_values(store, a.id, task), metric_values(store, b.id, task)
    kinds = {m["label"]: m["metric"] for m in a.config.get("metrics", [])}
    diffs = []
    for label in [m for m in va if m in vb]:
        direction = get_metric(kinds.get(label, label)).direction
        if set(va[label]) & set(vb[label]):
            diffs.append(compare_values(label, va[label], vb[label], direction, resamples, seed))
    return RunComparison(a, b, a.suite_hash == b.suite_hash, diffs)


def render(c: RunComparison, resamples: int = RESAMPLES) -> str:
    """A Markdown table of the comparison."""
    lines = [(f"Run {c.b.id} (B: {c.b.model}) against run {c.a.id} (A: {c.a.model}), suite {c.a.suite}: paired "
              f"bootstrap, {resamples} resamples, 95% interval of mean(B - A)."), ""]
    if not c.same_suite_file:
        lines += ["The suite file changed between the runs: only the units both runs measured are paired.", ""]
    lines += ["| metric | better is | units | A | B | B - A | 95% interval | verdict |", "|---|---|---:|---:|---:|---:|---|---|"]
    for d in c.differences:
        lines.append(f"| {d.metric} | {d.direction or '-'} | {d.units} | {d.mean_a:.4g} | {d.mean_b:.4g} | "
                     f"{d.diff:+.4g} | [{d.low:+.4g}, {d.high:+.4g}] | {d.verdict} |")
    return "\n".join(lines) + "\n"
