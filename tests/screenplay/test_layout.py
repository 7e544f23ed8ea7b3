"""Pagination: the standard page, its columns, and where pages break."""

from __future__ import annotations

from fabula.screenplay import (
    Action,
    Character,
    Dialogue,
    PageBreak,
    SceneHeading,
    Screenplay,
    TitlePage,
    parse,
)
from fabula.screenplay.layout import COLUMNS, DUAL, GEOMETRY, paginate


def filler(n: int) -> Action:
    """An action paragraph of n printed lines."""
    return Action("\n".join(f"Filler line {i}." for i in range(n)))


def rows(page, kind: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [i.row for i in page.items if i.kind == kind]


def test_the_page_is_54_lines_of_60_characters() -> None:
    assert GEOMETRY.lines_per_page == 54 and GEOMETRY.text_width == 60
    assert (GEOMETRY.top, GEOMETRY.bottom, GEOMETRY.left, GEOMETRY.right) == (1.0, 1.0, 1.5, 1.0)


def test_the_ferry_is_four_pages_every_line_in_its_column(ferry: Screenplay) -> None:
    pages = paginate(ferry)
    assert pages.count == 4 and pages.title is not None
    starts = {
        "heading": 1.5,
        "action": 1.5,
        "dialogue": 2.5,
        "character": 3.7,
        "parenthetical": 3.1,
        "lyrics": 2.5,
    }
    for page in pages.body:
        for item in page.items:
            if item.kind == "page-number":
                assert item.row == -3 and abs(item.x + len(item.text) / 10 - 7.5) < 1e-9
                continue
            assert 0 <= item.row < 54
            if item.kind in starts:
                dual = {
                    side[item.kind].x: side[item.kind].width for side in DUAL.values() if item.kind in side
                }
                assert item.x == starts[item.kind] or item.x in dual, item
                assert len(item.text) <= (
                    COLUMNS[item.kind].width if item.x == starts[item.kind] else dual[item.x]
                )
            if item.kind == "transition":
                assert abs(item.x + len(item.text) / 10 - 7.5) < 1e-9  # right-aligned on the margin
            if item.kind == "centered":
                assert abs(item.x + len(item.text) / 20 - 4.5) < 1e-9
    assert [p.number for p in pages.body] == [1, 2, 3, 4]
    assert not [i for i in pages.body[0].items if i.kind == "page-number"]
    assert [i.text for i in pages.body[1].items if i.kind == "page-number"] == ["2."]


def test_writer_only_elements_are_not_printed(ferry: Screenplay) -> None:
    printed = "\n".join(p.text() for p in paginate(ferry).body)
    for hidden in ("ACT ONE", "last shift, finds", "Check: is Greta", "storm of '71", "#"):
        assert hidden not in printed
    assert "THE LAST FERRY" not in printed  # the title is on the title page, which is not counted


def test_a_speech_breaks_after_a_sentence_with_more_and_contd() -> None:
    lines = ["One and", "two.", "Three and", "four.", "Five and", "six.", "Seven."]
    sp = Screenplay(elements=(filler(46), Character("ROSA"), *[Dialogue(t) for t in lines]))
    first, second = paginate(sp).body
    foot = [i for i in first.items if i.row >= 47]
    assert [(i.kind, i.text) for i in foot] == [
        ("character", "ROSA"),
        ("dialogue", "One and"),
        ("dialogue", "two."),
        ("dialogue", "Three and"),
        ("dialogue", "four."),
        ("more", "(MORE)"),
    ]
    assert foot[-1].x == COLUMNS["character"].x
    top = [(i.kind, i.text) for i in second.items if i.row >= 0]
    assert top == [
        ("character", "ROSA (CONT'D)"),
        ("dialogue", "Five and"),
        ("dialogue", "six."),
        ("dialogue", "Seven."),
    ]


def test_a_short_speech_that_does_not_fit_moves_whole() -> None:
    sp = Screenplay(
        elements=(filler(51), Character("ROSA"), Dialogue("Half a sentence that"), Dialogue("goes on."))
    )
    first, second = paginate(sp).body
    assert not rows(first, "character") and rows(second, "character") == [0]


def test_a_scene_heading_is_never_left_at_the_foot_of_a_page() -> None:
    sp = Screenplay(elements=(filler(51), SceneHeading("INT. CELLAR - NIGHT"), filler(5)))
    first, second = paginate(sp).body
    assert rows(first, "heading") == [] and rows(second, "heading") == [0]
    # With room for the heading and two lines of what follows, it stays.
    sp = Screenplay(elements=(filler(48), SceneHeading("INT. CELLAR - NIGHT"), filler(5)))
    assert rows(paginate(sp).body[0], "heading") == [49]


def test_a_heading_goes_over_with_a_speech_that_cannot_break_at_the_foot() -> None:
    lines = ["One and", "two and", "three and", "four and", "five.", "Six."]
    sp = Screenplay(
        elements=(filler(47), SceneHeading("INT. CELLAR - NIGHT"), Character("ROSA"), *map(Dialogue, lines))
    )
    first, second = paginate(sp).body
    assert (
        rows(first, "heading") == [] and rows(second, "heading") == [0] and rows(second, "character") == [2]
    )


def test_action_keeps_two_lines_on_each_side_of_a_break() -> None:
    first, second = paginate(Screenplay(elements=(filler(51), filler(10)))).body
    assert rows(first, "action")[-2:] == [52, 53] and len(rows(second, "action")) == 8
    first, second = paginate(Screenplay(elements=(filler(51), filler(3)))).body
    assert rows(first, "action")[-1] == 50 and len(rows(second, "action")) == 3


def test_a_page_break_starts_a_new_page() -> None:
    pages = paginate(Screenplay(elements=(filler(3), PageBreak(), filler(2))))
    assert pages.count == 2 and rows(pages.body[1], "action") == [0, 1]


def test_dual_dialogue_sits_side_by_side(every: Screenplay) -> None:
    page = paginate(every).body[0]
    tom = next(i for i in page.items if i.text == "TOM")
    lin = next(i for i in page.items if i.text == "LIN")
    assert tom.row == lin.row and (tom.x, lin.x) == (2.4, 5.5)


def test_the_title_page_is_centred_and_unnumbered(ferry: Screenplay) -> None:
    title = paginate(ferry).title
    assert title is not None and title.number is None
    (name,) = [i for i in title.items if i.kind == "title-title"]
    assert name.text == "THE LAST FERRY" and name.row == 18 and abs(name.x + len(name.text) / 20 - 4.5) < 1e-9
    assert [i.text for i in title.items if i.kind == "title-right"] == ["3 May 2026"]
    assert paginate(Screenplay(TitlePage(), ())).title is None


def test_long_words_and_long_lines_wrap_inside_their_column() -> None:
    sp = parse("ROSA\n" + "Supercalifragilistic" * 3 + " " + "word " * 20 + "\n")
    for item in paginate(sp).body[0].items:
        if item.kind == "dialogue":
            assert 0 < len(item.text) <= 35
