"""POST /v1/completions through the official openai client."""

from __future__ import annotations

import openai
import pytest

from fabula.backends import Backend, GenerationOptions


def test_models_lists_the_served_model(client: openai.OpenAI, tiny_spec: str) -> None:
    assert [m.id for m in client.models.list()] == [tiny_spec]
    assert client.models.retrieve(tiny_spec).id == tiny_spec


def test_completions_equal_local_generation(client: openai.OpenAI, tiny_spec: str, local: Backend) -> None:
    reply = client.completions.create(model=tiny_spec, prompt="The sea", max_tokens=8, n=2, seed=3, temperature=0.9)
    expected = local.generate("The sea", GenerationOptions(max_tokens=8, n=2, seed=3, temperature=0.9))
    assert [c.text for c in reply.choices] == [c.text for c in expected]
    assert [c.index for c in reply.choices] == [0, 1]
    assert reply.usage.completion_tokens == sum(len(c.token_ids) for c in expected)
    assert reply.usage.prompt_tokens == local.last_usage.prompt_tokens


def test_sampling_extras_reach_the_model(client: openai.OpenAI, tiny_spec: str, local: Backend) -> None:
    extras = {"top_k": 5, "min_p": 0.05, "repetition_penalty": 1.3}
    reply = client.completions.create(model=tiny_spec, prompt="Once", max_tokens=6, seed=2, extra_body=extras)
    expected = local.generate("Once", GenerationOptions(max_tokens=6, seed=2, temperature=1.0, **extras))
    assert reply.choices[0].text == expected[0].text


def test_streamed_n_alternatives_interleave_by_index(client: openai.OpenAI, tiny_spec: str) -> None:
    kwargs: dict = {"model": tiny_spec, "prompt": "It was", "max_tokens": 6, "n": 2, "seed": 7}
    whole = client.completions.create(**kwargs)
    texts, finished, order = ["", ""], [None, None], []
    for event in client.completions.create(**kwargs, stream=True):
        for choice in event.choices:
            texts[choice.index] += choice.text
            finished[choice.index] = choice.finish_reason or finished[choice.index]
            order.append(choice.index)
    assert texts == [c.text for c in whole.choices]
    assert finished == [c.finish_reason for c in whole.choices]
    assert order.count(0) > 1 and order.count(1) > 1  # token by token, not one lump


def test_usage_is_streamed_only_when_asked(client: openai.OpenAI, tiny_spec: str) -> None:
    kwargs: dict = {"model": tiny_spec, "prompt": "It was", "max_tokens": 4, "seed": 1, "stream": True}
    plain = list(client.completions.create(**kwargs))
    counted = list(client.completions.create(**kwargs, stream_options={"include_usage": True}))
    assert all(e.usage is None for e in plain)
    assert counted[-1].choices == [] and counted[-1].usage.completion_tokens == 4


def test_stop_string_ends_the_text(client: openai.OpenAI, tiny_spec: str) -> None:
    free = client.completions.create(model=tiny_spec, prompt="The sea", max_tokens=12, seed=4, temperature=0)
    stop = free.choices[0].text[3:6]
    cut = client.completions.create(model=tiny_spec, prompt="The sea", max_tokens=12, seed=4, temperature=0, stop=[stop])
    assert cut.choices[0].finish_reason == "stop"
    assert cut.choices[0].text == free.choices[0].text[: free.choices[0].text.index(stop)]


def test_echo_prepends_the_prompt(client: openai.OpenAI, tiny_spec: str) -> None:
    plain = client.completions.create(model=tiny_spec, prompt="The sea", max_tokens=5, seed=9)
    echoed = client.completions.create(model=tiny_spec, prompt="The sea", max_tokens=5, seed=9, echo=True)
    assert echoed.choices[0].text == "The sea" + plain.choices[0].text
    streamed = client.completions.create(model=tiny_spec, prompt="The sea", max_tokens=5, seed=9, echo=True, stream=True)
    assert "".join(c.text for e in streamed for c in e.choices) == echoed.choices[0].text


def test_echo_logprobs_score_the_prompt(client: openai.OpenAI, tiny_spec: str, local: Backend) -> None:
    reply = client.completions.create(model=tiny_spec, prompt="The sea was calm", max_tokens=0, echo=True, logprobs=0)
    choice = reply.choices[0]
    lp = choice.logprobs
    assert choice.text == "The sea was calm"
    assert lp.token_logprobs[0] is None  # the first token has no context
    assert "".join(lp.tokens) == "The sea was calm"
    assert [choice.text[o:].startswith(t) for o, t in zip(lp.text_offset, lp.tokens)] == [True] * len(lp.tokens)
    expected = local.score(lp.tokens[0], "The sea was calm"[len(lp.tokens[0]):])
    assert lp.token_logprobs[1:] == pytest.approx(expected.logprobs, abs=1e-4)
    assert reply.usage.prompt_tokens == len(lp.tokens) and reply.usage.completion_tokens == 0


def test_logprobs_of_generated_tokens_are_refused_clearly(client: openai.OpenAI, tiny_spec: str) -> None:
    with pytest.raises(openai.BadRequestError, match="max_tokens=0") as caught:
        client.completions.create(model=tiny_spec, prompt="The sea", max_tokens=3, logprobs=1)
    assert caught.value.body["param"] == "logprobs"
