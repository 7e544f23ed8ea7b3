"""POST /v1/chat/completions: messages rendered to one prompt (see `chat_template`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from fabula.backends import Chunk, Usage
from fabula.server.chat_template import render_chat
from fabula.server.dependencies import Served
from fabula.server.schemas import ChatRequest
from fabula.server.sse import event_stream, finish_reason, new_id, now, usage_json

router = APIRouter(tags=["chat"])

#: Without max_tokens, a reply may fill the model's context; this is the cap
#: when the backend does not know its context length.
FALLBACK_MAX_TOKENS = 1024


@router.post("/chat/completions")
def create_chat_completion(body: ChatRequest, request: Request, served: Served) -> Any:
    served.check_requested(body.model)
    prompt, stops = render_chat(body.conversation())
    options = body.options(served.backend.context_length or FALLBACK_MAX_TOKENS, extra_stops=stops)
    rid, created = new_id("chatcmpl"), now()

    if not body.stream:
        completions, usage = served.generate(prompt, options)
        return {
            "id": rid, "object": "chat.completion", "created": created, "model": served.id,
            "choices": [
                {"index": c.index, "message": {"role": "assistant", "content": c.text},
                 "logprobs": None, "finish_reason": finish_reason(c.finish_reason)}
                for c in completions
            ],
            "usage": usage_json(usage),
        }

    feed = served.stream(prompt, options)

    def shell(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> dict[str, Any]:
        reply = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": served.id,
                 "choices": choices}
        return reply | {"usage": usage} if usage is not None else reply

    def render(chunk: Chunk) -> dict[str, Any] | None:
        if not chunk.text and not chunk.finish_reason:
            return None
        delta = {"content": chunk.text} if chunk.text else {}
        return shell([{"index": chunk.index, "delta": delta, "logprobs": None,
                       "finish_reason": finish_reason(chunk.finish_reason)}])

    def tail(usage: Usage | None) -> list[dict[str, Any]]:
        return [shell([], usage_json(usage))] if body.include_usage and usage is not None else []

    head = [shell([{"index": i, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                    "finish_reason": None}]) for i in range(options.n)]
    return event_stream(request, feed, head, render, tail)
