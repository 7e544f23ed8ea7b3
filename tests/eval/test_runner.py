"""Running a suite on the tiny real model: what is stored, determinism, and resuming a cut-off run."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.backends import resolve
from fabula.errors import FabulaError
from fabula.eval import distinct_n, perplexity
from fabula.eval.runner import RunInterrupted, run_suite
from fabula.eval.runs import get_run, list_runs, run_samples, run_values
from fabula.eval.suites import load_suite
from fabula.store import NotFound, Store


class Interrupted(Exception):
    """Stands for Ctrl-C arriving after the first task."""


def _outputs(store: Store, run_id: int) -> dict[tuple, str]:
    return {s.key: s.output for s in run_samples(store, run_id)}


def test_a_run_stores_every_sample_and_value(eval_store: Store, tiny_suite_path: Path,
                                             tiny_models: dict[str, str]) -> None:
    suite = load_suite(tiny_suite_path)
    run = run_suite(suite, eval_store, tiny_models, progress=False)
    assert run.status == "done" and run.finished_at and set(run.tasks_done) == {"prose", "premise", "poem"}
    assert (run.suite, run.suite_hash, run.model) == ("tiny", suite.hash, tiny_models["*"])
    assert run.config["seeds"] == [3] and run.config["temperatures"] == [0.7, 1.3]
    samples = run_samples(eval_store, run.id)
    # prompts x temperatures x seeds x samples: prose 2x2x1x2, premise 1x2x1x2, poem 1x2x1x2
    assert len(samples) == 16 and len({s.key for s in samples}) == 16
    assert sum(bool(s.output.strip()) for s in samples) >= 8  # a random model, but it writes
    values = run_values(eval_store, run.id)
    by_metric: dict[str, list] = {}
    for v in values:
        by_metric.setdefault(v.metric, []).append(v)
    assert len(by_metric["words"]) == 16 and len(by_metric["distinct_2"]) == 8  # one per sample / per group
    assert {v.task for v in by_metric["form_compliance"]} == {"poem"}  # a poem metric, on poems only
    assert all(v.value in (0.0, 1.0) for v in by_metric["form_compliance"])
    # Values are the metrics' own: recompute one group's distinct-2 and one sample's perplexity.
    group = [s for s in samples if s.task == "prose" and s.prompt_index == 1 and s.temperature == 1.3]
    stored = {v.unit: v.value for v in by_metric["distinct_2"]}
    texts = [s.output for s in group]
    if sum(len(t.split()) for t in texts) >= 2:
        assert stored["prose/1/1.3/3"] == pytest.approx(distinct_n(texts, 2))
    scored = next(s for s in samples if s.task == "prose" and len(s.output.split()) > 2)
    ppl = {v.sample_id: v.value for v in by_metric["perplexity"]}[scored.id]
    backend = resolve(tiny_models["*"])
    assert ppl == pytest.approx(perplexity(backend, [scored.output], prompt=scored.prompt).value)
    assert [r.id for r in list_runs(eval_store, suite="tiny")] == [run.id]


def test_an_interrupted_run_resumes_where_it_stopped(eval_store: Store, tiny_suite_path: Path,
                                                     tiny_models: dict[str, str]) -> None:
    suite = load_suite(tiny_suite_path)

    def stop_after_first(task: str) -> None:
        raise Interrupted(task)

    with pytest.raises(Interrupted):
        run_suite(suite, eval_store, tiny_models, progress=False, on_task=stop_after_first)
    (cut,) = list_runs(eval_store)
    assert cut.status == "running" and cut.tasks_done == ("prose",)
    first = run_samples(eval_store, cut.id)
    assert {s.task for s in first} == {"prose"}

    done = run_suite(suite, eval_store, resume=cut.id, progress=False)
    assert done.id == cut.id and done.status == "done" and set(done.tasks_done) == {"prose", "premise", "poem"}
    after = run_samples(eval_store, cut.id)
    assert [s.id for s in after if s.task == "prose"] == [s.id for s in first]  # not sampled again
    clean = run_suite(suite, eval_store, tiny_models, progress=False)  # seeded: resuming changes nothing
    assert _outputs(eval_store, done.id) == _outputs(eval_store, clean.id)
    with pytest.raises(FabulaError, match="already complete"):
        run_suite(suite, eval_store, resume=done.id, progress=False)


def test_resuming_after_the_suite_file_changed_is_refused(eval_store: Store, tmp_path: Path,
                                                          tiny_suite_path: Path, tiny_models: dict[str, str]) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_suite_path.read_text())

    def ctrl_c(task: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(RunInterrupted, match=r"fabula eval run --resume \d+") as cut_off:
        run_suite(load_suite(path), eval_store, tiny_models, progress=False, on_task=ctrl_c)
    path.write_text(path.read_text().replace("samples = 2", "samples = 3"))
    (cut,) = list_runs(eval_store)
    assert cut_off.value.run_id == cut.id
    with pytest.raises(FabulaError, match="has changed"):
        run_suite(load_suite(path), eval_store, resume=cut.id, progress=False)
    with pytest.raises(NotFound, match="fabula eval list"):
        get_run(eval_store, cut.id + 100)


@pytest.mark.slow
def test_the_default_suite_runs_on_the_house_models(tmp_path: Path) -> None:
    """About 40 s on 2 cores (docs/evaluation.md): every task of the shipped suite, on house:en and house:zh-poetry."""
    from fabula.eval.report import write_report
    from fabula.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        run = run_suite(load_suite("default"), store, progress=False)
        assert run.status == "done" and run.model == "house:en, house:zh-poetry"
        samples = run_samples(store, run.id)
        assert len(samples) == 144 and all(s.output.strip() for s in samples)
        constrained = [v.value for v in run_values(store, run.id)
                       if v.task == "wujue-constrained" and v.metric == "form_compliance"]
        assert len(constrained) == 36 and set(constrained) == {1.0}  # the form is kept by construction
        written = write_report(store, run.id, tmp_path / "report")
    assert all(p.is_file() for p in written) and len(written) == 3
