"""draft.py on a real (tiny, random) Llama: every prompt fits, nothing is dropped silently."""

from __future__ import annotations

import pytest

from fabula.backends import Backend, resolve
from fabula.errors import FabulaError
from fabula.story.draft import SceneBrief, draft_scene, fit_prompt

FACT = "The lighthouse keeper's daughter, who is called Mara and has red hair, keeps a ledger of every ship"


def _brief(scene: int, previous: str | None) -> SceneBrief:
    """Scene `scene` of a long story: canon grows by three long facts a scene."""
    facts = [f"{FACT} (fact {k}: ship number {k * 7} sailed on the {k}th day)." for k in range(3 * scene + 3)]
    return SceneBrief(
        beat=f"Scene {scene}: Mara climbs the tower and finds the lamp broken.",
        characters=["Mara", "Tom"],
        place="the lighthouse",
        time=f"day {scene}",
        previous=previous,
        memory=facts,
    )


def test_every_prompt_of_a_25_scene_story_fits_the_context(local: Backend) -> None:
    context = local.context_length
    step_tokens = 16
    previous = None
    tails = 0
    for scene in range(25):
        brief = _brief(scene, previous)
        result = draft_scene(local, brief, words=4, step_tokens=step_tokens, seed=scene)
        assert result.steps, f"scene {scene} made no step"
        tails += sum(step.tail_tokens > 0 for step in result.steps)
        for step in result.steps:
            assert step.new_tokens == step_tokens
            assert step.prompt_tokens <= context - step_tokens
            assert step.memory_lines + step.dropped == len(brief.lines())
        # The accounting is what the model really received (header and BOS included).
        assert local.last_usage is not None
        assert local.last_usage.prompt_tokens == result.steps[-1].prompt_tokens
        previous = result.text * 3  # a long summary: the worst case for the room
    assert result.steps[-1].dropped > 0  # a late scene cannot carry all of its canon
    assert tails > 0  # later steps carried the scene so far as well


def test_dropped_lines_are_counted_and_the_beat_survives_a_long_summary(local: Backend) -> None:
    brief = SceneBrief(
        beat="Tom hides the key.",
        characters=["Tom"],
        previous="A very long summary of everything that came before. " * 30,
        memory=["Tom is afraid of the dark.", FACT + ".", "The key is brass."],
    )
    prompt, step = fit_prompt(local, brief.lines(), "", new_tokens=32)
    assert step.memory_lines + step.dropped == len(brief.lines()) == 6
    assert step.dropped >= 2  # the summary and the long fact at least
    assert "Tom hides the key." in prompt
    assert "A very long summary" not in prompt  # skipped, and it did not push out the short lines after it
    assert "The key is brass." in prompt
    # Plain LMs read the memory as a paragraph headed by the beat.
    assert prompt.startswith("Tom hides the key. With Tom.")


def test_a_long_beat_is_kept_beyond_the_memory_share(local: Backend) -> None:
    beat = "Mara climbs the tower in the storm and finds the lamp broken and the keeper gone."
    share = (local.context_length - 32) * 0.4
    assert len(local.tokenizer.encode(beat)) > share  # longer than any other line may be
    brief = SceneBrief(beat=beat, memory=["The key is brass."])
    prompt, step = fit_prompt(local, brief.lines(), "", new_tokens=32)
    assert beat in prompt and step.memory_lines >= 1


def test_a_beat_longer_than_its_share_is_cut_at_a_word_not_dropped(local: Backend) -> None:
    beat = " ".join(["Mara climbs the tower in the storm and finds the lamp broken."] * 12)
    prompt, step = fit_prompt(local, [beat, "The key is brass."], "", new_tokens=32)
    kept = prompt.split("\n\n")[0]
    assert kept and beat.startswith(kept) and len(kept) < len(beat)  # its start, in whole words
    assert beat.split()[len(kept.split()) - 1] == kept.split()[-1]
    assert step.memory_lines >= 1 and step.prompt_tokens <= local.context_length - 32
    assert step.cut_words == len(beat.split()) - len(kept.split()) > 0


def test_the_tail_is_the_end_of_the_scene_cut_at_a_word(local: Backend) -> None:
    words = [f"w{k}" for k in range(400)]
    text = " ".join(words)
    prompt, step = fit_prompt(local, ["Beat."], text, new_tokens=32)
    assert prompt.endswith(" w399") and step.tail_tokens > 0
    kept = prompt.split("\n\n", 1)[1]
    assert kept.split()[0] in words  # the first kept piece is a whole word, not the tail of one
    assert step.prompt_tokens == len(local.tokenizer.encode_prompt(prompt))
    assert step.prompt_tokens <= local.context_length - 32


def test_chat_notes_list_the_memory_most_important_first(local: Backend) -> None:
    brief = SceneBrief(beat="Mara lights the lamp.", characters=["Mara"], previous="The storm began.")
    prompt, step = fit_prompt(local, brief.lines(), "", new_tokens=16, chat=True)
    assert step.dropped == 0
    notes = prompt.split("Keep to these notes:\n- ", 1)[1].split("\n\n")[0].split("\n- ")
    assert notes == ["Mara lights the lamp.", "With Mara.", "Before this: The storm began."]


def test_no_room_for_a_prompt_is_a_clear_error(local: Backend) -> None:
    with pytest.raises(FabulaError, match="fewer tokens per step"):
        fit_prompt(local, ["Beat."], "text", new_tokens=local.context_length - 8)


def test_a_brief_needs_a_beat() -> None:
    with pytest.raises(FabulaError, match="needs a beat"):
        SceneBrief(beat="  ")


def test_the_opening_is_kept_verbatim(local: Backend) -> None:
    opening = "It was late. She sat by the fire and waited for the knock that never came"
    brief = SceneBrief(beat="She waits.", opening=opening)
    short = draft_scene(local, brief, words=40, step_tokens=16, seed=0)
    assert short.text.startswith(opening) and short.steps
    # An opening already past the budget is the scene: not cut back to its last full stop.
    whole = draft_scene(local, brief, words=5, step_tokens=16, seed=0)
    assert whole.text == opening and whole.steps == []


def test_drafting_is_deterministic_given_a_seed(local: Backend) -> None:
    brief = SceneBrief(beat="Tom rows out to the wreck.", characters=["Tom"], opening="The sea was calm.")
    a = draft_scene(local, brief, words=20, step_tokens=16, seed=7)
    b = draft_scene(local, brief, words=20, step_tokens=16, seed=7)
    c = draft_scene(local, brief, words=20, step_tokens=16, seed=8)
    assert a.text == b.text and a.steps == b.steps
    assert a.text != c.text


@pytest.mark.slow
def test_house_en_drafts_within_its_context_with_the_header_counted() -> None:
    backend = resolve("house:en")
    brief = _brief(20, previous="Mara and Tom quarrelled about the ledger. " * 10)
    result = draft_scene(backend, brief, words=150, seed=1)
    header = len(backend.tokenizer.encode_prompt(backend.header))
    assert header > 0
    for step in result.steps:
        assert header < step.prompt_tokens <= backend.context_length - step.new_tokens
    assert backend.last_usage.prompt_tokens == result.steps[-1].prompt_tokens
    assert len(result.text.split()) >= 100


def test_a_scene_ends_after_a_stop_and_its_closing_quote_not_on_an_opening_quote() -> None:
    from fabula.story.draft import _trim

    assert _trim('One two. "Three four," she said. "And', 3) == 'One two. "Three four," she said.'
    assert _trim('One two. "Three four!" "Five', 3) == 'One two. "Three four!"'
