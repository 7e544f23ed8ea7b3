"""Eval runs in the project store (migration 5): runs, their samples and metric values, A/B choices.

Every function takes an open `Store` and runs in one transaction of its own. A task's samples,
values and checkpoint row are written together, so an interrupted run holds whole tasks only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from fabula.store import NotFound, Store
from fabula.store.database import reading, writing
from fabula.store.schema import now_text

__all__ = [
    "EvalRun", "Judgement", "Sample", "Value", "add_judgement", "create_run", "finish_run", "get_run",
    "judgements", "list_runs", "run_samples", "run_values", "store_task",
]

Key = tuple[str, int, float, int, int]  # task, prompt index, temperature, seed, sample index


@dataclass(frozen=True)
class EvalRun:
    id: int
    suite: str
    suite_hash: str
    model: str
    fabula_version: str
    git_commit: str | None
    config: dict[str, Any]
    status: str  # "running" until the last task is stored, then "done"
    created_at: str
    finished_at: str | None
    tasks_done: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sample:
    task: str
    prompt_index: int
    prompt: str
    temperature: float
    seed: int
    sample_index: int
    model: str
    output: str
    id: int | None = None

    @property
    def key(self) -> Key:
        return (self.task, self.prompt_index, self.temperature, self.seed, self.sample_index)


@dataclass(frozen=True)
class Value:
    metric: str  # the suite's label, e.g. "distinct_2"
    unit: str  # "task/prompt/temperature/seed" for a group, plus "/sample" for a sample
    task: str
    temperature: float
    value: float | None
    sample: Key | None = None  # the sample it measures, for per-sample metrics
    sample_id: int | None = None


@dataclass(frozen=True)
class Judgement:
    id: int
    run_a: int
    run_b: int
    sample_a: int
    sample_b: int
    shown_first: str
    choice: str
    judge: str
    created_at: str


def create_run(
    store: Store, suite: str, suite_hash: str, model: str, version: str, commit: str | None, config: dict[str, Any]
) -> EvalRun:
    row = {"suite": suite, "hash": suite_hash, "model": model, "version": version, "commit": commit,
           "config": json.dumps(config, sort_keys=True, ensure_ascii=False), "at": now_text()}
    with writing(store.engine) as conn:
        run_id = conn.execute(
            text(
                "INSERT INTO eval_runs (suite, suite_hash, model, fabula_version, git_commit, config, status, "
                "created_at) VALUES (:suite, :hash, :model, :version, :commit, :config, 'running', :at) RETURNING id"
            ),
            row,
        ).scalar_one()
        return _get(conn, int(run_id))


def store_task(store: Store, run_id: int, task: str, samples: Sequence[Sample], values: Sequence[Value],
               seconds: float) -> None:
    """A finished task's samples and values, and its checkpoint row, in one transaction."""
    with writing(store.engine) as conn:
        ids: dict[Key, int] = {}
        for s in samples:
            ids[s.key] = int(conn.execute(
                text(
                    "INSERT INTO eval_samples (run_id, task, prompt_index, prompt, temperature, seed, sample_index, "
                    "model, output) VALUES (:run, :task, :pi, :prompt, :t, :seed, :si, :model, :out) RETURNING id"
                ),
                {"run": run_id, "task": s.task, "pi": s.prompt_index, "prompt": s.prompt, "t": s.temperature,
                 "seed": s.seed, "si": s.sample_index, "model": s.model, "out": _encode(s.output)},
            ).scalar_one())
        if values:
            conn.execute(
                text(
                    "INSERT INTO eval_values (run_id, metric, unit, task, temperature, sample_id, value) "
                    "VALUES (:run, :metric, :unit, :task, :t, :sid, :value)"
                ),
                [{"run": run_id, "metric": v.metric, "unit": v.unit, "task": v.task, "t": v.temperature,
                  "sid": ids[v.sample] if v.sample else None, "value": v.value} for v in values],
            )
        conn.execute(
            text("INSERT INTO eval_run_tasks (run_id, task, seconds, finished_at) VALUES (:run, :task, :s, :at)"),
            {"run": run_id, "task": task, "s": seconds, "at": now_text()},
        )


