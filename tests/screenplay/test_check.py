"""`check`: problems by line number."""

from __future__ import annotations

from fabula.screenplay.check import check


def problems(text: str) -> list[tuple[int, str, str]]:
    return [(p.line, p.severity, p.message.split(":")[0]) for p in check(text)]


def test_the_fixtures_are_clean(ferry_text: str, every_text: str) -> None:
    assert check(ferry_text) == [] and check(every_text) == []


def test_malformed_markup_is_an_error_at_its_line() -> None:
    text = "Title: T\n\nINT. A - DAY\n\nShe waits.\n\n/* cut from here\n\nto nowhere\n"
    assert problems(text) == [(7, "error", "`/*` opens a boneyard that is never closed")]
    assert problems("INT. A - DAY\n\nA note [[that never\nends.\n") == [
        (3, "error", "`[[` opens a note that is not closed in this paragraph")
    ]
    assert problems("INT. A - DAY\n\nStray */ here.\n")[0][:2] == (3, "warning")


def test_lines_that_read_but_probably_not_as_meant() -> None:
    text = "INT. A - DAY\nShe waits.\n\nROSA\n\nBEN ^\nHi.\n\nANA\n(whispering\nHello.\n"
    assert [(line, severity) for line, severity, _ in problems(text)] == [
        (1, "warning"),
        (4, "warning"),
        (6, "warning"),
        (10, "warning"),
    ]
    messages = [p.message for p in check(text)]
    assert "blank line after it" in messages[0]
    assert "'ROSA' looks like a character cue" in messages[1]
    assert "`^` marks the second half of dual dialogue" in messages[2]
    assert "parenthetical is not closed" in messages[3]


def test_whole_file_problems() -> None:
    assert problems("") == [(1, "error", "There is no script in the file")]
    assert problems("Just some action.\n") == [(1, "warning", "No scene headings")]
    assert problems("Author: Me\n\nINT. A - DAY\n") == [(1, "warning", "The title page has no Title")]
    assert problems("Title: X\nnot indented\n\nINT. A - DAY\n")[0][:2] == (2, "warning")
