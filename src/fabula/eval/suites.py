"""Evaluation suites: named, fixed sets of prompts, seeds, sampling settings and metrics, as data.

A suite is one TOML file (its name is its `name` key). The files come from folders named by
entry points in the `fabula.eval_suites` group; Fabula's own folder (`fabula/eval/data/suites/`)
is read first even when the package was never installed, so a plugin adds suites with

    [project.entry-points."fabula.eval_suites"]
    my_suites = "my_package:suites_folder"   # a folder Path, or a function returning one

A suite file:

    name = "default"
    description = "..."
    seeds = [1]                    # every prompt is sampled once per seed and temperature
    samples = 4                    # alternatives per prompt, seed and temperature
    temperatures = [0.6, 0.9, 1.2] # the sweep behind the quality-diversity curve
    [models]                       # per language; `fabula eval run --model` overrides
    en = "house:en"
    zh = "house:zh-poetry"
    [sampling]                     # the other GenerationOptions, fixed for the whole suite
    top_p = 0.95
    max_tokens = 60
    [metrics.distinct_2]           # a label, the suite metric it uses, and its settings
    metric = "distinct_n"
    n = 2
    [curve]                        # the quality-diversity curve: metric labels for its axes
    x = "distinct_2"
    y = "perplexity"               # a task may set its own: curve_y = "form_lines"
    [[task]]
    name = "prose"
    kind = "continue-prose"        # continue-prose | poem | story-premise
    lang = "en"
    prompts = ["The rain had not stopped for three days when"]

A poem task names a `form`; its prompts are titles. `constrained = false` samples the poem freely
and checks it (so form compliance measures the model); true writes it under the form's constraint.
A story-premise task's prompts are premises, each drafted into a short scene of `words` words.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.eval.suite_metrics import METRICS
from fabula.plugins import catalog_folders

__all__ = ["KINDS", "MetricSpec", "Suite", "Task", "UnknownSuite", "all_suites", "builtin_suites", "load_suite"]

ENTRY_POINT_GROUP = "fabula.eval_suites"
KINDS = ("continue-prose", "poem", "story-premise")
_SUITE_KEYS = {"name", "description", "seeds", "samples", "temperatures", "models", "sampling", "metrics", "task", "curve"}
_TASK_KEYS = {"name", "kind", "lang", "prompts", "model", "form", "constrained", "words", "max_tokens", "curve_y"}


class UnknownSuite(FabulaError):
    """A suite name that no suite file defines."""


@dataclass(frozen=True)
class MetricSpec:
    label: str  # what reports call it: "distinct_2"
    metric: str  # a name in METRICS
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    name: str
    kind: str
    lang: str
    prompts: tuple[str, ...]
    model: str | None = None  # else the suite's model for `lang`
    form: str | None = None
    constrained: bool = False
    words: int = 60  # story-premise: the scene's length
    max_tokens: int | None = None  # else the suite's sampling.max_tokens
    curve_y: str | None = None  # the metric label on this task's curve's y axis, else the suite's


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    seeds: tuple[int, ...]
    samples: int
    temperatures: tuple[float, ...]
    models: Mapping[str, str]
    sampling: Mapping[str, Any]
    metrics: tuple[MetricSpec, ...]
    tasks: tuple[Task, ...]
    source: str
    curve: Mapping[str, str]  # {"x": label, "y": label} of the quality-diversity curve
    hash: str  # sha256 of the file's bytes: runs of a changed file are told apart

    def model_for(self, task: Task, overrides: Mapping[str, str] | None = None) -> str:
        """`overrides` maps a language (or "*" for every task) to a model spec."""
        overrides = overrides or {}
        spec = overrides.get(task.lang) or overrides.get("*") or task.model or self.models.get(task.lang)
        if not spec:
            raise FabulaError(
                f"Suite {self.name}: task {task.name} ({task.lang}) has no model; add `{task.lang} = \"...\"` "
                f"under [models] in {self.source}, or pass --model {task.lang}=SPEC."
            )
        return spec

    def options(self, task: Task, temperature: float, seed: int) -> GenerationOptions:
        base = {**self.sampling, **({"max_tokens": task.max_tokens} if task.max_tokens else {})}
        return GenerationOptions(**base, temperature=temperature, seed=seed, n=self.samples)

    def metrics_for(self, task: Task) -> list[MetricSpec]:
        return [m for m in self.metrics if task.kind in METRICS[m.metric].kinds]

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise FabulaError(f"Suite {self.name} has no task {name!r}; its tasks: {', '.join(t.name for t in self.tasks)}.")


def builtin_suites() -> Path:
    """Fabula's own suite folder (registered as the `builtin` entry point)."""
    return Path(__file__).parent / "data" / "suites"


@cache
def all_suites() -> dict[str, Path]:
    """Every suite name -> its file, built-in first; a later folder may not reuse a name."""
    found: dict[str, Path] = {}
    for folder in catalog_folders(ENTRY_POINT_GROUP, builtin_suites()):
        for path in sorted(folder.glob("*.toml")):
            name = _parse(path)[0].get("name") or path.stem
            if name in found:
                raise FabulaError(f"Suite name {name!r} in {path} is already used by {found[name]}; rename one.")
            found[name] = path
    return found


