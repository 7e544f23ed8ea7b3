"""The generation log: one row per call to a model (queries on an open connection)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert, or_, select

from fabula.store.errors import InvalidRecord, NotFound
from fabula.store.records import GenerationRecord
from fabula.store.schema import from_text, generations, to_text


def log_generation(conn: Connection, record: GenerationRecord) -> int:
    row = {
        "project_id": record.project_id,
        "model": record.model,
        "prompt": record.prompt,
        "options": json.dumps(record.options, sort_keys=True, ensure_ascii=False),
        "outputs": json.dumps(record.outputs, ensure_ascii=False),
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "started_at": to_text(record.started_at),
        "ttft_ms": record.ttft_ms,
        "duration_ms": record.duration_ms,
    }
    return int(conn.execute(insert(generations).values(**row).returning(generations.c.id)).scalar_one())


def list_generations(
    conn: Connection, limit: int, model: str | None, search: str | None, project_id: int | None
) -> list[GenerationRecord]:
    if limit < 1:
        raise InvalidRecord(f"Asked for {limit} generations; ask for at least 1.")
    query = select(generations).order_by(generations.c.id.desc()).limit(limit)
    if model:
        query = query.where(_model_matches(model))
    if search:
        query = query.where(_text_matches(search))
    if project_id is not None:
        query = query.where(generations.c.project_id == project_id)
    return [_record(row) for row in conn.execute(query)]


def get_generation(conn: Connection, generation_id: int) -> GenerationRecord:
    row = conn.execute(select(generations).where(generations.c.id == generation_id)).first()
    if row is None:
        raise NotFound(f"No generation with id {generation_id}. List recent ones with `fabula log`.")
    return _record(row)


def generations_for(conn: Connection, project_id: int, ids: Sequence[int]) -> list[GenerationRecord]:
    """Rows logged for a project or named by its passages, oldest first."""
    query = (
        select(generations)
        .where(or_(generations.c.project_id == project_id, generations.c.id.in_(list(ids))))
        .order_by(generations.c.id)
    )
    return [_record(row) for row in conn.execute(query)]


def _model_matches(model: str) -> ColumnElement[bool]:
    """`house:en` matches that spec exactly; a bare `house` matches every `house:...` spec."""
    if ":" in model:
        return generations.c.model == model
    return or_(generations.c.model == model, generations.c.model.startswith(f"{model}:", autoescape=True))


def _text_matches(search: str) -> ColumnElement[bool]:
    # Outputs are stored as a JSON list, so look for the search text as JSON encodes it
    # (quotes and newlines escaped). ilike is ILIKE on PostgreSQL, lower() LIKE lower() elsewhere.
    encoded = json.dumps(search, ensure_ascii=False)[1:-1]
    return or_(_contains(generations.c.prompt, search), _contains(generations.c.outputs, encoded))


def _contains(column: ColumnElement[str], needle: str) -> ColumnElement[bool]:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _record(row: Any) -> GenerationRecord:
    return GenerationRecord(
        id=row.id,
        project_id=row.project_id,
        model=row.model,
        prompt=row.prompt,
        options=json.loads(row.options),
        outputs=json.loads(row.outputs),
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        started_at=from_text(row.started_at),
        ttft_ms=row.ttft_ms,
        duration_ms=row.duration_ms,
    )
