"""Scene summaries: sentence splitting, MiniLM-central extraction, and chat summaries held to budget."""

from __future__ import annotations

import pytest

from fabula.backends import Backend, resolve
from fabula.errors import FabulaError
from fabula.story.summarize import _request, cap, extract, split_sentences, summarize

SCENE = """Mara climbed the lighthouse stairs with the broken lamp in her arms. The storm had cracked the \
lens in the night, and without the lamp the ships would run onto the rocks. She set the lamp on the \
workbench and began to fit a new lens into its frame. Far below, a gull argued with the wind.

"Will it hold?" Tom asked from the doorway.
"It has to," Mara said. She tightened the last screw, and the lamp on the bench was whole again.
At dusk she carried the mended lamp to the top of the tower and lit it, and its beam swept over the rocks."""


@pytest.fixture(scope="module")
def minilm() -> None:
    """Load MiniLM once for the module (a few seconds)."""
    from fabula.story.embeddings import embed

    embed(["warm up"])


def test_sentences_end_at_stops_not_at_abbreviations_or_inside_quotes() -> None:
    text = (
        'Mr. Hale came at 9 a.m. and said, "The boat is gone." Mara looked up! "Gone?" she asked. '
        "J. R. Smith had seen nothing, e.g. no lights... Nobody knew.\n\nThe sea was calm"
    )
    assert split_sentences(text) == [
        'Mr. Hale came at 9 a.m. and said, "The boat is gone."',
        "Mara looked up!",
        '"Gone?" she asked.',
        "J. R. Smith had seen nothing, e.g. no lights...",
        "Nobody knew.",
        "The sea was calm",
    ]


def test_cap_keeps_whole_sentences_or_cuts_with_an_ellipsis() -> None:
    assert cap("One two three. Four five six seven.", 5) == "One two three."
    assert cap("One two three four five six.", 4) == "One two three four\u2026"
    assert cap("  Short   text. ", 10) == "Short text."


def test_extractive_summary_keeps_central_sentences_in_text_order(minilm: None) -> None:
    summary = extract(SCENE, words=40)
    sentences = split_sentences(SCENE)
    kept = split_sentences(summary)
    assert 0 < len(summary.split()) <= 40
    assert all(s in sentences for s in kept)
    assert [sentences.index(s) for s in kept] == sorted(sentences.index(s) for s in kept)
    assert any("lamp" in s for s in kept)
    assert "Far below, a gull argued with the wind." not in kept  # off the scene's subject
    assert '"Will it hold?" Tom asked from the doorway.' not in kept  # too short to say much alone
    assert summarize(SCENE, words=40) == summary  # plain (no backend): the same extraction, deterministic


def test_a_repeated_sentence_is_kept_once(minilm: None) -> None:
    text = " ".join(["The lamp was broken and Mara had to mend it before the night came."] * 3
                    + ["Tom rowed out to the wreck to look for the missing lens in the dark water."])
    summary = extract(text, words=30)
    assert summary.count("The lamp was broken") == 1


def test_text_within_budget_is_returned_whole() -> None:
    assert summarize("Mara lit the lamp.  Tom slept.", words=10) == "Mara lit the lamp. Tom slept."


def test_chat_summary_is_held_to_the_budget(local: Backend) -> None:
    a = summarize("Mara lit the lamp.", backend=local, words=3, chat=True)
    assert 0 < len(a.split()) <= 3
    assert summarize("Mara lit the lamp.", backend=local, words=3, chat=True) == a  # greedy: deterministic


def test_a_scene_too_long_for_the_request_is_condensed_first(local: Backend, minilm: None) -> None:
    text = "Mara lit the lamp at the top of the tower. " * 2 + "Tom slept in the boat below the rocks."
    words = 3
    assert len(local.tokenizer.encode_prompt(_request(text, words))) > local.context_length - (2 * words + 16)
    summarize(text, backend=local, words=words, chat=True)
    assert local.last_usage is not None
    assert local.last_usage.prompt_tokens <= local.context_length - (2 * words + 16)


def test_bad_input_is_a_clear_error(local: Backend) -> None:
    with pytest.raises(FabulaError, match="at least one word"):
        summarize("Mara lit the lamp.", words=0)
    with pytest.raises(FabulaError, match="text is empty"):
        summarize("  \n ")
    with pytest.raises(FabulaError, match="needs a backend"):
        summarize("Mara lit the lamp.", chat=True)
    with pytest.raises(FabulaError, match="ask for fewer words"):
        summarize(SCENE, backend=local, words=40, chat=True)  # 96 new tokens leave no room on 128


@pytest.mark.slow
def test_house_en_summary_of_its_own_scene_fits_the_next_brief(minilm: None) -> None:
    from fabula.story.draft import SceneBrief, draft_scene, fit_prompt

    backend = resolve("house:en")
    brief = SceneBrief(beat="Mara mends the lamp.", characters=["Mara"])
    scene = draft_scene(backend, brief, words=150, seed=2)
    summary = summarize(scene.text, backend, words=30)
    assert 0 < len(summary.split()) <= 30
    assert all(s in split_sentences(scene.text) for s in split_sentences(summary))
    _, step = fit_prompt(backend, SceneBrief(beat="Tom comes home.", previous=summary).lines(), "", 96)
    assert step.dropped == 0  # a 30-word summary fits the next scene's memory on a 256-token model
