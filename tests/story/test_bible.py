"""The story bible: validation, lookups, and lossless dict and TOML round-trips."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from fabula.story.bible import Bible, BibleError, Character, Place, load_bible


def _bible() -> Bible:
    return Bible(
        "The Lighthouse",
        "A keeper finds a letter from her drowned brother.",
        genre="mystery",
        tone="quiet",
        characters=[
            Character("Mara", "protagonist", ["red-haired", "stubborn"], ["learn the truth"], {"Tom": "sister"}),
            Character("Tom", "missing brother", aliases=["Tommy"], voice="jokes when afraid"),
        ],
        places=[Place("the lighthouse", "a white tower on a rock")],
        rules=["no boat leaves after dark"],
        themes=["grief", "\"truth\" & lies"],
    )


def test_round_trips_through_dict_and_toml() -> None:
    b = _bible()
    assert Bible.from_dict(b.to_dict()) == b
    assert Bible.from_dict(tomllib.loads(b.to_toml())) == b


def test_lookups_and_memory_lines() -> None:
    b = _bible()
    assert b.cast() == ["Mara", "Tom"]
    assert b.character("tommy").name == "Tom"
    lines = b.memory_lines()
    assert lines[0].startswith("The Lighthouse: A keeper")
    assert "Mara (protagonist): red-haired, stubborn; goals: learn the truth; sister of Tom." in lines
    with pytest.raises(BibleError, match="No character 'Ann'.*Mara, Tom"):
        b.character("Ann")


def test_bad_bibles_say_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(BibleError, match="premise"):
        Bible("T", " ")
    with pytest.raises(BibleError, match="Two characters are called 'tom'"):
        Bible("T", "p", characters=[Character("Tom"), Character("Ann", aliases=["tom"])])
    with pytest.raises(BibleError, match="Unknown bible field.*colour"):
        Bible.from_dict({"title": "T", "premise": "p", "colour": "red"})
    with pytest.raises(BibleError, match="without a name"):
        Bible.from_dict({"title": "T", "premise": "p", "characters": [{"role": "x"}]})
    bad = tmp_path / "bible.toml"
    bad.write_text("title = \n", encoding="utf-8")
    with pytest.raises(BibleError, match="not valid TOML"):
        load_bible(bad)
    with pytest.raises(BibleError, match="No bible file"):
        load_bible(tmp_path / "missing.toml")
    good = tmp_path / "good.toml"
    good.write_text(_bible().to_toml(), encoding="utf-8")
    assert load_bible(good) == _bible()
