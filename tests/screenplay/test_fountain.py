"""Reading Fountain by the spec's rules, and writing it back so it reads the same."""

from __future__ import annotations

import pytest

from fabula.errors import FabulaError
from fabula.screenplay import (
    Action,
    Boneyard,
    Centered,
    Character,
    Dialogue,
    Lyrics,
    Note,
    PageBreak,
    Parenthetical,
    SceneHeading,
    Screenplay,
    Section,
    Synopsis,
    TitlePage,
    Transition,
    parse,
    write,
)


def body(text: str) -> list:  # type: ignore[type-arg]
    return list(parse(text).elements)


# -- reading --------------------------------------------------------------------------------------


def test_title_page_keeps_keys_in_order_and_values_over_lines() -> None:
    sp = parse(
        "Title: Night Work\nAuthor: R. Vale\nContact:\n    1 Pier St\n\tHarbourside\n\nINT. HALL - DAY\n"
    )
    assert sp.title_page.entries == (
        ("Title", ("Night Work",)),
        ("Author", ("R. Vale",)),
        ("Contact", ("1 Pier St", "Harbourside")),
    )
    assert sp.title_page.get("authors") == ("R. Vale",) and sp.title == "Night Work"
    assert sp.elements == (SceneHeading("INT. HALL - DAY"),)


def test_a_script_opening_with_a_transition_has_no_title_page() -> None:
    sp = parse("FADE IN:\n\nEXT. FIELD - DAY\n")
    assert not sp.title_page
    assert sp.elements == (Action("FADE IN:"), SceneHeading("EXT. FIELD - DAY"))


@pytest.mark.parametrize(
    ("line", "int_ext", "location", "time"),
    [
        ("INT. KITCHEN - NIGHT", "INT", "KITCHEN", "NIGHT"),
        ("EXT. ROOF - MOMENTS LATER", "EXT", "ROOF", "MOMENTS LATER"),
        ("INT./EXT. CAR - MOVING - DAY", "INT/EXT", "CAR - MOVING", "DAY"),
        ("I/E BUS - DAY", "INT/EXT", "BUS", "DAY"),
        ("EST. CITY SKYLINE - DAWN", "EXT", "CITY SKYLINE", "DAWN"),
        ("int. attic - night", "INT", "attic", "night"),
        ("EXT PARK", "EXT", "PARK", None),
    ],
)
def test_scene_headings_and_their_parts(line: str, int_ext: str, location: str, time: str | None) -> None:
    (heading,) = body(line + "\n")
    assert isinstance(heading, SceneHeading)
    assert (heading.text, heading.int_ext, heading.location, heading.time) == (line, int_ext, location, time)


def test_scene_numbers_and_forced_headings() -> None:
    assert body("INT. HALL - DAY #12A#\n") == [SceneHeading("INT. HALL - DAY", "12A")]
    assert body(".FLASHBACK - 1999\n") == [SceneHeading("FLASHBACK - 1999")]
    assert body("...and then\n") == [Action("...and then")]  # an ellipsis is not a forced heading
    assert body("INTERNAL MEMO\n") == [Action("INTERNAL MEMO")]  # INT needs a dot or space after it


def test_a_heading_run_into_the_next_line_is_still_a_heading() -> None:
    assert body("INT. HALL - DAY\nRain on the glass.\n") == [
        SceneHeading("INT. HALL - DAY"),
        Action("Rain on the glass."),
    ]


def test_a_speech_cue_extensions_parentheticals_and_lines() -> None:
    text = "ROSA (V.O.) (CONT'D)\n(quietly,\n  not looking up)\nIt's late.\n  \nGo home.\n~la la la\n"
    assert body(text) == [
        Character("ROSA", "(V.O.) (CONT'D)"),
        Parenthetical("(quietly,\nnot looking up)"),
        Dialogue("It's late."),
        Dialogue(""),
        Dialogue("Go home."),
        Lyrics("la la la"),
    ]


def test_what_is_and_is_not_a_cue() -> None:
    assert body("R2D2\nBeep.\n")[0] == Character("R2D2")
    assert body("MOM (o.s.)\nDinner!\n")[0] == Character("MOM", "(o.s.)")
    assert body("@McCLANE\nYippee.\n")[0] == Character("McCLANE")
    assert body("23\nSkidoo.\n") == [Action("23\nSkidoo.")]  # a cue needs a letter
    assert body("Rosa\nHello.\n") == [Action("Rosa\nHello.")]  # and upper case
    assert body("ROSA (30s), in a coat\nwaits.\n") == [Action("ROSA (30s), in a coat\nwaits.")]
    assert body("CUT TO:\nThe beach.\n") == [Action("CUT TO:\nThe beach.")]


def test_dual_dialogue_marks_both_cues() -> None:
    els = body("ANA\nNo!\n\nBEN ^\nYes!\n\nCARL\nWhat?\n")
    assert els == [
        Character("ANA", dual=True),
        Dialogue("No!"),
        Character("BEN", dual=True),
        Dialogue("Yes!"),
        Character("CARL"),
        Dialogue("What?"),
    ]


