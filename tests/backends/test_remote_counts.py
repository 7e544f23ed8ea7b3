"""Remote backends size prompts with the server's own counts: /models for the context, /tokenize."""

from __future__ import annotations

from fabula.backends import Backend, resolve


def test_a_fabula_server_tells_its_context_and_counts_exactly(server_url: str, local: Backend) -> None:
    for kind in ("openai-completions", "openai"):
        remote = resolve(f"{kind}:{local.spec}@{server_url}")
        assert remote.context_length == local.context_length == 128
        text = "The sea was calm that night, and Mara counted the gulls."
        extra = remote.CHAT_TEMPLATE_TOKENS if kind == "openai" else 0  # type: ignore[attr-defined]
        assert remote.count_tokens(text) == local.count_tokens(text) + extra
        assert local.count_tokens(text) == len(local.tokenizer.encode_prompt(text))  # type: ignore[union-attr]


def test_a_server_that_cannot_count_leaves_it_unknown() -> None:
    remote = resolve("openai-completions:m@http://127.0.0.1:9/v1")  # the discard port: nothing listens
    assert remote.count_tokens("hello") is None and remote.context_length is None
