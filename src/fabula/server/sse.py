"""Server-sent events the way OpenAI streams them: `data: {json}` lines, then `data: [DONE]`."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from fabula.backends import Chunk, Usage
from fabula.server.errors import APIError
from fabula.server.served import ChunkFeed

__all__ = ["event_stream", "finish_reason", "new_id", "usage_json"]

log = logging.getLogger("fabula.server")
DONE = "data: [DONE]\n\n"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def now() -> int:
    return int(time.time())


def finish_reason(reason: str | None) -> str | None:
    """Fabula's finish reasons in OpenAI's words ("context" full is a "length" stop)."""
    return "length" if reason == "context" else reason


def usage_json(usage: Usage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens}


def data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def event_stream(
    request: Request,
    feed: ChunkFeed,
    head: list[dict[str, Any]],
    render: Callable[[Chunk], dict[str, Any] | None],
    tail: Callable[[Usage | None], list[dict[str, Any]]],
) -> StreamingResponse:
    """SSE: `head` events, one per chunk `render` keeps, the `tail` events, then [DONE].

    A client that hangs up cancels decoding (checked before each event), so
    the model is free for the next request. An error after the first byte
    can no longer change the status code, so it is sent as an
    `{"error": ...}` event, which OpenAI clients raise.
    """

    async def events() -> AsyncIterator[str]:
        try:
            for payload in head:
                yield data(payload)
            async for chunk in feed:
                if await request.is_disconnected():
                    return
                rendered = render(chunk)
                if rendered is not None:
                    yield data(rendered)
            for payload in tail(feed.usage):
                yield data(payload)
            yield DONE
        except Exception as exc:
            error = APIError.from_exception(exc)
            log.error("streaming failed: %s", error.message, exc_info=exc)
            yield data(error.body())
        finally:
            feed.cancel()  # a no-op when decoding has finished

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
