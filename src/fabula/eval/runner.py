"""Running a suite: sample every task, measure every sample, store it all, resume when cut off.

    from fabula.eval.runner import run_suite
    from fabula.eval.suites import load_suite
    with open_store() as store:
        run = run_suite(load_suite("default"), store)

A task is sampled for each prompt, temperature and seed (`suite.samples` alternatives each), then
measured, then stored with its checkpoint row in one transaction: a run killed halfway keeps its
finished tasks, and `run_suite(..., resume=run_id)` does only the rest. A suite file that changed
since the run began is refused (its hash is stored with the run).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from fabula.backends import Backend, resolve
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.eval.runs import EvalRun, Sample, Value, create_run, finish_run, get_run, store_task
from fabula.eval.suite_metrics import Context, get_metric
from fabula.eval.suites import Suite, Task, load_suite
from fabula.store import Store

__all__ = ["Backends", "RunInterrupted", "group_unit", "measure", "resume_suite", "run_suite", "sample_task", "sample_unit"]


class Backends:
    """Each model spec resolved and loaded once per run (generation and perplexity share them)."""

    def __init__(self) -> None:
        self._loaded: dict[str, Backend] = {}

    def __call__(self, spec: str) -> Backend:
        if spec not in self._loaded:
            backend = resolve(spec)
            backend.load()
            self._loaded[spec] = backend
        return self._loaded[spec]


def group_unit(task: str, prompt_index: int, temperature: float, seed: int) -> str:
    return f"{task}/{prompt_index}/{temperature:g}/{seed}"


def sample_unit(s: Sample) -> str:
    return f"{group_unit(s.task, s.prompt_index, s.temperature, s.seed)}/{s.sample_index}"


def run_suite(
    suite: Suite,
    store: Store,
    models: Mapping[str, str] | None = None,
    resume: int | None = None,
    progress: bool = True,
    on_task: Callable[[str], None] | None = None,
) -> EvalRun:
    """Run (or finish) `suite`; `models` maps a language, or "*", to a model spec overriding the suite's.
    `on_task(name)` is called after each task is stored."""
    if resume is not None:
        run = _resumable(store, suite, resume)
        models = run.config.get("overrides", {})
    else:
        models = dict(models or {})
        run = _start(store, suite, models)
    backends = Backends()
    todo = [t for t in suite.tasks if t.name not in run.tasks_done]
    try:
        with _bar(progress, sum(_groups(suite, t) for t in todo)) as tick:
            for task in todo:
                t0 = time.perf_counter()
                backend = backends(suite.model_for(task, models))
                samples = sample_task(suite, task, backend, tick)
                values = measure(suite, task, samples, backends)
                store_task(store, run.id, task.name, samples, values, time.perf_counter() - t0)
                if on_task:
                    on_task(task.name)
    except KeyboardInterrupt as exc:
        raise RunInterrupted(run.id) from exc
    return finish_run(store, run.id)


class RunInterrupted(FabulaError):
    """Ctrl-C during a run: the finished tasks are stored, and the message says how to resume."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"Interrupted; eval run {run_id} keeps its finished tasks. "
                         f"Finish it with `fabula eval run --resume {run_id}`.")
        self.run_id = run_id


def _start(store: Store, suite: Suite, models: Mapping[str, str]) -> EvalRun:
    from fabula import __version__

    used = {t.name: suite.model_for(t, models) for t in suite.tasks}
    config = {
        "suite_file": suite.source, "overrides": dict(models), "models": used, "seeds": list(suite.seeds),
        "samples": suite.samples, "temperatures": list(suite.temperatures), "sampling": dict(suite.sampling),
        "metrics": [{"label": m.label, "metric": m.metric, **m.params} for m in suite.metrics],
        "curve": dict(suite.curve),
        "tasks": [{"name": t.name, "kind": t.kind, "lang": t.lang, "form": t.form, "prompts": list(t.prompts),
                   "curve_y": t.curve_y} for t in suite.tasks],
    }
    model = ", ".join(sorted(set(used.values())))
    return create_run(store, suite.name, suite.hash, model, __version__, git_commit(), config)


def _resumable(store: Store, suite: Suite, run_id: int) -> EvalRun:
    run = get_run(store, run_id)
    if run.status == "done":
        raise FabulaError(f"Eval run {run_id} is already complete; see it with `fabula eval show {run_id}`.")
    if run.suite != suite.name or run.suite_hash != suite.hash:
        raise FabulaError(
            f"Eval run {run_id} was started on suite {run.suite} as it was then (hash {run.suite_hash[:12]}); "
            f"{suite.source} has changed since (hash {suite.hash[:12]}). Start a new run instead."
        )
    return run


