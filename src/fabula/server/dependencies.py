"""What the routers get injected: the served model and the API-key check.

Both live on `app.state` (set by `create_app` and its lifespan), so a test
or an embedding application can replace them with
`app.dependency_overrides[served_model] = ...`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from fabula.server.errors import APIError
from fabula.server.served import ServedModel

__all__ = ["Served", "ServerSettings", "require_api_key", "served_model", "server_settings"]


@dataclass(frozen=True)
class ServerSettings:
    #: When set, every request must send `Authorization: Bearer <api_key>`.
    api_key: str | None = None


def served_model(request: Request) -> ServedModel:
    return request.app.state.served


#: A route parameter annotated `Served` receives the served model.
Served = Annotated[ServedModel, Depends(served_model)]


def server_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def require_api_key(request: Request) -> None:
    expected = server_settings(request).api_key
    if expected is None:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise APIError(
            401, "Missing or wrong API key. Send the key this server was started with "
            "(fabula serve --api-key / $FABULA_SERVER_API_KEY) as `Authorization: Bearer KEY`.",
            code="invalid_api_key",
        )
