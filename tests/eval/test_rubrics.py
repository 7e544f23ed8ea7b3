"""The rubric catalogue: the built-in HANNA file, and bad files refused with what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.errors import FabulaError
from fabula.eval.rubrics import _read, all_rubrics, builtin_rubrics, get_rubric


def test_the_builtin_catalogue_holds_hanna() -> None:
    assert "hanna" in all_rubrics()
    hanna = get_rubric(" HANNA ")
    assert Path(hanna.source).parent == builtin_rubrics()
    assert [c.name for c in hanna.criteria if c.needs_premise] == ["relevance"]


def test_a_plugin_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[rubric]]\nname = "poem"\nlow = 0\nhigh = 3\n'
        '[[rubric.criterion]]\nname = "imagery"\nquestion = "How vivid are the images?"\n',
        encoding="utf-8",
    )
    (rubric,) = _read(path)
    assert (rubric.name, rubric.low, rubric.high, rubric.names) == ("poem", 0, 3, ["imagery"])


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("[[rubric]\n", "not valid TOML"),
        ('[[rubric]]\nname = "x"\n', "lacks a name or"),
        (
            '[[rubric]]\nname = "x"\n[[rubric.criterion]]\nname = "Two Words"\nquestion = "?"\n',
            "one-word name",
        ),
        (
            '[[rubric]]\nname = "x"\nhigh = 10\n[[rubric.criterion]]\nname = "a"\nquestion = "?"\n',
            "single digits",
        ),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(FabulaError, match=problem):
        _read(path)
