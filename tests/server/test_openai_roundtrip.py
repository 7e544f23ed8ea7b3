"""The official openai client and Fabula's openai: backends against Fabula's server."""

from pathlib import Path

import openai
import pytest

from fabula.backends import GenerationOptions, resolve
from fabula.errors import ModelNotFound


@pytest.fixture
def client(server_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="unused", base_url=server_url, max_retries=0)


def test_models_endpoint(client: openai.OpenAI, tiny_checkpoint: Path) -> None:
    assert [m.id for m in client.models.list()] == [f"hf:{tiny_checkpoint}"]


def test_completions_match_local_generation(client: openai.OpenAI, tiny_checkpoint: Path) -> None:
    spec = f"hf:{tiny_checkpoint}"
    response = client.completions.create(model=spec, prompt="The sea", max_tokens=8, seed=3, n=2, temperature=0.9)
    local = resolve(spec).generate("The sea", GenerationOptions(max_tokens=8, seed=3, n=2, temperature=0.9))
    assert [c.text for c in response.choices] == [c.text for c in local]
    assert response.usage.completion_tokens == sum(len(c.token_ids) for c in local)


def test_official_client_streams_chat(client: openai.OpenAI, tiny_checkpoint: Path) -> None:
    stream = client.chat.completions.create(
        model=f"hf:{tiny_checkpoint}", messages=[{"role": "user", "content": "Once"}],
        max_tokens=6, seed=1, stream=True,
    )
    pieces = [c.choices[0].delta.content for c in stream if c.choices]
    assert len(pieces) >= 2  # arrived in several events, not one
    full = client.chat.completions.create(
        model=f"hf:{tiny_checkpoint}", messages=[{"role": "user", "content": "Once"}], max_tokens=6, seed=1
    )
    assert "".join(p or "" for p in pieces) == full.choices[0].message.content


def test_openai_backend_streams_n_alternatives_with_stop(server_url: str, tiny_checkpoint: Path) -> None:
    backend = resolve(f"openai:hf:{tiny_checkpoint}@{server_url}")
    options = GenerationOptions(max_tokens=10, n=3, seed=5, temperature=1.0)
    remote = backend.generate("The sea", options)
    local = resolve(f"hf:{tiny_checkpoint}").generate("The sea", options)
    assert [c.text for c in remote] == [c.text for c in local]
    assert backend.last_usage.completion_tokens == sum(len(c.token_ids) for c in local)
    stop = local[0].text[2:4]
    stopped = backend.generate("The sea", options.model_copy(update={"stop": (stop,)}))
    assert stopped[0].finish_reason == "stop" and stop not in stopped[0].text


def test_completions_backend_scores_through_echo_logprobs(server_url: str, tiny_checkpoint: Path) -> None:
    remote = resolve(f"openai-completions:hf:{tiny_checkpoint}@{server_url}").score("The sea", " was calm")
    local = resolve(f"hf:{tiny_checkpoint}").score("The sea", " was calm")
    assert "".join(remote.tokens) == " was calm"
    assert remote.logprobs == pytest.approx(local.logprobs, abs=1e-4)


def test_unknown_model_lists_what_the_server_offers(server_url: str, tiny_checkpoint: Path) -> None:
    backend = resolve(f"openai:llama3@{server_url}")
    with pytest.raises(ModelNotFound, match=f"It offers: hf:{tiny_checkpoint}"):
        backend.generate("x", GenerationOptions(max_tokens=2))
