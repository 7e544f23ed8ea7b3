"""Error paths of the openai: backend, with HTTP mocked at the transport."""

import socket

import httpx
import pytest

from fabula.backends import GenerationOptions
from fabula.backends.openai_compat import OpenAIBackend
from fabula.errors import BackendUnavailable, InvalidOptions, PromptTooLong


def backend_answering(status: int, message: str) -> OpenAIBackend:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": [{"id": "m1", "object": "model"}]})
        return httpx.Response(status, json={"error": {"message": message, "type": "x", "code": None}})

    client = httpx.Client(transport=httpx.MockTransport(reply))
    return OpenAIBackend("openai:m@http://server.test/v1", "m", "http://server.test/v1", http_client=client)


def run(backend: OpenAIBackend) -> None:
    backend.generate("Once", GenerationOptions(max_tokens=3))


def test_wrong_key_names_the_variable() -> None:
    with pytest.raises(BackendUnavailable, match="FABULA_OPENAI_API_KEY"):
        run(backend_answering(401, "Incorrect API key provided"))


def test_context_overflow_is_prompt_too_long() -> None:
    with pytest.raises(PromptTooLong):
        run(backend_answering(400, "This model's maximum context length is 4096 tokens"))


def test_other_bad_requests_show_the_server_message() -> None:
    with pytest.raises(InvalidOptions, match="temperature too high"):
        run(backend_answering(400, "temperature too high"))


def test_unreachable_server_says_to_start_it() -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = OpenAIBackend(f"openai:m@http://127.0.0.1:{port}/v1", "m", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(BackendUnavailable, match="Is the server running"):
        run(backend)


def test_constraints_are_refused_clearly() -> None:
    from fabula.engine.constraints import TokenFilter

    backend = backend_answering(200, "")
    with pytest.raises(BackendUnavailable, match="local model"):
        backend.generate("x", GenerationOptions(max_tokens=2), TokenFilter(lambda t: True))


def test_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def reply(request: httpx.Request) -> httpx.Response:
        seen["auth"] = request.headers.get("authorization")
        return httpx.Response(401, json={"error": {"message": "no", "type": "x", "code": None}})

    monkeypatch.setenv("FABULA_OPENAI_API_KEY", "sk-test-123")
    backend = OpenAIBackend("openai:m@http://s.test/v1", "m", "http://s.test/v1",
                            http_client=httpx.Client(transport=httpx.MockTransport(reply)))
    with pytest.raises(BackendUnavailable):
        run(backend)
    assert seen["auth"] == "Bearer sk-test-123"
