"""`fabula bench poem`: constrained decoding against rejection sampling, same model, same run.

For each form (by default those of the model's language: the four 近体诗 and six 词牌 for a
Chinese model, haiku, limerick, sonnet, quatrains and couplets for an English one):

- constrained: `compose` (decoding under the form's constraint), one poem per call, each poem checked
  again with `check_poem`; a call that raises counts as a poem that did not pass;
- baseline (rejection sampling): plain sampling with the same prompt and house-model header
  (compose's own conditioning), the same temperature and top-p, no constraint, then `check_poem`
  on the text as generated; a poem is valid when the checker passes it.

Both report the compliance rate (the fraction passing `check_poem`) and seconds per valid poem
(the wall time of all their samples, checks included, ÷ the poems that passed). When the baseline
finds no valid poem in its budget, its seconds per valid poem is a lower bound (at least the time it
spent), and so is the ratio (baseline s/valid ÷ constrained s/valid). The baseline's failures are
tallied by the rules they broke (`PoemReport.broken_rules()`, each rule once per poem).

Samples are seeded and interleaved (constrained and baseline samples alternate in proportion to
their counts), so a burst of load from elsewhere on the machine hits both; one untimed warm-up call
of each per form comes first (first-call allocations, the constraint's vocabulary masks).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.forms.catalog import Form, check_poem, get_form
from fabula.forms.compose import compose, condition_for_form, form_prompt
from fabula.forms.plans import plan

FORMS = ("五言绝句", "七言绝句", "五言律诗", "七言律诗", "如梦令", "浣溪沙", "菩萨蛮", "蝶恋花", "水调歌头", "念奴娇")
ENGLISH_FORMS = ("haiku", "limerick", "shakespearean sonnet", "quatrain-abab", "couplet")


def default_forms(backend: Backend) -> tuple[str, ...]:
    """The forms of the model's language: English for house:en, else Chinese."""
    language = getattr(getattr(backend, "house", None), "lang", None)
    return ENGLISH_FORMS if language == "en" else FORMS

Progress = Callable[[int, int, str], None]  # (done, total, what is running)


