"""The FastAPI application: one model, loaded once, served the OpenAI way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from fabula.backends import Backend, resolve
from fabula.server.dependencies import ServerSettings, require_api_key
from fabula.server.errors import install_error_handlers
from fabula.server.routers import chat, completions, models, tokenize
from fabula.server.served import ServedModel

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/v1"


def create_app(model: str | Backend | None = None, *, api_key: str | None = None) -> FastAPI:
    """An OpenAI-compatible app serving `model`.

    `model` is a spec (`house:en`, `hf:./ckpt`, ...; default $FABULA_MODEL or
    house:en) resolved and loaded when the app starts, or a ready backend.
    With `api_key`, requests must send `Authorization: Bearer <api_key>`.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = model if isinstance(model, Backend) else await run_in_threadpool(resolve, model)
        await run_in_threadpool(backend.load)
        app.state.served = ServedModel(backend)
        yield

    app = FastAPI(
        title="Fabula",
        summary="OpenAI-compatible completions and chat over a Fabula model.",
        lifespan=lifespan,
    )
    app.state.settings = ServerSettings(api_key=api_key)
    install_error_handlers(app)
    for router in (models.router, completions.router, chat.router, tokenize.router):
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(require_api_key)])
    # vLLM serves /tokenize at the root, next to /v1: clients look there
    app.include_router(tokenize.router, dependencies=[Depends(require_api_key)])
    return app
