"""POST /tokenize: the tokens the served model receives for a prompt (vLLM's route and shape).

Clients size prompts against the context with it (`OpenAIBackend.count_tokens`): a remote
model's tokenizer is not known locally, and an estimate from characters can be far off.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from fabula.server.dependencies import Served
from fabula.server.errors import APIError

router = APIRouter(tags=["tokenize"])


class TokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # vLLM's and llama.cpp's clients send more fields
    model: str | None = None
    prompt: str | None = None
    content: str | None = None  # llama.cpp's name for the text


@router.post("/tokenize")
def tokenize(body: TokenizeRequest, served: Served) -> dict[str, Any]:
    served.check_requested(body.model)
    text = body.prompt if body.prompt is not None else body.content
    if text is None:
        raise APIError(400, "Send the text to tokenize as `prompt`.", param="prompt")
    backend = served.backend
    count = backend.count_tokens(text)
    if count is None:
        raise APIError(501, f"{served.id} has no local tokenizer to count with.", param="model")
    return {"count": count, "max_model_len": backend.context_length}