def test_transitions_centered_lyrics_and_forced_action() -> None:
    assert body("CUT TO:\n") == [Transition("CUT TO:")]
    assert body("> Burn to white.\n") == [Transition("Burn to white.")]
    assert body(">THE END<\n") == [Centered("THE END")]
    assert body("> ACT ONE <\n> SCENE TWO <\n") == [Centered("ACT ONE\nSCENE TWO")]
    assert body("~one\n~two\n") == [Lyrics("one"), Lyrics("two")]
    assert body("!SIRENS\nfill the air.\n") == [Action("SIRENS\nfill the air.")]
    assert body("Cut to: the beach.\n") == [Action("Cut to: the beach.")]


def test_sections_synopses_page_breaks() -> None:
    assert body("# Act One\n\n## Home\n\n= Rosa leaves.\n\n===\n\n=====\n") == [
        Section("Act One", 1),
        Section("Home", 2),
        Synopsis("Rosa leaves."),
        PageBreak(),
        PageBreak(),
    ]


def test_notes_alone_are_notes_and_inline_notes_stay_in_the_text() -> None:
    assert body("[[Fix this.]]\n") == [Note("Fix this.")]
    assert body("[[one]] [[two]]\n") == [Note("one"), Note("two")]
    assert body("She runs [[walks?]] home.\n") == [Action("She runs [[walks?]] home.")]


def test_boneyard_on_its_own_lines_even_across_blank_lines() -> None:
    els = body("CUT TO:\n/*\nINT. OLD SCENE - DAY\n\nGone.\n*/\n\nEXT. NEW SCENE - DAY\n")
    assert els == [
        Transition("CUT TO:"),
        Boneyard("\nINT. OLD SCENE - DAY\n\nGone.\n"),
        SceneHeading("EXT. NEW SCENE - DAY"),
    ]
    assert body("ANA\nOne.\n/* cut */\nTwo.\n") == [
        Character("ANA"),
        Dialogue("One."),
        Boneyard(" cut "),
        Dialogue("Two."),
    ]
    assert body("Hello /* cut */ there.\n") == [Action("Hello /* cut */ there.")]


def test_action_keeps_indentation_and_kept_blank_lines_and_emphasis_as_written() -> None:
    assert body("She *waits*.\n    Then **runs**.\n  \n\\*Not\\* italic.\n") == [
        Action("She *waits*.\n    Then **runs**.\n\n\\*Not\\* italic.")
    ]


def test_line_numbers_point_at_the_source() -> None:
    sp = parse("Title: X\n\nINT. A - DAY\n\nANA\nHi.\n")
    assert [e.line for e in sp.elements] == [3, 5, 6]


def test_windows_line_endings_and_a_byte_order_mark() -> None:
    assert parse("\ufeffINT. A - DAY\r\n\r\nANA\r\nHi.\r\n") == parse("INT. A - DAY\n\nANA\nHi.\n")


# -- writing and round trips ---------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["ferry", "every"])
def test_parse_write_parse_gives_the_same_screenplay(fixture: str, request: pytest.FixtureRequest) -> None:
    sp = request.getfixturevalue(fixture)
    written = write(sp)
    assert parse(written) == sp
    assert write(parse(written)) == written  # canonical: writing is a fixed point


def test_the_writer_forces_what_would_read_otherwise() -> None:
    sp = Screenplay(
        TitlePage(),
        (
            Action("Title: a word on a sign"),  # would open a title page
            SceneHeading("THE VOID"),  # no INT/EXT
            Action("ROSA\nrises."),  # would be a cue
            Action("FADE IN:"),  # other readers take it for a transition
            Character("van Gogh"),  # lower case
            Dialogue("Hm."),
            Transition("Fade to grey."),  # not upper case, not TO:
            Action("# not a section"),
            Lyrics("sung alone"),
        ),
    )
    written = write(sp)
    assert written.splitlines()[0] == "!Title: a word on a sign"
    for forced in (
        ".THE VOID",
        "!ROSA",
        "!FADE IN:",
        "@van Gogh",
        "> Fade to grey.",
        "!# not a section",
        "~sung alone",
    ):
        assert forced in written.splitlines()
    assert parse(written) == sp


def test_natural_lines_are_not_forced() -> None:
    sp = parse("INT. A - DAY\n\nRosa waits.\n\nROSA\nHi.\n\nCUT TO:\n")
    assert write(sp) == "INT. A - DAY\n\nRosa waits.\n\nROSA\nHi.\n\nCUT TO:\n"


def test_the_second_of_a_dual_pair_gets_the_caret() -> None:
    sp = Screenplay(
        elements=(Character("ANA", dual=True), Dialogue("No!"), Character("BEN", dual=True), Dialogue("Yes!"))
    )
    assert write(sp) == "ANA\nNo!\n\nBEN ^\nYes!\n"
    assert parse(write(sp)) == sp


def test_elements_that_cannot_be_written_say_why() -> None:
    with pytest.raises(FabulaError, match="one line"):
        Dialogue("two\nlines")
    with pytest.raises(FabulaError, match=r"\]\]"):
        Note("a ]] b")
    with pytest.raises(FabulaError, match="no character before it"):
        write(Screenplay(elements=(Dialogue("Who said this?"),)))
    with pytest.raises(FabulaError, match="key"):
        write(Screenplay(TitlePage((("Bad: key", ("x",)),))))
