"""Errors in OpenAI's shape, the API key, and the model lock surviving abandoned streams."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from fabula.backends import Backend, Chunk, GenerationOptions
from fabula.server import create_app, serve_in_background


def test_unknown_model_is_404(client: openai.OpenAI, tiny_spec: str) -> None:
    with pytest.raises(openai.NotFoundError, match=f"Send model='{tiny_spec}'") as caught:
        client.completions.create(model="gpt-4o", prompt="x", max_tokens=2)
    assert caught.value.code == "model_not_found"


def test_out_of_range_option_is_400_naming_the_field(client: openai.OpenAI, tiny_spec: str) -> None:
    with pytest.raises(openai.BadRequestError, match="temperature") as caught:
        client.completions.create(model=tiny_spec, prompt="x", max_tokens=2, temperature=9)
    assert caught.value.body["param"] == "temperature"


def test_too_long_prompt_is_400_context_length_exceeded(client: openai.OpenAI, tiny_spec: str) -> None:
    for stream in (False, True):  # streamed too: the error comes before the first event
        with pytest.raises(openai.BadRequestError, match="context") as caught:
            client.completions.create(model=tiny_spec, prompt="the sea " * 200, max_tokens=2, stream=stream)
        assert caught.value.code == "context_length_exceeded"


def test_malformed_body_and_unknown_route_use_the_error_shape(server_url: str) -> None:
    missing = httpx.post(f"{server_url}/completions", json={"max_tokens": 2})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "prompt"
    route = httpx.get(f"{server_url}/embeddings")
    assert route.status_code == 404
    assert set(route.json()["error"]) == {"message", "type", "param", "code"}


def test_unsupported_fields_are_refused_not_ignored(client: openai.OpenAI, tiny_spec: str) -> None:
    with pytest.raises(openai.BadRequestError, match="Tools"):
        client.chat.completions.create(
            model=tiny_spec, messages=[{"role": "user", "content": "x"}], max_tokens=2,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        )


class Endless(Backend):
    """Streams 'x' until closed, and says when it was."""

    kind = "endless"

    def __init__(self) -> None:
        super().__init__("endless:x")
        self.closed = threading.Event()
        self.calls = 0

    def stream(self, prompt: str, options: GenerationOptions | None = None, constraint: Any = None) -> Iterator[Chunk]:
        self.calls += 1
        if self.calls > 1:  # the next request after the abandoned one
            yield Chunk(0, "done", (), "stop")
            return
        try:
            for _ in range(100_000):
                time.sleep(0.001)
                yield Chunk(0, "x")
        finally:
            self.closed.set()


def test_a_client_hanging_up_stops_decoding_and_frees_the_model() -> None:
    backend = Endless()
    with serve_in_background(create_app(backend)) as url:
        client = openai.OpenAI(api_key="unused", base_url=url, max_retries=0)
        stream = client.completions.create(model="endless:x", prompt="Once", stream=True)
        next(iter(stream))
        stream.close()
        assert backend.closed.wait(timeout=10)
        reply = client.completions.create(model="endless:x", prompt="Once", timeout=10)
        assert reply.choices[0].text == "done"


@pytest.fixture(scope="module")
def keyed_url(local: Backend) -> Iterator[str]:
    with serve_in_background(create_app(local, api_key="sk-fabula")) as url:
        yield url


def test_api_key_is_required_when_set(keyed_url: str, tiny_spec: str) -> None:
    wrong = openai.OpenAI(api_key="nope", base_url=keyed_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.models.list()
    assert caught.value.code == "invalid_api_key"
    right = openai.OpenAI(api_key="sk-fabula", base_url=keyed_url, max_retries=0)
    assert [m.id for m in right.models.list()] == [tiny_spec]
