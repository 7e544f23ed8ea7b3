"""Endings: a data catalogue of kinds, each ending drafted from the same final-scene brief."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.backends import Backend, resolve
from fabula.errors import FabulaError
from fabula.story.bible import Bible, Character
from fabula.story.draft import SceneBrief, fit_prompt
from fabula.story.endings import (
    DEFAULT_KINDS,
    all_endings,
    ending_brief,
    get_ending,
    read_endings,
    write_endings,
)

BIBLE = Bible(
    title="The Lamp",
    premise="A lighthouse keeper's daughter learns that her brother sold the lamp.",
    characters=[Character("Mara", role="protagonist"), Character("Tom", role="brother")],
)
FINAL = SceneBrief(
    beat="Mara and Tom face the storm.", characters=["Mara", "Tom"], memory=["The lamp is gone."]
)
# The tiny model's 128 tokens hold a short final beat with the kind's words, at 16 tokens a step.
SHORT = SceneBrief(beat="A storm.", characters=["Mara"])


def test_the_builtin_catalogue_has_the_four_kinds() -> None:
    endings = all_endings()
    assert set(DEFAULT_KINDS) <= set(endings)
    for kind in DEFAULT_KINDS:
        e = endings[kind]
        assert e.description and e.beat and e.request and e.source.endswith("endings.toml")
    assert get_ending(" Tragic ") is endings["tragic"]


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(FabulaError, match="No ending kind 'bittersweet'. Known kinds: happy, tragic"):
        get_ending("bittersweet")


def test_catalogue_files_are_checked(tmp_path: Path) -> None:
    def folder(name: str, text: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        (path / "more.toml").write_text(text, encoding="utf-8")
        return path

    good = '[[ending]]\nkind = "bittersweet"\ndescription = "d"\nbeat = "b"\nrequest = "r"\n'
    assert read_endings([folder("plugin", good)])["bittersweet"].beat == "b"
    with pytest.raises(FabulaError, match="already defined"):
        read_endings([folder("a", good), folder("b", good.replace("bittersweet", "Bittersweet"))])
    with pytest.raises(FabulaError, match="lacks request"):
        read_endings([folder("c", good.replace('request = "r"\n', ""))])
    with pytest.raises(FabulaError, match="unknown field"):
        read_endings([folder("d", good + 'mood = "grey"\n')])
    with pytest.raises(FabulaError, match="not valid TOML"):
        read_endings([folder("e", "[[ending]\n")])


def test_an_ending_brief_adds_the_kind_to_the_beat_and_the_bible_to_memory() -> None:
    twist = get_ending("twist")
    plain = ending_brief(FINAL, BIBLE, twist, chat=False)
    assert plain.beat == f"{FINAL.beat} {twist.beat}"
    assert ending_brief(FINAL, BIBLE, twist, chat=True).beat == f"{FINAL.beat} {twist.request}"
    assert plain.memory[0] == "The lamp is gone." and plain.memory[1:] == BIBLE.memory_lines()
    again = ending_brief(plain, BIBLE, twist, chat=False)
    assert again.memory == plain.memory  # bible lines already carried are not repeated
    assert FINAL.beat == "Mara and Tom face the storm."  # the plan itself is left as it was


def test_each_kind_is_drafted_from_the_same_brief(local: Backend) -> None:
    endings = write_endings(local, BIBLE, SHORT, words=12, seed=4, step_tokens=16)
    assert list(endings) == list(DEFAULT_KINDS)
    assert len({e.text for e in endings.values()}) == 4  # the kind's words change the draft
    for kind, result in endings.items():
        assert result.steps
        assert all(s.prompt_tokens <= local.context_length - s.new_tokens for s in result.steps)
        # The kind's beat leads the memory, so the ending is steered by it at every step.
        prompt, _ = fit_prompt(local, ending_brief(SHORT, BIBLE, get_ending(kind), False).lines(), "", 16)
        assert prompt.startswith(f"{SHORT.beat} {get_ending(kind).beat}")
    again = write_endings(local, BIBLE, SHORT, kinds=["open"], words=12, seed=4, step_tokens=16)
    assert again["open"].text == endings["open"].text


def test_an_ending_beat_that_cannot_fit_is_refused(local: Backend) -> None:
    with pytest.raises(FabulaError, match="happy ending's beat does not fit .* fewer step tokens"):
        write_endings(local, BIBLE, FINAL, words=12, seed=4)  # 96 tokens a step leave 32 for the prompt


def test_kinds_are_deduplicated_and_must_not_be_empty(local: Backend) -> None:
    kinds = ["happy", "HAPPY"]
    assert list(write_endings(local, BIBLE, SHORT, kinds=kinds, words=4, seed=0, step_tokens=16)) == ["happy"]
    with pytest.raises(FabulaError, match="at least one ending kind"):
        write_endings(local, BIBLE, SHORT, kinds=[])


@pytest.mark.slow
def test_house_en_writes_four_endings_within_its_context() -> None:
    backend = resolve("house:en")
    endings = write_endings(backend, BIBLE, FINAL, words=80, seed=1)
    for result in endings.values():
        assert len(result.text.split()) >= 60
        assert all(s.prompt_tokens <= backend.context_length - s.new_tokens for s in result.steps)
        assert result.steps[0].memory_lines >= 2  # the ending's beat and the cast at least