def resume_suite(store: Store, run_id: int, progress: bool = True) -> EvalRun:
    """Finish an interrupted run, loading its suite by name."""
    run = get_run(store, run_id)
    return run_suite(load_suite(run.config.get("suite_file") if _exists(run) else run.suite), store,
                     resume=run_id, progress=progress)


def _exists(run: EvalRun) -> bool:
    path = run.config.get("suite_file")
    return bool(path) and Path(path).is_file()


def _groups(suite: Suite, task: Task) -> int:
    return len(task.prompts) * len(suite.temperatures) * len(suite.seeds)


def sample_task(suite: Suite, task: Task, backend: Backend, tick: Callable[[], None] = lambda: None) -> list[Sample]:
    """Every sample of `task`: `suite.samples` per prompt, temperature and seed, in that order."""
    out: list[Sample] = []
    for pi, prompt in enumerate(task.prompts):
        for temperature in suite.temperatures:
            for seed in suite.seeds:
                texts = _write(suite, task, backend, prompt, suite.options(task, temperature, seed))
                out += [Sample(task.name, pi, prompt, temperature, seed, k, backend.spec, t) for k, t in enumerate(texts)]
                tick()
    return out


def _write(suite: Suite, task: Task, backend: Backend, prompt: str, options: GenerationOptions) -> list[str]:
    if task.kind == "continue-prose":
        return [c.text for c in backend.generate(prompt, options)]
    if task.kind == "poem":
        return _poems(task, backend, prompt, options)
    return _scenes(task, backend, prompt, options)


def _poems(task: Task, backend: Backend, title: str, options: GenerationOptions) -> list[str]:
    from fabula.forms import get_form
    from fabula.forms.compose import compose, condition_for_form, form_prompt

    form = get_form(task.form or "")
    if task.constrained:
        poems = compose(form, backend, title=title, n=options.n, seed=options.seed,
                        temperature=options.temperature, top_p=options.top_p)
        return [p.text for p in poems]
    # Free sampling under the same header `compose` uses: form compliance then measures the model.
    restore = condition_for_form(backend, form, title)
    try:
        prompt = form_prompt(backend, form, title, None, conditioned=restore is not None)
        return [c.text.strip() for c in backend.generate(prompt, options)]
    finally:
        if restore is not None:
            backend.conditioning = restore  # type: ignore[attr-defined]


def _scenes(task: Task, backend: Backend, premise: str, options: GenerationOptions) -> list[str]:
    from fabula.story.draft import SceneBrief, draft_scene

    base = options.model_copy(update={"n": 1, "seed": None})
    brief = SceneBrief(beat=premise)
    seed = options.seed or 0
    return [
        draft_scene(backend, brief, words=task.words, step_tokens=options.max_tokens, seed=seed * 1000 + 100 * k,
                    options=base).text
        for k in range(options.n)
    ]


def measure(suite: Suite, task: Task, samples: list[Sample], backends: Callable[[str], Any]) -> list[Value]:
    """Every metric of `suite` that applies to `task`, on each of its samples or groups of samples."""
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault(group_unit(s.task, s.prompt_index, s.temperature, s.seed), []).append(s)
    values: list[Value] = []
    for spec in suite.metrics_for(task):
        metric = get_metric(spec.metric)
        for unit, group in groups.items():
            ctx = Context(group[0].prompt, task.kind, task.form, group[0].model, backends)
            got = metric.compute([s.output for s in group], ctx, spec.params)
            if metric.scope == "group":
                values.append(Value(spec.label, unit, task.name, group[0].temperature, got[0]))
            else:
                values += [Value(spec.label, sample_unit(s), task.name, s.temperature, v, sample=s.key)
                           for s, v in zip(group, got, strict=True)]
    return values


def git_commit() -> str | None:
    """The commit of the source tree Fabula runs from, when it is a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _bar(enabled: bool, total: int):  # type: ignore[no-untyped-def]
    """A progress bar on stderr; yields the function that advances it."""
    if not enabled:
        return nullcontext(lambda: None)
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    @contextmanager
    def bar():  # type: ignore[no-untyped-def]
        with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=False) as p:
            job = p.add_task("eval", total=total)
            yield lambda: p.advance(job)

    return bar()