def load_suite(name_or_path: str | Path) -> Suite:
    """A suite by name (`fabula eval list`), or from a TOML file path."""
    path = Path(name_or_path)
    if not (path.suffix == ".toml" and path.is_file()):
        suites = all_suites()
        if str(name_or_path) not in suites:
            raise UnknownSuite(
                f"No eval suite called {name_or_path!r}. Known suites: {', '.join(suites) or 'none'} "
                "(`fabula eval list`), or give the path of a suite .toml file."
            )
        path = suites[str(name_or_path)]
    table, raw = _parse(path)
    return _suite(table, path.resolve(), hashlib.sha256(raw).hexdigest())


def _parse(path: Path) -> tuple[dict[str, Any], bytes]:
    raw = path.read_bytes()
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FabulaError(f"Suite file {path} is not valid UTF-8 TOML: {exc}") from exc


def _suite(t: dict[str, Any], path: Path, digest: str) -> Suite:
    where = f"suite file {path}"
    _only(t, _SUITE_KEYS, where)
    tasks = tuple(_task(x, path) for x in t.get("task", []))
    if not tasks:
        raise FabulaError(f"The {where} has no [[task]]; add at least one.")
    if len({x.name for x in tasks}) != len(tasks):
        raise FabulaError(f"Task names repeat in {where}; give every [[task]] its own name.")
    seeds, temps, samples = t.get("seeds", [0]), t.get("temperatures", [0.8]), t.get("samples", 1)
    if not seeds or not all(isinstance(s, int) for s in seeds):
        raise FabulaError(f"`seeds` in {where} must be a list of integers, e.g. seeds = [1, 2].")
    if not temps or not all(isinstance(x, int | float) and 0 <= x <= 5 for x in temps):
        raise FabulaError(f"`temperatures` in {where} must be numbers from 0 to 5, e.g. [0.6, 0.9, 1.2].")
    if not isinstance(samples, int) or not 1 <= samples <= 64:
        raise FabulaError(f"`samples` in {where} must be an integer from 1 to 64.")
    suite = Suite(
        name=t.get("name") or path.stem,
        description=t.get("description", ""),
        seeds=tuple(seeds),
        samples=samples,
        temperatures=tuple(float(x) for x in temps),
        models=dict(t.get("models", {})),
        sampling=dict(t.get("sampling", {})),
        metrics=tuple(_metric(label, m, path) for label, m in t.get("metrics", {}).items()),
        tasks=tasks,
        source=str(path),
        curve=dict(t.get("curve", {})),
        hash=digest,
    )
    labels = {m.label for m in suite.metrics}
    named = [*suite.curve.values(), *(x.curve_y for x in tasks if x.curve_y)]
    if set(suite.curve) - {"x", "y"} or not set(named) <= labels:
        raise FabulaError(f"[curve] (x, y) and `curve_y` in {where} must name metric labels of [metrics.*].")
    try:  # bad sampling settings fail here, not halfway through a run
        suite.options(tasks[0], suite.temperatures[0], suite.seeds[0])
    except ValueError as exc:
        raise FabulaError(f"[sampling] in {where} is not valid GenerationOptions: {exc}") from exc
    return suite


def _metric(label: str, m: Any, path: Path) -> MetricSpec:
    if not isinstance(m, dict) or m.get("metric") not in METRICS:
        raise FabulaError(
            f"[metrics.{label}] in {path} needs `metric` = one of {', '.join(METRICS)}."
        )
    params = {k: v for k, v in m.items() if k != "metric"}
    if (check := METRICS[m["metric"]].check) is not None:
        try:
            check(params)
        except FabulaError as exc:
            raise FabulaError(f"[metrics.{label}] in {path}: {exc}") from exc
    return MetricSpec(label, m["metric"], params)


def _task(t: dict[str, Any], path: Path) -> Task:
    name = t.get("name", "?")
    where = f"task {name} in {path}"
    _only(t, _TASK_KEYS, where)
    if t.get("kind") not in KINDS:
        raise FabulaError(f"The {where} needs `kind` = one of {', '.join(KINDS)}.")
    prompts = t.get("prompts", [])
    if "name" not in t or not prompts or not all(isinstance(p, str) and p.strip() for p in prompts):
        raise FabulaError(f"The {where} needs a `name` and a non-empty list of non-empty `prompts`.")
    if t["kind"] == "poem":
        from fabula.forms import get_form

        get_form(t.get("form") or "")  # an unknown form fails now, naming the known ones
    return Task(
        name=name,
        kind=t["kind"],
        lang=t.get("lang", "en"),
        prompts=tuple(prompts),
        model=t.get("model"),
        form=t.get("form"),
        constrained=bool(t.get("constrained", False)),
        words=int(t.get("words", 60)),
        max_tokens=t.get("max_tokens"),
        curve_y=t.get("curve_y"),
    )


def _only(t: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(t) - allowed)
    if unknown:
        raise FabulaError(f"Unknown key {', '.join(unknown)} in the {where}; allowed: {', '.join(sorted(allowed))}.")
