"""POST /v1/completions: continue a prompt (base models), or score it with echo + logprobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from fabula.backends import Chunk, Usage
from fabula.server.dependencies import Served
from fabula.server.errors import APIError
from fabula.server.schemas import CompletionRequest
from fabula.server.served import ServedModel
from fabula.server.sse import event_stream, finish_reason, new_id, now, usage_json

router = APIRouter(tags=["completions"])

#: OpenAI's default max_tokens for /completions.
DEFAULT_MAX_TOKENS = 16


@router.post("/completions")
def create_completion(body: CompletionRequest, request: Request, served: Served) -> Any:
    served.check_requested(body.model)
    prompt = body.text()
    if body.max_tokens == 0:
        return _echo_only(body, prompt, served)
    if body.logprobs is not None:
        raise APIError(
            400, "This server returns log-probabilities of the prompt only: send echo=true, max_tokens=0 "
            "and logprobs. Log-probabilities of generated tokens are not available.", param="logprobs",
        )
    options = body.options(DEFAULT_MAX_TOKENS)
    rid, created = new_id("cmpl"), now()
    echoed = prompt if body.echo else ""

    def shell(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> dict[str, Any]:
        reply = {"id": rid, "object": "text_completion", "created": created, "model": served.id, "choices": choices}
        return reply | {"usage": usage} if usage is not None else reply

    if not body.stream:
        completions, usage = served.generate(prompt, options)
        choices = [_choice(c.index, echoed + c.text, c.finish_reason) for c in completions]
        return shell(choices, usage_json(usage))

    feed = served.stream(prompt, options)

    def render(chunk: Chunk) -> dict[str, Any] | None:
        if not chunk.text and not chunk.finish_reason:
            return None
        return shell([_choice(chunk.index, chunk.text, chunk.finish_reason)])

    def tail(usage: Usage | None) -> list[dict[str, Any]]:
        return [shell([], usage_json(usage))] if body.include_usage and usage is not None else []

    head = [shell([_choice(i, echoed, None)]) for i in range(options.n)] if echoed else []
    return event_stream(request, feed, head, render, tail)


def _choice(index: int, text: str, reason: str | None, logprobs: Any = None) -> dict[str, Any]:
    return {"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish_reason(reason)}


def _echo_only(body: CompletionRequest, prompt: str, served: ServedModel) -> Any:
    """max_tokens=0: the prompt itself, with its log-probabilities when asked (scoring)."""
    if not body.echo:
        raise APIError(400, "max_tokens must be at least 1 (or 0 with echo=true, to score the prompt).",
                       param="max_tokens")
    if body.stream:
        raise APIError(400, "Scoring a prompt (echo=true, max_tokens=0) is not streamed; send stream=false.",
                       param="stream")
    n = body.n or 1
    if body.logprobs is None:
        logprobs, count = None, served.count_tokens(prompt)
    else:
        scored = served.prompt_logprobs(prompt)
        logprobs, count = scored.as_json(), len(scored.tokens)
    return {
        "id": new_id("cmpl"), "object": "text_completion", "created": now(), "model": served.id,
        "choices": [_choice(i, prompt, "length", logprobs) for i in range(n)],
        "usage": {"prompt_tokens": count, "completion_tokens": 0, "total_tokens": count},
    }
