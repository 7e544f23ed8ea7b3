"""Errors in OpenAI's JSON shape, so OpenAI clients raise their usual exceptions.

Every error response is `{"error": {"message", "type", "param", "code"}}`
with the status OpenAI would use: 400 for a bad request (code
`context_length_exceeded` for a prompt that does not fit), 401 for a wrong
key, 404 for an unknown model or route, 503 when the backend is unavailable.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from fabula.errors import (
    BackendUnavailable,
    FabulaError,
    InvalidOptions,
    ModelNotFound,
    PromptTooLong,
    UnknownModelSpec,
)

__all__ = ["APIError", "error_body", "install_error_handlers"]

log = logging.getLogger("fabula.server")


class APIError(Exception):
    """A request the server refuses, with the status and OpenAI error fields to send."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.kind = kind

    @classmethod
    def invalid(cls, exc: ValidationError, strip_loc: tuple[str, ...] = ()) -> APIError:
        """A 400 listing every field pydantic rejected."""
        problems, first = [], None
        for error in exc.errors():
            loc = [str(part) for part in error["loc"] if str(part) not in strip_loc]
            name = ".".join(loc) or "body"
            first = first or name
            problems.append(f"{name}: {error['msg']}")
        return cls(400, "Invalid request: " + "; ".join(problems), param=first)

    @classmethod
    def from_exception(cls, exc: BaseException) -> APIError:
        """Any exception as an APIError (Fabula's errors keep their message)."""
        if isinstance(exc, APIError):
            return exc
        if isinstance(exc, (ModelNotFound, UnknownModelSpec)):
            return cls(404, str(exc), code="model_not_found")
        if isinstance(exc, PromptTooLong):
            return cls(400, str(exc), param="prompt", code="context_length_exceeded")
        if isinstance(exc, InvalidOptions):
            return cls(400, str(exc))
        if isinstance(exc, BackendUnavailable):
            return cls(503, str(exc), kind="server_error")
        if isinstance(exc, FabulaError):
            return cls(500, str(exc), kind="server_error")
        return cls(500, f"The server failed: {type(exc).__name__}: {exc}. See the server's log.", kind="server_error")

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.kind, self.param, self.code)


def error_body(message: str, kind: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure, expected or not, in OpenAI's error shape."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        error = APIError.from_exception(exc)
        if error.status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, error.message, exc_info=exc)
        return JSONResponse(error.body(), status_code=error.status)

    async def request_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems, first = [], None
        for error in exc.errors():
            loc = [str(part) for part in error["loc"] if part != "body"]
            name = ".".join(loc) or "body"
            first = first or name
            problems.append(f"{name}: {error['msg']}")
        message = "Invalid request: " + "; ".join(problems)
        return JSONResponse(error_body(message, "invalid_request_error", first), status_code=400)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"No route {request.method} {request.url.path}. Endpoints: /v1/models, /v1/completions, /v1/chat/completions."
        return JSONResponse(error_body(message, "invalid_request_error"), status_code=exc.status_code)

    app.add_exception_handler(APIError, api_error)
    app.add_exception_handler(FabulaError, api_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, api_error)
