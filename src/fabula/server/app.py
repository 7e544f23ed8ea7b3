"""The FastAPI application: one backend, loaded once, served the OpenAI way."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from fabula.backends import Backend, GenerationOptions, resolve
from fabula.errors import FabulaError, ModelNotFound, PromptTooLong
from fabula.server.schemas import ChatRequest, CompletionRequest, SamplingFields, render_chat

DEFAULT_MAX_TOKENS = 16  # OpenAI's default for /completions


def create_app(model: str | Backend | None = None) -> FastAPI:
    """An app serving `model` (a spec or a ready backend; default house model)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        app.state.backend = model if isinstance(model, Backend) else resolve(model)
        app.state.lock = threading.Lock()  # one decode at a time: the runtime keeps one KV cache
        yield

    app = FastAPI(title="Fabula", lifespan=lifespan)
    app.add_exception_handler(FabulaError, _fabula_error)
    app.add_exception_handler(ValidationError, _validation_error)

    @app.get("/v1/models")
    def models(backend: Backend = Depends(_backend)) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": backend.spec, "object": "model", "owned_by": "fabula"}]}

    @app.post("/v1/completions")
    def completions(body: CompletionRequest, request: Request, backend: Backend = Depends(_backend)) -> Any:
        _check_model(body, backend)
        if body.echo and body.logprobs is not None and not body.max_tokens:
            return _echo_scores(backend, body.prompt)
        options = body.options(DEFAULT_MAX_TOKENS)
        return _respond(request, backend, body.prompt, options, body.stream, "text_completion", _text_piece)

    @app.post("/v1/chat/completions")
    def chat(body: ChatRequest, request: Request, backend: Backend = Depends(_backend)) -> Any:
        _check_model(body, backend)
        options = body.options(default_max_tokens=backend.context_length or 512)
        prompt = render_chat(body.messages)
        return _respond(request, backend, prompt, options, body.stream, "chat.completion", _chat_piece)

    return app


def _backend(request: Request) -> Backend:
    return request.app.state.backend


def _check_model(body: SamplingFields, backend: Backend) -> None:
    if body.model and body.model != backend.spec:
        raise ModelNotFound(f"This server serves '{backend.spec}', not '{body.model}'.")


def _respond(request: Request, backend: Backend, prompt: str, options: GenerationOptions, stream: bool,
             kind: str, piece: Any) -> Any:
    lock: threading.Lock = request.app.state.lock
    rid = f"fabula-{uuid.uuid4().hex[:16]}"
    created = int(time.time())
    if not stream:
        with lock:
            done = backend.generate(prompt, options)
        usage = backend.last_usage
        return {
            "id": rid, "object": kind, "created": created, "model": backend.spec,
            "choices": [piece(c.index, c.text, c.finish_reason, final=True) for c in done],
            "usage": _usage(usage),
        }

    def events() -> Iterator[str]:
        with lock:
            for chunk in backend.stream(prompt, options):
                body = {"id": rid, "object": f"{kind}.chunk", "created": created, "model": backend.spec,
                        "choices": [piece(chunk.index, chunk.text, chunk.finish_reason, final=False)]}
                yield f"data: {json.dumps(body, ensure_ascii=False)}\n\n"
            tail = {"id": rid, "object": f"{kind}.chunk", "created": created, "model": backend.spec,
                    "choices": [], "usage": _usage(backend.last_usage)}
            yield f"data: {json.dumps(tail)}\n\n"
        yield "data: [DONE]\n\n"

    # Validate before the 200 header goes out: errors must come back as JSON errors.
    return StreamingResponse(_primed(events()), media_type="text/event-stream")


def _primed(events: Iterator[str]) -> Iterator[str]:
    first = next(events)
    yield first
    yield from events


def _text_piece(index: int, text: str, finish: str | None, final: bool) -> dict[str, Any]:
    return {"index": index, "text": text, "finish_reason": finish, "logprobs": None}


def _chat_piece(index: int, text: str, finish: str | None, final: bool) -> dict[str, Any]:
    key = "message" if final else "delta"
    return {"index": index, key: {"role": "assistant", "content": text}, "finish_reason": finish}


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens}


def _echo_scores(backend: Backend, prompt: str) -> dict[str, Any]:
    """Prompt log-probabilities (echo + logprobs, no new tokens), as vLLM returns them."""
    tokenizer = backend.tokenizer
    if tokenizer is None:
        raise PromptTooLong("This backend has no tokenizer to score with.")
    ids = tokenizer.encode(prompt)
    head = tokenizer.decode(ids[:1])
    score = backend.score(head, prompt[len(head):])
    tokens = [head, *score.tokens]
    offsets, pos = [], 0
    for tok in tokens:
        offsets.append(pos)
        pos += len(tok)
    return {
        "id": f"fabula-{uuid.uuid4().hex[:16]}", "object": "text_completion", "created": int(time.time()),
        "model": backend.spec,
        "choices": [{"index": 0, "text": prompt, "finish_reason": "length", "logprobs": {
            "tokens": tokens, "token_logprobs": [None, *score.logprobs], "text_offset": offsets,
            "top_logprobs": None}}],
        "usage": {"prompt_tokens": len(tokens), "completion_tokens": 0, "total_tokens": len(tokens)},
    }


_STATUS = {"ModelNotFound": (404, "model_not_found"), "PromptTooLong": (400, "context_length_exceeded"),
           "InvalidOptions": (400, "invalid_request_error")}


async def _fabula_error(request: Request, exc: Exception) -> JSONResponse:
    status, code = _STATUS.get(type(exc).__name__, (400, "invalid_request_error"))
    return JSONResponse({"error": {"message": str(exc), "type": "invalid_request_error", "code": code}}, status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": {"message": str(exc), "type": "invalid_request_error", "code": None}}, 400)