@dataclass
class Method:
    """One way of getting poems in a form: how many tried, how many passed, how long it took."""

    samples: int = 0
    valid: int = 0
    seconds: float = 0.0
    rules: Counter[str] = field(default_factory=Counter)  # failures by broken rule
    errors: list[str] = field(default_factory=list)  # first few exception messages
    stopped_early: bool = False  # the time budget ran out before all samples were drawn

    @property
    def compliance(self) -> float | None:
        return self.valid / self.samples if self.samples else None

    @property
    def s_per_valid(self) -> float | None:
        """Seconds per valid poem; a lower bound (the time spent) when none was valid."""
        if not self.samples:
            return None
        return self.seconds / self.valid if self.valid else self.seconds

    def to_dict(self) -> dict:
        failures = self.samples - self.valid
        return {
            "samples": self.samples,
            "valid": self.valid,
            "compliance": _round(self.compliance, 4),
            "seconds": round(self.seconds, 3),
            "s_per_sample": _round(self.seconds / self.samples if self.samples else None, 4),
            "s_per_valid": _round(self.s_per_valid, 4),
            "s_per_valid_is_lower_bound": bool(self.samples and not self.valid),
            "failures": failures,
            "broken_rules": [
                {"rule": rule, "poems": count, "of_failures": round(count / failures, 3)}
                for rule, count in sorted(self.rules.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "errors": self.errors,
            "stopped_early": self.stopped_early,
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def run(
    backend: Backend,
    forms: tuple[str, ...] | list[str] = FORMS,
    samples: int = 20,
    baseline_samples: int = 100,
    temperature: float = 0.8,
    top_p: float = 1.0,
    seed: int = 0,
    title: str | None = None,
    baseline_seconds: float | None = None,
    threads: int | None = None,
    progress: Progress = lambda done, total, what: None,
) -> dict:
    """Benchmark constrained decoding against rejection sampling on `backend` (a local backend).

    `baseline_seconds` caps the baseline's time per form (None: draw all `baseline_samples`).
    """
    if not backend.supports_constraints:
        raise FabulaError(
            f"{backend.spec} cannot constrain decoding; bench poem needs a local model (house:NAME or hf:PATH)."
        )
    if samples < 1 or baseline_samples < 1:
        raise FabulaError("samples and baseline samples must be at least 1.")
    resolved = [get_form(f) for f in forms]
    threads = threads or torch.get_num_threads()
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        backend.load()
        total = len(resolved) * (samples + baseline_samples + 2)
        step = 0
        rows = []
        for form in resolved:
            def tick(what: str, form: Form = form) -> None:
                nonlocal step
                progress(step, total, f"{form.name}: {what}")
                step += 1

            rows.append(_bench_form(backend, form, samples, baseline_samples, temperature, top_p, seed, title,
                                    baseline_seconds, tick))
        progress(total, total, "done")
    finally:
        torch.set_num_threads(saved)
    return {
        "benchmark": "poem: constrained decoding vs rejection sampling",
        "model": backend.spec,
        "forms": [f.name for f in resolved],
        "samples": samples,
        "baseline_samples": baseline_samples,
        "baseline_seconds": baseline_seconds,
        "temperature": temperature,
        "top_p": top_p,
        "seed": seed,
        "title": title,
        "machine": {
            "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "threads": threads,
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "runtime": os.environ.get("FABULA_RUNTIME") or None,
        },
        "results": rows,
    }


def _bench_form(
    backend: Backend,
    form: Form,
    samples: int,
    baseline_samples: int,
    temperature: float,
    top_p: float,
    seed: int,
    title: str | None,
    baseline_seconds: float | None,
    tick: Callable[[str], None],
) -> dict:
    max_tokens = 2 * plan(form).budget  # compose allows a constrained poem `budget` tokens  # the baseline: room for a whole poem and then some
    sampling = {"temperature": temperature, "top_p": top_p}
    constrained, baseline = Method(), Method()

    def one_constrained(k: int, into: Method | None) -> None:
        t0 = time.perf_counter()
        try:
            [poem] = compose(form, backend, title=title, n=1, seed=seed + 1000 * k, **sampling)
            report = check_poem(poem.text, form)  # independently of the report compose returned
            error = None
        except (FabulaError, RuntimeError) as exc:  # a RuntimeError here is a bug in the constraint
            report, error = None, f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - t0
        if into is not None:
            _tally(into, report, elapsed, error)

    def one_baseline(k: int, into: Method | None) -> None:
        options = GenerationOptions(n=1, seed=seed + 1000 * k + 1, max_tokens=max_tokens, stop=(), **sampling)
        t0 = time.perf_counter()
        restore = condition_for_form(backend, form, title)  # the same header compose uses
        try:
            prompt = form_prompt(backend, form, title, None, conditioned=restore is not None)
            [done] = backend.generate(prompt, options)
        finally:
            if restore is not None:
                backend.conditioning = restore  # type: ignore[attr-defined]
        report = check_poem(done.text, form)
        elapsed = time.perf_counter() - t0
        if into is not None:
            _tally(into, report, elapsed, None)

    tick("warm-up, constrained")
    one_constrained(-1, None)
    tick("warm-up, baseline")
    one_baseline(-1, None)
    # interleave: sample k of each method at the same fraction of its count
    order = sorted([(k / samples, 0, k) for k in range(samples)] + [(k / baseline_samples, 1, k)
                                                                   for k in range(baseline_samples)])
    for _, which, k in order:
        if which == 0:
            tick(f"constrained {k + 1}/{samples}")
            one_constrained(k, constrained)
        elif baseline_seconds is not None and baseline.seconds >= baseline_seconds:
            baseline.stopped_early = True
            tick(f"baseline: time budget of {baseline_seconds:g} s spent")
        else:
            tick(f"baseline {k + 1}/{baseline_samples}")
            one_baseline(k, baseline)
    c, b = constrained.s_per_valid, baseline.s_per_valid
    ratio = b / c if b is not None and c and constrained.valid else None
    return {
        "form": form.name,
        "constrained": constrained.to_dict(),
        "baseline": baseline.to_dict(),
        "baseline_max_tokens": max_tokens,
        "ratio": _round(ratio, 2),  # baseline s/valid ÷ constrained s/valid
        "ratio_is_lower_bound": ratio is not None and not baseline.valid,
    }


def _tally(method: Method, report, elapsed: float, error: str | None) -> None:  # type: ignore[no-untyped-def]
    method.samples += 1
    method.seconds += elapsed
    if report is not None and report.ok:
        method.valid += 1
        return
    if report is not None:
        method.rules.update(report.broken_rules())
    if error is not None:
        method.rules.update(["error"])
        if len(method.errors) < 3:
            method.errors.append(error)


# -- output ---------------------------------------------------------------------------------------


def seconds_per_valid(m: dict) -> str:
    """E.g. `0.41` or `none in 100 tries, ≥ 37.2 s per valid poem`."""
    if m["s_per_valid"] is None:
        return "–"
    if m["s_per_valid_is_lower_bound"]:
        return f"none in {m['samples']} tries, ≥ {m['s_per_valid']:.3g} s per valid poem"
    return f"{m['s_per_valid']:.3g}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _rules(m: dict, top: int = 4) -> str:
    rules = m["broken_rules"][:top]
    return ", ".join(f"{r['rule']} {100 * r['of_failures']:.0f} %" for r in rules) or "–"


def markdown(report: dict) -> str:
    """The report as a Markdown table, then the settings and machine facts."""
    lines = [
        "| form | constrained compliance | constrained s/valid | baseline compliance | baseline s/valid "
        "| ratio (baseline ÷ constrained) | baseline failures: rules broken (share of failures) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        c, b = r["constrained"], r["baseline"]
        ratio = "–" if r["ratio"] is None else ("≥ " if r["ratio_is_lower_bound"] else "") + f"{r['ratio']:,.1f}×"
        lines.append(
            f"| {r['form']} | {_pct(c['compliance'])} ({c['valid']}/{c['samples']}) | {seconds_per_valid(c)} | "
            f"{_pct(b['compliance'])} ({b['valid']}/{b['samples']}) | {seconds_per_valid(b)} | {ratio} | "
            f"{_rules(b)} |"
        )
    lines += ["", settings_line(report) + "."]
    errors = [f"{r['form']}: {e}" for r in report["results"] for e in r["constrained"]["errors"]]
    if errors:
        lines += ["", "Constrained errors: " + "; ".join(errors)]
    return "\n".join(lines) + "\n"


def settings_line(report: dict) -> str:
    m = report["machine"]
    title = f", title 《{report['title']}》" if report["title"] else ""
    budget = f", baseline capped at {report['baseline_seconds']:g} s per form" if report["baseline_seconds"] else ""
    return (
        f"{report['model']}, temperature {report['temperature']:g}, top-p {report['top_p']:g}, seed {report['seed']}"
        f"{title}; {report['samples']} constrained and {report['baseline_samples']} baseline samples per form{budget}; "
        f"{m['threads']} threads, torch {m['torch']}, {m['platform']}, {m['date']}"
    )

