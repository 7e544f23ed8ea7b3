"""The typed elements and inline markup."""

from __future__ import annotations

import pytest

from fabula.errors import FabulaError
from fabula.screenplay import Action, Character, Parenthetical, SceneHeading, Section, TitlePage
from fabula.screenplay.emphasis import BOLD, ITALIC, UNDERLINE, Run, plain, runs, strip_hidden, to_markup


def test_heading_parts_follow_the_text() -> None:
    h = SceneHeading("INT. SUBMARINE - ENGINE ROOM - NIGHT", "7")
    assert (h.int_ext, h.location, h.time, h.scene_number) == ("INT", "SUBMARINE - ENGINE ROOM", "NIGHT", "7")
    assert SceneHeading("THE VOID").int_ext is None


def test_elements_normalize_what_fountain_cannot_tell_apart() -> None:
    assert Parenthetical("beat").text == "(beat)"
    assert Action("Line one.   \nTwo.\t").text == "Line one.\nTwo."
    assert Character(" ROSA ", "(V.O.)").cue == "ROSA (V.O.)"
    assert Action("x", line=3) == Action("x", line=9)  # the source line is not part of the element


def test_bad_elements_are_refused_with_what_to_do() -> None:
    with pytest.raises(FabulaError, match="one element per line"):
        SceneHeading("INT. A\nEXT. B")
    with pytest.raises(FabulaError, match="1 to 6"):
        Section("Deep", 7)


def test_title_page_lookup() -> None:
    tp = TitlePage.of(Title="Night Work", Authors=["A", "B"], Draft_date="May")
    assert (
        tp.get("title") == ("Night Work",)
        and tp.get("author") == ("A", "B")
        and tp.get("draft date") == ("May",)
    )
    assert tp.get("contact") == () and not TitlePage()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "*soft* **loud** ***both*** _under_",
            [
                ("soft", ITALIC),
                (" ", 0),
                ("loud", BOLD),
                (" ", 0),
                ("both", BOLD | ITALIC),
                (" ", 0),
                ("under", UNDERLINE),
            ],
        ),
        ("*a **b** c*", [("a ", ITALIC), ("b", ITALIC | BOLD), (" c", ITALIC)]),
        ("**bold _and under_**", [("bold ", BOLD), ("and under", BOLD | UNDERLINE)]),
        ("2 * 3 * 4 and un*closed", [("2 * 3 * 4 and un*closed", 0)]),
        ("\\*literal\\* \\_too\\_", [("*literal* _too_", 0)]),
        ("Go [[really?]] home.", [("Go home.", 0)]),
        ("Go/* cut */.", [("Go.", 0)]),
    ],
)
def test_emphasis_runs(text: str, expected: list[tuple[str, int]]) -> None:
    assert [(r.text, r.style) for r in runs(text)] == expected


def test_plain_and_markup_round_trip() -> None:
    assert plain("*a*\n**b** [[n]]") == "a\nb"
    assert strip_hidden("[[n]] start") == "start"
    parts = [Run("x*y "), Run("bold", BOLD), Run(" and "), Run("it", ITALIC | UNDERLINE)]
    assert runs(to_markup(parts)) == parts
