"""The form catalogue: data files found through entry points, names and aliases, clear errors."""

from pathlib import Path

import pytest

from fabula.errors import FabulaError
from fabula.forms import catalog
from fabula.forms.catalog import UnknownForm, all_forms, builtin_forms, get_form
from fabula.forms.report import LineReport, PoemReport, Violation

FORM = """
[[form]]
name = "{name}"
aliases = ["{alias}"]
lang = "en"
checker = "en-verse"
[form.params]
lines = 3
"""


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    found: list[Path] = []
    monkeypatch.setattr(catalog, "_folders", lambda: found)
    all_forms.cache_clear()
    yield found
    all_forms.cache_clear()


def test_builtin_folder_is_registered_as_an_entry_point() -> None:
    from importlib.metadata import entry_points

    eps = {ep.name: ep for ep in entry_points(group=catalog.ENTRY_POINT_GROUP)}
    assert eps["builtin"].load()() == builtin_forms()


def test_plugin_folder_adds_forms_found_by_alias_any_case(folders: list[Path], tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "mine.toml").write_text(FORM.format(name="Triolet Lite", alias="triolet-lite"), encoding="utf-8")
    folders.append(plugin)
    assert get_form("TRIOLET-LITE").name == "Triolet Lite"
    assert get_form("Triolet Lite").params["lines"] == 3


def test_a_name_taken_twice_is_refused(folders: list[Path], tmp_path: Path) -> None:
    for i in range(2):
        folder = tmp_path / f"p{i}"
        folder.mkdir()
        (folder / "f.toml").write_text(FORM.format(name=f"Form {i}", alias="same"), encoding="utf-8")
        folders.append(folder)
    with pytest.raises(FabulaError, match="'same' .* already used by Form 0"):
        all_forms()


def test_unknown_checker_and_unknown_form_say_what_exists(folders: list[Path], tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(FORM.format(name="X", alias="x").replace("en-verse", "nope"), encoding="utf-8")
    folders.append(tmp_path)
    with pytest.raises(FabulaError, match="unknown checker 'nope'"):
        all_forms()
    folders.clear()
    all_forms.cache_clear()
    with pytest.raises(UnknownForm, match="fabula poem forms"):
        get_form("nothing")


def test_report_marks_violating_positions_and_lists_rules_once() -> None:
    line = LineReport(0, "白日依山尽", 5, 5, "仄仄平平仄", "仄仄平平仄")
    bad = LineReport(1, "黄河入海流", 5, 5, "平平仄仄平", "仄仄仄平平", violations=[
        Violation("tone", "position 1 should be 仄", 0), Violation("tone", "position 4 should be 平", 3)])
    report = PoemReport("五言绝句", [line, bad], [Violation("lines", "4 lines expected, 2 found")])
    assert bad.marks() == "^  ^" and not report.ok and report.broken_rules() == ["lines", "tone"]
    text = report.render()
    assert "FAIL (lines, tone)" in text and "             ^  ^" in text
    data = report.to_dict()
    assert data["ok"] is False and data["lines"][0]["ok"] is True