def finish_run(store: Store, run_id: int) -> EvalRun:
    with writing(store.engine) as conn:
        conn.execute(text("UPDATE eval_runs SET status = 'done', finished_at = :at WHERE id = :id"),
                     {"at": now_text(), "id": run_id})
        return _get(conn, run_id)


def get_run(store: Store, run_id: int) -> EvalRun:
    with reading(store.engine) as conn:
        return _get(conn, run_id)


def list_runs(store: Store, suite: str | None = None, limit: int = 50) -> list[EvalRun]:
    """Newest first."""
    query = "SELECT id FROM eval_runs" + (" WHERE suite = :suite" if suite else "") + " ORDER BY id DESC LIMIT :n"
    with reading(store.engine) as conn:
        ids = conn.execute(text(query), {"suite": suite, "n": limit}).scalars().all()
        return [_get(conn, int(i)) for i in ids]


def run_samples(store: Store, run_id: int) -> list[Sample]:
    with reading(store.engine) as conn:
        rows = conn.execute(
            text("SELECT * FROM eval_samples WHERE run_id = :run ORDER BY id"), {"run": run_id}
        ).mappings()
        return [Sample(r["task"], r["prompt_index"], r["prompt"], float(r["temperature"]), r["seed"],
                       r["sample_index"], r["model"], json.loads(r["output"]), r["id"]) for r in rows]


def run_values(store: Store, run_id: int) -> list[Value]:
    with reading(store.engine) as conn:
        rows = conn.execute(
            text("SELECT * FROM eval_values WHERE run_id = :run ORDER BY id"), {"run": run_id}
        ).mappings()
        return [Value(r["metric"], r["unit"], r["task"], float(r["temperature"]), r["value"],
                      sample_id=r["sample_id"]) for r in rows]


def add_judgement(store: Store, run_a: int, run_b: int, sample_a: int, sample_b: int, shown_first: str,
                  choice: str, judge: str = "") -> int:
    with writing(store.engine) as conn:
        return int(conn.execute(
            text(
                "INSERT INTO ab_judgements (run_a, run_b, sample_a, sample_b, shown_first, choice, judge, created_at) "
                "VALUES (:a, :b, :sa, :sb, :first, :choice, :judge, :at) RETURNING id"
            ),
            {"a": run_a, "b": run_b, "sa": sample_a, "sb": sample_b, "first": shown_first, "choice": choice,
             "judge": judge, "at": now_text()},
        ).scalar_one())


def judgements(store: Store, run_a: int, run_b: int) -> list[Judgement]:
    """Judgements of this pair of runs, in either order of A and B, oldest first (as stored)."""
    with reading(store.engine) as conn:
        rows = conn.execute(
            text("SELECT * FROM ab_judgements WHERE (run_a = :a AND run_b = :b) OR (run_a = :b AND run_b = :a) "
                 "ORDER BY id"),
            {"a": run_a, "b": run_b},
        ).mappings()
        return [Judgement(**dict(r)) for r in rows]


def _encode(output: str) -> str:
    # A JSON string: PostgreSQL's TEXT refuses NUL, which a model may well produce.
    return json.dumps(output, ensure_ascii=False)


def _get(conn: Connection, run_id: int) -> EvalRun:
    row = conn.execute(text("SELECT * FROM eval_runs WHERE id = :id"), {"id": run_id}).mappings().first()
    if row is None:
        raise NotFound(f"No eval run with id {run_id}. List runs with `fabula eval list`.")
    done = conn.execute(
        text("SELECT task FROM eval_run_tasks WHERE run_id = :id ORDER BY finished_at, task"), {"id": run_id}
    ).scalars().all()
    return EvalRun(
        id=int(row["id"]), suite=row["suite"], suite_hash=row["suite_hash"], model=row["model"],
        fabula_version=row["fabula_version"], git_commit=row["git_commit"], config=json.loads(row["config"]),
        status=row["status"], created_at=row["created_at"], finished_at=row["finished_at"], tasks_done=tuple(done),
    )

