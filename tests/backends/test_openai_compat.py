"""The openai: backends: spec syntax and errors with HTTP mocked at the transport,
then end to end against Fabula's own server (in-process, OS-chosen port) with a tiny real model."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fabula.backends import Backend, GenerationOptions, resolve
from fabula.backends.openai_compat import (
    OFFICIAL_URL,
    OpenAIBackend,
    OpenAICompletionsBackend,
    ServerSpec,
    parse_spec,
)
from fabula.errors import BackendUnavailable, InvalidOptions, ModelNotFound, PromptTooLong

URL = "http://server.test/v1"
MODELS = {"object": "list", "data": [{"id": "llama3.2", "object": "model", "created": 0, "owned_by": "x"}]}


# -- a scripted server behind httpx.MockTransport -------------------------------------


class Scripted:
    """Answers /models with MODELS and everything else with `answer(body)`; records request bodies."""

    def __init__(self, answer: Callable[[dict[str, Any]], httpx.Response]) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(request.headers)
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json=MODELS)
        self.paths.append(request.url.path)
        body = json.loads(request.content)
        self.bodies.append(body)
        return self.answer(body)

    def backend(self, spec: str = f"openai:llama3.2@{URL}") -> OpenAIBackend:
        kind, rest = spec.split(":", 1)
        cls = OpenAICompletionsBackend if kind == "openai-completions" else OpenAIBackend
        return cls.from_spec(rest, http_client=httpx.Client(transport=httpx.MockTransport(self)), max_retries=0)


def events(*payloads: dict[str, Any]) -> httpx.Response:
    text = "".join(f"data: {json.dumps(p)}\n\n" for p in payloads) + "data: [DONE]\n\n"
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


def delta(index: int, content: str | None, finish: str | None = None) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "llama3.2",
            "choices": [{"index": index, "delta": {"content": content}, "finish_reason": finish}]}


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "llama3.2", "choices": [],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}}


def failing(status: int, message: str, code: str | None = None) -> Callable[[dict[str, Any]], httpx.Response]:
    return lambda body: httpx.Response(status, json={"error": {"message": message, "type": "x", "param": None,
                                                                "code": code}})


def run(backend: Backend, **options: Any) -> list[str]:
    return [c.text for c in backend.generate("Once", GenerationOptions(max_tokens=5, **options))]


# -- spec syntax ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("llama3.2@http://localhost:11434/v1", ServerSpec("llama3.2", "http://localhost:11434/v1")),
        ("llama3.2@localhost:11434/v1/", ServerSpec("llama3.2", "http://localhost:11434/v1")),
        ("hf:/tmp/ckpt@http://127.0.0.1:8000/v1", ServerSpec("hf:/tmp/ckpt", "http://127.0.0.1:8000/v1")),
        ("gpt-4o-mini", ServerSpec("gpt-4o-mini", OFFICIAL_URL)),
        ("m@https://api.groq.com/openai/v1#key=GROQ_API_KEY", ServerSpec("m", "https://api.groq.com/openai/v1", "GROQ_API_KEY")),
    ],
)
def test_spec_syntax(rest: str, expected: ServerSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FABULA_OPENAI_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert parse_spec(rest) == expected


def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://second:1/v1")
    assert parse_spec("m").base_url == "http://second:1/v1"
    monkeypatch.setenv("FABULA_OPENAI_BASE_URL", "http://first:1/v1")
    assert parse_spec("m").base_url == "http://first:1/v1"


@pytest.mark.parametrize("rest", ["@http://x/v1", "m@", "m@http://x/v1#token=A"])
def test_bad_specs_say_how_to_write_one(rest: str) -> None:
    with pytest.raises(InvalidOptions, match="openai:"):
        parse_spec(rest)


# -- the request -----------------------------------------------------------------------


def test_chat_request_carries_the_options() -> None:
    server = Scripted(lambda body: events(delta(0, "Hi", "stop")))
    run(server.backend(), seed=3, temperature=0.5, top_p=0.9, frequency_penalty=0.2, stop=("a", "b", "c", "d", "e"))
    body = server.bodies[0]
    assert server.paths == ["/v1/chat/completions"]
    assert body["messages"] == [{"role": "user", "content": "Once"}]
    assert (body["seed"], body["temperature"], body["top_p"], body["frequency_penalty"]) == (3, 0.5, 0.9, 0.2)
    assert body["stop"] == ["a", "b", "c", "d"]  # OpenAI's limit; the fifth is enforced locally
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert not {"top_k", "min_p", "repetition_penalty"} & set(body)


def test_options_beyond_openai_go_in_the_body_only_when_set() -> None:
    server = Scripted(lambda body: events(delta(0, "Hi", "stop")))
    run(server.backend(), top_k=40, repetition_penalty=1.1)
    assert server.bodies[0]["top_k"] == 40 and server.bodies[0]["repetition_penalty"] == 1.1
    assert "min_p" not in server.bodies[0]


def test_completions_kind_sends_the_prompt_verbatim() -> None:
    def answer(body: dict[str, Any]) -> httpx.Response:
        return events({"id": "c", "object": "text_completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "text": " upon", "finish_reason": "length", "logprobs": None}]})

    server = Scripted(answer)
    assert run(server.backend(f"openai-completions:llama3.2@{URL}")) == [" upon"]
    assert server.paths == ["/v1/completions"] and server.bodies[0]["prompt"] == "Once"


def test_servers_that_ignore_n_are_asked_again() -> None:
    # Like Ollama: one choice per streamed request, whatever n says.
    server = Scripted(lambda body: events(delta(0, f"seed{body['seed']}"), delta(0, "", "stop"), usage(4, 2)))
    backend = server.backend()
    chunks = list(backend.stream("Once", GenerationOptions(n=3, seed=10)))
    assert [b["n"] for b in server.bodies] == [3, 2, 1]
    assert {(c.index, c.text) for c in chunks if c.text} == {(0, "seed10"), (1, "seed11"), (2, "seed12")}
    assert sorted(c.index for c in chunks if c.finish_reason) == [0, 1, 2]
    assert backend.last_usage.prompt_tokens == 4 and backend.last_usage.completion_tokens == 6


def test_interleaved_choices_keep_their_index() -> None:
    server = Scripted(lambda body: events(delta(1, "b"), delta(0, "a"), delta(1, "b", "stop"), delta(0, "a", "length")))
    completions = server.backend().generate("Once", GenerationOptions(n=2))
    assert [(c.text, c.finish_reason) for c in completions] == [("aa", "length"), ("bb", "stop")]
    assert len(server.bodies) == 1


def test_stop_strings_hold_even_when_the_server_ignores_them() -> None:
    server = Scripted(lambda body: events(delta(0, "Hello wo"), delta(0, "rld. More"), delta(0, " text", "length")))
    backend = server.backend()
    chunks = list(backend.stream("Once", GenerationOptions(stop=("world",))))
    assert "".join(c.text for c in chunks) == "Hello "
    assert chunks[-1].finish_reason == "stop"
    assert backend.last_usage is None  # this server reports no usage


def test_constraints_are_refused_clearly() -> None:
    from fabula.engine.constraints import TokenFilter

    with pytest.raises(BackendUnavailable, match="local model"):
        Scripted(lambda body: events()).backend().generate("x", GenerationOptions(), TokenFilter(lambda t: True))
    assert OpenAIBackend.from_spec(f"m@{URL}").supports_constraints is False


# -- the API key -----------------------------------------------------------------------


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("FABULA_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "spec_suffix", "sent"),
    [
        ({}, "", "Bearer no-key-set"),
        ({"OPENAI_API_KEY": "sk-b"}, "", "Bearer sk-b"),
        ({"OPENAI_API_KEY": "sk-b", "FABULA_OPENAI_API_KEY": "sk-a"}, "", "Bearer sk-a"),
        ({"FABULA_OPENAI_API_KEY": "sk-a", "GROQ_API_KEY": "gsk"}, "#key=GROQ_API_KEY", "Bearer gsk"),
    ],
)
def test_api_key_source(env: dict[str, str], spec_suffix: str, sent: str, no_keys: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        no_keys.setenv(name, value)
    server = Scripted(lambda body: events(delta(0, "Hi", "stop")))
    run(server.backend(f"openai:llama3.2@{URL}{spec_suffix}"))
    assert server.headers[0]["authorization"] == sent


def test_a_named_key_variable_must_be_set(no_keys: pytest.MonkeyPatch) -> None:
    with pytest.raises(BackendUnavailable, match="export MY_KEY="):
        run(Scripted(lambda body: events()).backend(f"openai:llama3.2@{URL}#key=MY_KEY"))


# -- errors that say what to do ---------------------------------------------------------


def test_missing_key_names_the_variables(no_keys: pytest.MonkeyPatch) -> None:
    with pytest.raises(BackendUnavailable, match="export FABULA_OPENAI_API_KEY=.*#key=ENV_VAR"):
        run(Scripted(failing(401, "Missing bearer token")).backend())


def test_wrong_key_names_where_it_came_from(no_keys: pytest.MonkeyPatch) -> None:
    no_keys.setenv("OPENAI_API_KEY", "sk-wrong")
    with pytest.raises(BackendUnavailable, match=r"rejected the API key in \$OPENAI_API_KEY"):
        run(Scripted(failing(401, "Incorrect API key provided")).backend())


def test_unknown_model_lists_what_the_server_offers() -> None:
    server = Scripted(failing(404, "model 'llama3' not found"))
    with pytest.raises(ModelNotFound, match=r"It offers: llama3\.2\. Use e\.g\. openai:llama3\.2@"):
        run(server.backend(f"openai:llama3@{URL}"))


def test_a_model_on_the_wrong_endpoint_suggests_the_other() -> None:
    server = Scripted(failing(404, "This is not a chat model."))
    with pytest.raises(ModelNotFound, match=f"Try the other endpoint: openai-completions:llama3.2@{URL}"):
        run(server.backend())


def test_not_found_everywhere_suggests_checking_the_url() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404, text="404 page not found")))
    backend = OpenAIBackend.from_spec("llama3@http://localhost:11434", http_client=client, max_retries=0)
    with pytest.raises(ModelNotFound, match="ends in /v1"):
        run(backend)


def test_context_overflow_is_prompt_too_long() -> None:
    vllm_says = "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens."
    with pytest.raises(PromptTooLong, match="Shorten the prompt"):
        run(Scripted(failing(400, vllm_says)).backend())


def test_other_bad_requests_show_the_server_message() -> None:
    with pytest.raises(InvalidOptions, match="temperature too high"):
        run(Scripted(failing(400, "temperature too high")).backend())


def test_rate_limit_says_to_wait() -> None:
    with pytest.raises(BackendUnavailable, match="Wait and retry"):
        run(Scripted(failing(429, "Rate limit reached")).backend())


def test_an_error_in_the_middle_of_a_stream_is_reported() -> None:
    server = Scripted(lambda body: events(delta(0, "Hi"), {"error": {"message": "out of memory", "type": "x"}}))
    with pytest.raises(BackendUnavailable, match="out of memory"):
        run(server.backend())


def closed_port() -> int:
    with socket.socket() as s:  # bound, never listened on, then released: connections are refused
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_says_to_start_it() -> None:
    backend = OpenAIBackend.from_spec(f"m@http://127.0.0.1:{closed_port()}/v1", max_retries=0)
    with pytest.raises(BackendUnavailable, match="Is the server running\\? e.g. `ollama serve`"):
        run(backend)


def test_missing_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # import openai -> ImportError
    with pytest.raises(BackendUnavailable, match=r"pip install 'fabula\[openai\]'"):
        run(OpenAIBackend.from_spec(f"m@{URL}"))


def test_servers_without_echo_logprobs_cannot_score() -> None:
    no_echo = Scripted(lambda body: httpx.Response(200, json={
        "id": "c", "object": "text_completion", "created": 0, "model": "llama3.2",
        "choices": [{"index": 0, "text": "", "finish_reason": "length", "logprobs": None}]}))
    with pytest.raises(BackendUnavailable, match="cannot score.*vLLM, `fabula serve`"):
        no_echo.backend().score("The sea", " was calm")
    refusing = Scripted(failing(400, "echo is not supported"))
    with pytest.raises(BackendUnavailable, match="refused echo"):
        refusing.backend().score("The sea", " was calm")


def test_available_lists_nothing_without_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FABULA_OPENAI_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert OpenAIBackend.available() == []


def test_available_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABULA_OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    started = time.monotonic()
    assert OpenAIBackend.available() == []
    assert time.monotonic() - started < 3


# -- end to end against `fabula serve`'s app, with a tiny real model ------------------------


@pytest.mark.parametrize("kind", ["openai", "openai-completions"])
def test_remote_generation_equals_local(kind: str, server_url: str, local: Backend) -> None:
    remote = resolve(f"{kind}:{local.spec}@{server_url}")
    options = GenerationOptions(max_tokens=10, n=3, seed=5, temperature=1.0)
    chunks = list(remote.stream("The sea", options))
    expected = local.generate("The sea", options)
    texts = ["".join(c.text for c in chunks if c.index == i) for i in range(3)]
    assert texts == [c.text for c in expected]
    assert len(chunks) > 3 * 3  # streamed piece by piece
    assert remote.last_usage.completion_tokens == sum(len(c.token_ids) for c in expected)


def test_seed_reproduces_and_varies(server_url: str, local: Backend) -> None:
    remote = resolve(f"openai:{local.spec}@{server_url}")
    first, again, other = (run(remote, seed=s, temperature=1.0, n=2) for s in (1, 1, 2))
    assert first == again
    assert first != other
    assert first[0] != first[1]


def test_remote_stop_strings(server_url: str, local: Backend) -> None:
    remote = resolve(f"openai:{local.spec}@{server_url}")
    options = GenerationOptions(max_tokens=12, seed=4, temperature=0.0)
    free = remote.generate("The sea", options)[0].text
    stop = free[3:6]
    cut = remote.generate("The sea", options.model_copy(update={"stop": (stop,)}))[0]
    assert (cut.text, cut.finish_reason) == (free[: free.index(stop)], "stop")


@pytest.mark.parametrize("kind", ["openai", "openai-completions"])
def test_score_through_echo_logprobs(kind: str, server_url: str, local: Backend) -> None:
    remote = resolve(f"{kind}:{local.spec}@{server_url}").score("The sea", " was calm")
    expected = local.score("The sea", " was calm")
    assert "".join(remote.tokens) == " was calm"
    assert remote.logprobs == pytest.approx(expected.logprobs, abs=1e-4)


def test_remote_errors_map_back(server_url: str, local: Backend) -> None:
    with pytest.raises(PromptTooLong, match="context"):
        resolve(f"openai:{local.spec}@{server_url}").generate("the sea " * 200, GenerationOptions(max_tokens=2))
    with pytest.raises(ModelNotFound, match=f"It offers: {local.spec}"):
        run(resolve(f"openai:llama3@{server_url}"))


def test_available_lists_the_server_in_the_environment(server_url: str, local: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABULA_OPENAI_BASE_URL", server_url)
    infos = OpenAIBackend.available()
    assert [(i.spec, i.location) for i in infos] == [(f"openai:{local.spec}", server_url)]
    assert resolve(infos[0].spec).generate("Once", GenerationOptions(max_tokens=2))[0].text
