"""POST /v1/chat/completions and the chat template for base models."""

from __future__ import annotations

import openai

from fabula.backends import Backend, GenerationOptions
from fabula.server.chat_template import render_chat


def test_a_lone_user_message_is_the_prompt_verbatim() -> None:
    assert render_chat([("user", "Once upon a time")]) == ("Once upon a time", ())


def test_a_conversation_becomes_role_paragraphs_ending_with_the_assistant() -> None:
    prompt, stops = render_chat([("system", "Write tersely."), ("user", "A haiku.")])
    assert prompt == "System: Write tersely.\n\nUser: A haiku.\n\nAssistant:"
    assert stops == ("\n\nUser:",)


def test_a_last_assistant_message_is_continued() -> None:
    prompt, _ = render_chat([("user", "Begin a tale."), ("assistant", "Long ago")])
    assert prompt == "User: Begin a tale.\n\nAssistant: Long ago"


def test_chat_of_one_message_equals_completion(client: openai.OpenAI, tiny_spec: str) -> None:
    chat = client.chat.completions.create(
        model=tiny_spec, messages=[{"role": "user", "content": "Once"}], max_tokens=8, seed=1
    )
    plain = client.completions.create(model=tiny_spec, prompt="Once", max_tokens=8, seed=1)
    assert chat.choices[0].message.role == "assistant"
    assert chat.choices[0].message.content == plain.choices[0].text
    assert chat.choices[0].finish_reason == plain.choices[0].finish_reason


def test_streamed_chat_opens_with_the_role_and_ends_with_a_reason(client: openai.OpenAI, tiny_spec: str) -> None:
    kwargs: dict = {"model": tiny_spec, "messages": [{"role": "user", "content": "Once"}], "max_tokens": 6, "seed": 1}
    events = [e for e in client.chat.completions.create(**kwargs, stream=True) if e.choices]
    whole = client.chat.completions.create(**kwargs)
    assert events[0].choices[0].delta.role == "assistant"
    assert "".join(e.choices[0].delta.content or "" for e in events) == whole.choices[0].message.content
    assert events[-1].choices[0].finish_reason == "length"
    assert len(events) > 3


def test_conversation_uses_the_template(client: openai.OpenAI, tiny_spec: str, local: Backend) -> None:
    messages = [
        {"role": "system", "content": "You tell stories."},
        {"role": "user", "content": [{"type": "text", "text": "Begin."}]},  # content parts, as newer clients send
    ]
    reply = client.chat.completions.create(model=tiny_spec, messages=messages, max_completion_tokens=7, seed=5)
    prompt, stops = render_chat([("system", "You tell stories."), ("user", "Begin.")])
    expected = local.generate(prompt, GenerationOptions(max_tokens=7, seed=5, temperature=1.0, stop=stops))
    assert reply.choices[0].message.content == expected[0].text
