"""The paired bootstrap on hand-made per-sample values whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from fabula.errors import FabulaError
from fabula.eval.compare import bootstrap_mean_ci, compare_runs, compare_values, render, verdict
from fabula.eval.runs import Sample, Value, create_run, finish_run, store_task
from fabula.store import Store

UNITS = [f"t/{i}/0.8/1/0" for i in range(30)]


def _values(xs: list[float]) -> dict[str, float]:
    return dict(zip(UNITS, xs, strict=False))


def test_identical_runs_show_no_difference() -> None:
    a = _values([float(i % 7) for i in range(30)])
    d = compare_values("distinct_2", a, dict(a), "higher")
    assert (d.diff, d.low, d.high, d.units, d.verdict) == (0.0, 0.0, 0.0, 30, "no clear difference")


@pytest.mark.parametrize(("direction", "expected"), [("higher", "better"), ("lower", "worse"), (None, "no verdict")])
def test_a_clear_shift_is_read_in_the_metrics_direction(direction: str | None, expected: str) -> None:
    rng = np.random.default_rng(5)
    a = _values(list(rng.normal(10, 1, 30)))
    b = {u: v + 0.5 + rng.normal(0, 0.05) for u, v in a.items()}  # every unit up by about 0.5
    d = compare_values("m", a, b, direction)  # type: ignore[arg-type]
    assert 0.45 < d.low < d.diff < d.high < 0.55
    assert d.mean_b - d.mean_a == pytest.approx(d.diff)
    assert d.verdict == expected


def test_noise_around_zero_is_no_clear_difference() -> None:
    a = _values([0.0] * 30)
    b = _values([1.0 if i % 2 else -1.0 for i in range(30)])  # mean difference 0, spread 1
    d = compare_values("perplexity", a, b, "lower")
    assert d.diff == 0.0 and d.low < 0 < d.high and d.verdict == "no clear difference"


def test_only_units_both_runs_measured_are_paired() -> None:
    a = {"x": 1.0, "y": 2.0, "only-a": 100.0}
    b = {"x": 2.0, "y": 3.0, "only-b": -100.0}
    d = compare_values("m", a, b, "higher")
    assert (d.units, d.mean_a, d.mean_b, d.diff) == (2, 1.5, 2.5, 1.0)
    with pytest.raises(FabulaError, match="share no measured unit"):
        compare_values("m", {"x": 1.0}, {"y": 1.0}, "higher")


def test_the_bootstrap_is_the_documented_percentile_bootstrap() -> None:
    # d = [0, 0, 3]: each resample mean is (number of 3s drawn) — 0, 1, 2 or 3 — times 3 / 3.
    mean, low, high = bootstrap_mean_ci([0.0, 0.0, 3.0], resamples=1000, seed=0)
    assert mean == 1.0
    draws = np.random.default_rng(0).integers(0, 3, size=(1000, 3))
    means = np.where(draws == 2, 3.0, 0.0).mean(axis=1)
    assert (low, high) == (np.percentile(means, 2.5), np.percentile(means, 97.5))
    assert low == 0.0 and high == 3.0  # all-zeros and all-threes draws each have chance 1/27 > 2.5%
    assert bootstrap_mean_ci([0.0, 0.0, 3.0], seed=0) == (mean, low, high)  # seeded: the same every time


def test_verdicts() -> None:
    assert verdict("higher", 0.1, 0.2) == "better" and verdict("higher", -0.2, -0.1) == "worse"
    assert verdict("lower", 0.1, 0.2) == "worse" and verdict("lower", -0.2, -0.1) == "better"
    assert verdict("higher", -0.1, 0.1) == "no clear difference" and verdict("lower", 0.0, 0.3) == "no clear difference"


def _run(store: Store, suite: str, xs: list[float], done: bool = True) -> int:
    config = {"metrics": [{"label": "distinct_2", "metric": "distinct_n", "n": 2}]}
    run = create_run(store, suite, "h" * 64, "hf:made-up", "0.1.0", None, config)
    samples = [Sample("t", i, "p", 0.8, 1, 0, "hf:made-up", f"text {i}") for i in range(len(xs))]
    values = [Value("distinct_2", f"t/{i}/0.8/1", "t", 0.8, x) for i, x in enumerate(xs)]
    store_task(store, run.id, "t", samples, values, 0.1)
    return finish_run(store, run.id).id if done else run.id


def test_runs_in_the_store_compare_and_other_suites_are_refused(eval_store: Store) -> None:
    a = _run(eval_store, "s", [0.5] * 10)
    b = _run(eval_store, "s", [0.7] * 10)
    (d,) = compare_runs(eval_store, a, b).differences
    assert (d.metric, d.units, d.verdict) == ("distinct_2", 10, "better")
    assert d.diff == pytest.approx(0.2)
    assert "| distinct_2 | higher | 10 |" in render(compare_runs(eval_store, a, b))
    other = _run(eval_store, "another", [0.7] * 10)
    with pytest.raises(FabulaError, match="same suite"):
        compare_runs(eval_store, a, other)
    unfinished = _run(eval_store, "s", [0.7] * 10, done=False)
    with pytest.raises(FabulaError, match="--resume"):
        compare_runs(eval_store, a, unfinished)
