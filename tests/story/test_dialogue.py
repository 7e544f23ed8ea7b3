"""Dialogue: forced cues on a plain LM, model-chosen speakers, strict parsing of chat output."""

from __future__ import annotations

import pytest

from fabula.backends import Backend, resolve
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.story.bible import Bible, Character
from fabula.story.dialogue import CueConstraint, Line, parse_script, write_dialogue

SITUATION = "Mara finds Tom at the harbour at dawn and asks where the lamp is."


def _bible() -> Bible:
    return Bible(
        title="The Lamp",
        premise="A lighthouse keeper's daughter learns that her brother sold the lamp.",
        characters=[
            Character("Mara", role="protagonist", traits=["stubborn"], voice="short, sharp sentences"),
            Character("Tom", role="brother", traits=["charming", "guilty"], voice="rambling, apologetic",
                      aliases=["Tommy"]),
            Character("Ada", role="harbour master", traits=["dry"], voice="nautical, laconic"),
        ],
    )


def test_round_robin_gives_each_speaker_their_turn_one_line_each(local: Backend) -> None:
    lines = write_dialogue(local, _bible(), ["Mara", "Tommy"], SITUATION, turns=10, seed=1)
    assert [x.speaker for x in lines] == ["Mara", "Tom"] * 5  # aliases resolve to the bible name
    assert all(x.text and "\n" not in x.text for x in lines)
    assert lines.dropped == 0
    assert lines.text().splitlines()[1] == f"Tom: {lines[1].text}"
    # Ten lines overflow the tiny model's 128 tokens unless every prompt is sized: it was.
    assert local.last_usage is not None and local.last_usage.prompt_tokens <= local.context_length


def test_dialogue_is_deterministic_given_a_seed(local: Backend) -> None:
    a = write_dialogue(local, _bible(), ["Mara", "Tom"], SITUATION, turns=3, seed=5)
    b = write_dialogue(local, _bible(), ["Mara", "Tom"], SITUATION, turns=3, seed=5)
    c = write_dialogue(local, _bible(), ["Mara", "Tom"], SITUATION, turns=3, seed=6)
    assert a == b and a != c


def test_the_cue_constraint_spells_only_the_chosen_names(local: Backend) -> None:
    cues = ["Mara:", "Tom:", "Ada:"]
    seen = set()
    for seed in range(6):
        options = GenerationOptions(max_tokens=8, seed=seed, temperature=1.0)
        [done] = local.generate("The harbour at dawn.\n", options, CueConstraint(cues))
        assert done.text in cues and done.finish_reason == "stop"
        seen.add(done.text)
    assert len(seen) > 1  # the model chooses, it is not always the first name


def test_the_model_chooses_speakers_among_the_chosen_never_thrice_in_a_row(local: Backend) -> None:
    lines = write_dialogue(local, _bible(), ["Mara", "Tom", "Ada"], SITUATION, turns=8, seed=2, order="model")
    speakers = [x.speaker for x in lines]
    assert len(lines) == 8 and set(speakers) <= {"Mara", "Tom", "Ada"}
    assert not any(speakers[k] == speakers[k + 1] == speakers[k + 2] for k in range(len(speakers) - 2))
    again = write_dialogue(local, _bible(), ["Mara", "Tom", "Ada"], SITUATION, turns=8, seed=2, order="model")
    assert again == lines


def test_a_situation_longer_than_the_context_allows_still_gets_a_dialogue(local: Backend) -> None:
    situation = " ".join(["Mara asks Tom where the lamp went on the night of the storm, and why."] * 10)
    lines = write_dialogue(local, _bible(), ["Mara", "Tom"], situation, turns=3, seed=1, order="model")
    assert len(lines) == 3 and {x.speaker for x in lines} <= {"Mara", "Tom"}


def test_chat_output_is_parsed_strictly() -> None:
    cast = [c for c in _bible().characters if c.name != "Ada"]
    text = (
        "Mara: Where is the lamp?\n"
        "\n"
        "TOMMY: I can explain, really, I can, if you let me.\n"
        "**Mara**: Then explain.\n"
        "Ada: You two again.\n"           # a bible character who was not chosen
        "The gulls cry overhead.\n"       # narration
        "Tom:\n"                          # a cue with no line
        "Tom: I sold it."
    )
    parsed = parse_script(text, cast)
    assert list(parsed) == [
        Line("Mara", "Where is the lamp?"),
        Line("Tom", "I can explain, really, I can, if you let me."),
        Line("Mara", "Then explain."),
        Line("Tom", "I sold it."),
    ]
    assert parsed.dropped == 3


def test_bad_requests_are_clear_errors(local: Backend) -> None:
    bible = _bible()
    with pytest.raises(FabulaError, match="No character 'Zed'"):
        write_dialogue(local, bible, ["Mara", "Zed"], SITUATION)
    with pytest.raises(FabulaError, match="listed twice"):
        write_dialogue(local, bible, ["Tom", "Tommy"], SITUATION)
    with pytest.raises(FabulaError, match="Choose who speaks"):
        write_dialogue(local, bible, [], SITUATION)
    with pytest.raises(FabulaError, match="at least one turn"):
        write_dialogue(local, bible, ["Mara"], SITUATION, turns=0)
    with pytest.raises(FabulaError, match="situation"):
        write_dialogue(local, bible, ["Mara"], " ")
    with pytest.raises(FabulaError, match="fewer turns"):
        write_dialogue(local, bible, ["Mara", "Tom"], SITUATION, chat=True)  # 8 x 48 tokens exceed 128


@pytest.mark.slow
def test_house_en_speaks_in_turns_and_a_chat_request_parses() -> None:
    backend = resolve("house:en")
    cast = ["Mara", "Tom", "Ada"]
    lines = write_dialogue(backend, _bible(), cast, SITUATION, turns=6, seed=3, order="model")
    assert len(lines) == 6 and all(x.text for x in lines)
    asked = write_dialogue(backend, _bible(), ["Mara", "Tom"], SITUATION, turns=1, seed=3, chat=True)
    assert len(asked) <= 1 and all(x.speaker in ("Mara", "Tom") for x in asked)
