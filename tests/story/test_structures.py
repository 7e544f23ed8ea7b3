"""Structures and archetypes: data files found by folder, names and aliases, refusals that say why."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from fabula.errors import FabulaError
from fabula.story import structures
from fabula.story.structures import (
    FIXED_PLACEHOLDERS,
    UnknownStructure,
    all_structures,
    archetype_for,
    archetypes,
    builtin_structures,
    get_structure,
)

BUILTIN = {"three-act", "save-the-cat", "freytag", "kishotenketsu", "heros-journey"}

PLUGIN = """
[structure]
name = "{name}"
title = "{title}"
aliases = ["{alias}"]
description = "A test shape."

[[beat]]
name = "Start"
share = 1
description = "Begin."
stem = "{stem}"

[[beat]]
name = "Finish"
share = 3
description = "End."
stem = "Then {{protagonist}}"
"""


PLAIN = PLUGIN.format(name="x", title="X", alias="y", stem="Then")


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Folders the entry points would name; the caches are cleared around each test."""
    found: list[Path] = []
    monkeypatch.setattr(structures, "_folders", lambda: [structures.builtin_structures(), *found])
    all_structures.cache_clear()
    archetypes.cache_clear()
    yield found
    all_structures.cache_clear()
    archetypes.cache_clear()


def plugin(tmp_path: Path, text: str, archetype: str = "") -> Path:
    (tmp_path / "structures").mkdir(parents=True, exist_ok=True)
    (tmp_path / "structures" / "mine.toml").write_text(text, encoding="utf-8")
    if archetype:
        (tmp_path / "archetypes.toml").write_text(archetype, encoding="utf-8")
    return tmp_path


def test_the_five_built_in_sheets_cover_the_whole_story_in_order() -> None:
    assert set(all_structures()) == BUILTIN
    for s in all_structures().values():
        assert s.beats[0].start == 0.0 and s.beats[-1].end == pytest.approx(1.0)
        for before, after in zip(s.beats, s.beats[1:], strict=False):
            assert before.end == pytest.approx(after.start) and before.share > 0
        assert all(b.description and b.stem for b in s.beats)


def test_every_stem_fills_from_archetype_keys_and_the_fixed_placeholders() -> None:
    values = {k: f"<{k}>" for k in [*archetypes(), *FIXED_PLACEHOLDERS]}
    for s in all_structures().values():
        for b in s.beats:
            for stem in (b.stem, *b.scene_stems, *s.scene_stems):
                filled = stem.format(**values)
                assert "{" not in filled and filled == filled.strip()
            assert set(b.cast) <= set(archetypes())


@pytest.mark.parametrize(("asked", "name"), [
    ("3-act", "three-act"), ("Three Act", "three-act"),
    ("save the cat", "save-the-cat"), ("Save the Cat!", "save-the-cat"),
    ("起承转合", "kishotenketsu"), ("起承転結", "kishotenketsu"), ("Kishōtenketsu", "kishotenketsu"),
    ("hero", "heros-journey"), ("Hero's Journey", "heros-journey"),
    ("FREYTAG", "freytag"), ("pyramid", "freytag"),
])
def test_names_titles_and_aliases_any_spelling(asked: str, name: str) -> None:
    assert get_structure(asked).name == name


def test_an_unknown_structure_lists_the_known_ones() -> None:
    with pytest.raises(UnknownStructure, match="No story structure called 'snowflake'") as err:
        get_structure("snowflake")
    assert all(name in str(err.value) for name in BUILTIN)
    assert "起承转合" in str(err.value)


def test_chapters_serve_the_beat_covering_most_of_their_stretch() -> None:
    ki = get_structure("kishotenketsu")
    parts = [ki.beat_for(i / 4, (i + 1) / 4).part for i in range(4)]
    assert parts == ["起 ki", "承 shō", "转 ten", "合 ketsu"]
    three = get_structure("three-act")
    assert three.beat_for(0.0, 1 / 3).name == "Setup"
    assert three.beat_for(0.9, 1.0).name == "Resolution"
    stc = get_structure("save-the-cat")
    assert stc.beat("midpoint").start == 0.5  # `at` positions are kept as written
    with pytest.raises(UnknownStructure, match="no beat 'Finale!!'; its beats are: Setup, Inciting incident"):
        three.beat("Finale!!")


def test_archetypes_answer_to_the_roles_a_bible_writes() -> None:
    assert {"protagonist", "antagonist", "mentor", "ally", "love_interest"} <= set(archetypes())
    assert archetype_for("Hero").key == "protagonist"
    assert archetype_for("villain").key == "antagonist"
    assert archetype_for("wise old woman").key == "mentor"
    assert archetype_for("baker") is None and archetype_for("") is None
    mentor = archetypes()["mentor"]
    assert mentor.goals and mentor.traits and mentor.stand_in


def test_a_plugin_folder_adds_a_structure_and_its_own_archetype(plugins: list[Path], tmp_path: Path) -> None:
    archetype = ('[[archetype]]\nkey = "rival_chef"\nname = "Rival chef"\n'
                 'description = "Cooks against the hero."\nstand_in = "a rival cook"\n')
    plugins.append(plugin(tmp_path, PLUGIN.format(name="bake-off", title="Bake-off", alias="kitchen",
                                                  stem="{rival_chef} sets the oven, and"), archetype))
    bake = get_structure("Kitchen")
    assert bake.name == "bake-off" and bake.source.endswith("mine.toml")
    assert [round(b.share, 2) for b in bake.beats] == [0.25, 0.75]  # shares are weights, normalised
    assert archetype_for("rival chef").stand_in == "a rival cook"
    assert "three-act" in all_structures()  # the built-in folder is read as well


def test_the_builtin_folder_is_read_once_even_when_its_entry_point_is_installed(plugins: list[Path]) -> None:
    plugins.append(builtin_structures())
    assert set(all_structures()) == BUILTIN


def test_the_builtin_entry_point_names_the_builtin_folder() -> None:
    from importlib.metadata import entry_points

    eps = {ep.name: ep for ep in entry_points(group=structures.ENTRY_POINT_GROUP)}
    if "builtin" not in eps:
        pytest.skip("pyproject's fabula.structures entry point is not installed yet (pip install -e .)")
    assert eps["builtin"].load()() == builtin_structures()


@pytest.mark.parametrize(("text", "message"), [
    (PLUGIN.format(name="x", title="X", alias="3-act", stem="Then"), "'3-act' .* already used by three-act"),
    (PLUGIN.format(name="x", title="X", alias="y", stem="{dragon} wakes"), "unknown placeholder.*dragon"),
    (PLUGIN.format(name="x", title="X", alias="y", stem="Then "), "ends with a space"),
    (PLAIN.replace("share = 3", "at = 0.5"), "not a mix"),
    (PLAIN.replace("share = 1", "share = 0"), "positive"),
    ("[structure]\nname = 'x'\n", "needs a \\[structure\\] table and at least one \\[\\[beat\\]\\]"),
    ("[structure\n", "not valid TOML"),
])
def test_bad_structure_files_are_refused_with_the_reason(
    plugins: list[Path], tmp_path: Path, text: str, message: str
) -> None:
    plugins.append(plugin(tmp_path, text))
    with pytest.raises(FabulaError, match=message):
        all_structures()


def test_stems_are_format_strings_with_named_fields_only() -> None:
    for s in all_structures().values():
        for b in s.beats:
            fields = [f for _, f, _, _ in string.Formatter().parse(b.stem) if f is not None]
            assert all(f and f.isidentifier() for f in fields)
