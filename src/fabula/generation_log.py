"""Record a finished generation in the project store's log (`fabula log`)."""

from __future__ import annotations

from datetime import datetime

from fabula.backends.base import Completion, Usage
from fabula.backends.options import GenerationOptions
from fabula.store.records import GenerationRecord


def make_record(
    spec: str,
    prompt: str,
    options: GenerationOptions,
    completions: list[Completion],
    usage: Usage | None,
    started: datetime,
    ttft: float | None,
    elapsed: float,
    project_id: int | None = None,
) -> GenerationRecord:
    """The log row of one model call (`ttft` and `elapsed` in seconds), not yet stored."""
    return GenerationRecord(
        prompt=prompt,
        model=spec,
        options=options.model_dump(mode="json"),
        outputs=[c.text for c in completions],
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        started_at=started,
        ttft_ms=None if ttft is None else round(1000 * ttft, 1),
        duration_ms=round(1000 * elapsed, 1),
        project_id=project_id,
    )


def record(row: GenerationRecord) -> int:
    """Append `row` to the generation log of the default store; returns its id."""
    from fabula.store import open_store

    return open_store().log_generation(row)
