"""GET /v1/models and /v1/models/{id}: the one model this server serves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from fabula.server.dependencies import Served
from fabula.server.errors import APIError
from fabula.server.served import ServedModel

router = APIRouter(tags=["models"])


def model_card(served: ServedModel) -> dict[str, Any]:
    return {
        "id": served.id,
        "object": "model",
        "created": served.created,
        "owned_by": "fabula",
        "max_model_len": served.backend.context_length,  # vLLM's name for the context length
    }


@router.get("/models")
def list_models(served: Served) -> dict[str, Any]:
    return {"object": "list", "data": [model_card(served)]}


@router.get("/models/{model_id:path}")
def retrieve_model(model_id: str, served: Served) -> dict[str, Any]:
    if model_id != served.id:
        raise APIError(404, f"No model '{model_id}'. This server serves '{served.id}'.", param="model",
                       code="model_not_found")
    return model_card(served)
