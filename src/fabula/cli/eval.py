"""`fabula eval run|list|show|compare|report|ab`: suites of fixed prompts, stored runs, their comparison.

`fabula eval SUITE ...` is short for `fabula eval run SUITE ...` (see `run_shorthand`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from fabula.errors import FabulaError

app = typer.Typer(help="Evaluation: run suites of fixed prompts, compare runs (bootstrap), reports, blind A/B.",
                  no_args_is_help=True)

_SUBCOMMANDS = {"run", "list", "show", "compare", "report", "ab", "--help", "-h"}


def _models(specs: list[str] | None) -> dict[str, str]:
    """`SPEC` (every task) or `LANG=SPEC` (the tasks in that language), repeatable."""
    out: dict[str, str] = {}
    for spec in specs or []:
        lang, eq, model = spec.partition("=")
        if eq and lang and ":" not in lang:
            out[lang.strip()] = model.strip()
        else:
            out["*"] = spec.strip()
    return out


@app.command("run")
def run(
    suite: str = typer.Argument(None, help="A suite name (`fabula eval list`) or a suite .toml file."),
    model: list[str] = typer.Option(None, "--model", "-m",
                                    help="A model for every task, or LANG=SPEC for one language (repeatable)."),
    resume: int = typer.Option(None, "--resume", help="Finish the interrupted run with this id."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the report (Markdown, HTML, plot) here."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Run a suite (or finish one with --resume); each finished task is stored at once."""
    from fabula.eval.runner import resume_suite, run_suite
    from fabula.eval.suites import load_suite
    from fabula.store import open_store

    if suite is None and resume is None:
        raise FabulaError("Name a suite (`fabula eval run default`) or a run to finish (`--resume RUN_ID`).")
    with open_store() as store:
        if resume is not None:
            done = resume_suite(store, resume, progress=not quiet)
        else:
            done = run_suite(load_suite(suite), store, _models(model), progress=not quiet)
        typer.echo(f"Eval run {done.id}: suite {done.suite}, {done.model}.")
        _summary(store, done.id)
        if out is not None:
            _write_report(store, done.id, out)


def _summary(store, run_id: int) -> None:  # type: ignore[no-untyped-def]
    from fabula.eval.report import build_report

    report = build_report(store, run_id)
    temps = report.temperatures
    for task, metrics in report.tables.items():
        typer.echo(f"\n{task:<22}" + "".join(f"{f'T={t:g}':>12}" for t in temps))
        for label, cells in metrics.items():
            typer.echo(f"  {label:<20}" + "".join(f"{cells[t].mean:>12.4g}" if t in cells else f"{'-':>12}"
                                                 for t in temps))


def _write_report(store, run_id: int, out: Path) -> None:  # type: ignore[no-untyped-def]
    from fabula.eval.report import write_report

    for path in write_report(store, run_id, out):
        typer.echo(f"wrote {path}", err=True)


@app.command("list")
def list_(suite: str = typer.Option(None, "--suite", help="Only runs of this suite."),
          limit: int = typer.Option(20, "--limit", min=1, help="How many recent runs.")) -> None:
    """The suites there are, and recent runs (newest first)."""
    from fabula.eval.runs import list_runs
    from fabula.eval.suites import all_suites, load_suite
    from fabula.store import open_store

    typer.echo("Suites:")
    for name in all_suites():
        loaded = load_suite(name)
        typer.echo(f"  {name}: {loaded.description} ({len(loaded.tasks)} tasks)")
    with open_store() as store:
        runs = list_runs(store, suite, limit)
    typer.echo("Runs:" if runs else "No runs yet: `fabula eval run default`.")
    for r in runs:
        typer.echo(f"  {r.id:>4}  {r.created_at[:19]}  {r.suite:<12} {r.status:<8} {r.model}")


@app.command("show")
def show(run_id: int = typer.Argument(..., help="A run id (`fabula eval list`)."),
         as_json: bool = typer.Option(False, "--json", help="The run record and every value as JSON.")) -> None:
    """A run: what was run, on what, and the mean of each metric per task and temperature."""
    from dataclasses import asdict

    from fabula.eval.runs import get_run, run_values
    from fabula.store import open_store

    with open_store() as store:
        r = get_run(store, run_id)
        if as_json:
            values = [asdict(v) for v in run_values(store, run_id)]
            typer.echo(json.dumps({"run": asdict(r), "values": values}, ensure_ascii=False, indent=2))
            return
        typer.echo(f"Run {r.id}: suite {r.suite} (hash {r.suite_hash[:12]}), {r.status}\n  model {r.model}\n"
                   f"  Fabula {r.fabula_version}, commit {r.git_commit or 'unknown'}\n  started {r.created_at}, "
                   f"finished {r.finished_at or '-'}\n  tasks done: {', '.join(r.tasks_done) or 'none'}")
        if r.tasks_done:
            _summary(store, run_id)


@app.command("compare")
def compare(
    run_a: int = typer.Argument(..., help="The baseline run."),
    run_b: int = typer.Argument(..., help="The run judged against it."),
    task: str = typer.Option(None, "--task", help="Only this task's units."),
    resamples: int = typer.Option(1000, "--resamples", min=100, help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Paired bootstrap of B - A per metric, with a verdict: better, worse, or no clear difference."""
    from fabula.eval import compare as cmp
    from fabula.store import open_store

    with open_store() as store:
        result = cmp.compare_runs(store, run_a, run_b, resamples=resamples, seed=seed, task=task)
    typer.echo(cmp.render(result, resamples), nl=False)


@app.command("report")
def report(run_id: int = typer.Argument(..., help="A run id."),
           out: Path = typer.Option(Path("eval-report"), "--out", "-o", help="Folder for the report files.")) -> None:
    """Write report.md, a self-contained report.html and the quality-diversity plot."""
    from fabula.store import open_store

    with open_store() as store:
        _write_report(store, run_id, out)


@app.command("ab")
def ab(
    run_a: int = typer.Argument(..., help="One run."),
    run_b: int = typer.Argument(..., help="The other run, of the same suite."),
    n: int = typer.Option(10, "--n", "-n", min=1, help="How many pairs to judge."),
    seed: int = typer.Option(0, "--seed", help="Seed for which pairs, and in which order."),
    judge: str = typer.Option("", "--judge", help="Your name, stored with each choice."),
) -> None:
    """Blind A/B: two unlabelled outputs per prompt; answer 1, 2, tie or skip (q stops) on stdin."""
    from fabula.eval.ab import run_ab, tally
    from fabula.store import open_store

    with open_store() as store:
        session = run_ab(store, run_a, run_b, sys.stdin, sys.stdout, n=n, seed=seed, judge=judge)
        typer.echo("\nThis session: " + session.render())
        total = tally(store, run_a, run_b)
        if total != session:
            typer.echo("All judgements of these runs: " + total.render())


def run_shorthand(argv: list[str]) -> list[str]:
    """`eval SUITE ...` means `eval run SUITE ...`."""
    if argv[:1] == ["eval"] and len(argv) >= 2 and argv[1] not in _SUBCOMMANDS and not argv[1].startswith("-"):
        return ["eval", "run", *argv[1:]]
    return argv
