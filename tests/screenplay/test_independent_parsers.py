"""Two independent Fountain readers from PyPI (fountain-py and screenplain) read Fabula's files,
the hand-written ones and the ones `write` produces, as the same elements with the same text.

Each reader is reduced to (kind, printed text) pairs. What a reader does not model is left out on
both sides, and each reduction says which of its documented differences it evens out."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from fabula.screenplay import (
    Boneyard,
    Character,
    Lyrics,
    Note,
    SceneHeading,
    Screenplay,
    Section,
    Synopsis,
    parse,
    write,
)
from fabula.screenplay.emphasis import plain

fountain_py = pytest.importorskip("fountain", reason="dev dependency fountain-py")
screenplain = pytest.importorskip("screenplain.parsers.fountain", reason="dev dependency screenplain")

Pairs = list[tuple[str, str]]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _merge(pairs: Pairs) -> Pairs:
    """Adjacent action paragraphs are one (fountain-py ends a paragraph at a two-space line)."""
    out: Pairs = []
    for kind, text in pairs:
        if kind == "action" and out and out[-1][0] == "action":
            out[-1] = ("action", f"{out[-1][1]} {text}".strip())
        else:
            out.append((kind, text))
    return out


def _ours(
    sp: Screenplay,
    *,
    notes: bool = True,
    lyrics: bool = True,
    cue_extensions: bool = False,
    merge: bool = True,
) -> Pairs:
    pairs: Pairs = []
    for e in sp.elements:
        if isinstance(e, Boneyard) or (isinstance(e, Note) and not notes):
            continue
        kind = type(e).__name__.lower()
        if isinstance(e, SceneHeading):
            text = e.text + (f" #{e.scene_number}#" if e.scene_number else "")
            pairs.append(("heading", _norm(plain(text))))
        elif isinstance(e, Character):
            pairs.append(("character", _norm(e.cue if cue_extensions else e.name)))
        elif isinstance(e, Lyrics) and not lyrics:
            pairs.append(("dialogue", _norm("~" + e.text)))
        elif isinstance(e, (Note, Section, Synopsis)):
            pairs.append((kind, _norm(e.text)))
        elif hasattr(e, "text"):
            pairs.append((kind, _norm(plain(e.text))))  # type: ignore[union-attr]
        else:
            pairs.append((kind, ""))
    return _merge(pairs) if merge else pairs


# -- fountain-py ------------------------------------------------------------------------------


def _fountain_py(text: str) -> Pairs:
    """fountain-py's elements; it reads a parenthetical over two lines as two dialogue lines, so a
    run of dialogue lines from `(` to `)` is joined back into one parenthetical."""
    kinds = {"scene_heading": "heading", "page_break": "pagebreak"}
    pairs: Pairs = []
    for e in fountain_py.FountainParser().parse(text).elements:
        if e.type.value == "dual_dialogue":
            left, right = e.dual_dialogue_columns()
            items = [*left, *right]
        else:
            items = [e]
        for item in items:
            kind = kinds.get(item.type.value, item.type.value)
            if kind == "boneyard":
                continue
            body = item.text
            if kind == "note":
                body = body.removeprefix("[[").removesuffix("]]")
            if kind == "heading" and item.metadata.get("scene_number"):
                body += f" #{item.metadata['scene_number']}#"
            if kind == "pagebreak":
                body = ""
            pairs.append((kind, _norm(body)))
    return _merge(_join_parentheticals(pairs))


def _join_parentheticals(pairs: Pairs) -> Pairs:
    out: Pairs = []
    open_paren = False
    for kind, text in pairs:
        if open_paren and kind == "dialogue":
            out[-1] = ("parenthetical", f"{out[-1][1]} {text}")
            open_paren = not text.endswith(")")
            continue
        open_paren = kind == "dialogue" and text.startswith("(") and not text.endswith(")")
        out.append(("parenthetical", text) if open_paren else (kind, text))
    return out


# -- screenplain --------------------------------------------------------------------------------


def _screenplain(text: str) -> Pairs:
    """screenplain's paragraphs. It has no lyrics (a `~` line stays dialogue), keeps no notes or
    boneyard, hangs a synopsis on the section or heading before it, upper-cases forced
    transitions and headings, and marks each line of a parenthetical."""
    pairs: Pairs = []
    for p in screenplain.parse(io.StringIO(text)).paragraphs:
        name = type(p).__name__
        if name == "DualDialog":
            pairs += _dialog(p.left) + _dialog(p.right)
        elif name == "Dialog":
            pairs += _dialog(p)
        elif name == "Slug":
            number = f" #{p.scene_number.to_html()}#" if p.scene_number else ""
            pairs.append(("heading", _norm(_plain(p.line) + number)))
            if p.synopsis:
                pairs.append(("synopsis", _norm(p.synopsis)))
        elif name == "Section":
            pairs.append(("section", _norm(_plain(p.text))))
            if p.synopsis:
                pairs.append(("synopsis", _norm(p.synopsis)))
        elif name == "PageBreak":
            pairs.append(("pagebreak", ""))
        elif name == "Transition":
            pairs.append(("transition", _norm(_plain(p.line))))
        else:
            kind = "centered" if p.centered else "action"
            pairs.append((kind, _norm(" ".join(_plain(line) for line in p.lines))))
    return pairs


def _plain(rich) -> str:  # type: ignore[no-untyped-def]
    return "".join(segment.text for segment in rich.segments)


def _dialog(d) -> Pairs:  # type: ignore[no-untyped-def]
    pairs: Pairs = [("character", _norm(_plain(d.character)))]
    for paren, line in d.blocks:
        text = _norm(_plain(line))
        if paren and pairs[-1][0] == "parenthetical" and not pairs[-1][1].endswith(")"):
            pairs[-1] = ("parenthetical", f"{pairs[-1][1]} {text}")
        else:
            pairs.append(("parenthetical" if paren else "dialogue", text))
    return pairs


def _without_boneyard(sp: Screenplay) -> Screenplay:
    # screenplain deletes a boneyard but not its line, so one between two lines of a speech ends it.
    return replace(sp, elements=tuple(e for e in sp.elements if not isinstance(e, Boneyard)))


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["ferry_text", "every_text"])
def test_fountain_py_reads_the_hand_written_files_as_fabula_does(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    text = request.getfixturevalue(fixture)
    assert _fountain_py(text) == _ours(parse(text))


@pytest.mark.parametrize("fixture", ["ferry_text", "every_text"])
def test_fountain_py_reads_what_fabula_writes_as_the_same_screenplay(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    sp = parse(request.getfixturevalue(fixture))
    written = write(sp)
    assert _fountain_py(written) == _ours(sp)
    doc = fountain_py.FountainParser().parse(written)
    assert doc.metadata["title"] == "\n".join(sp.title_page.get("title"))
    assert not [i for i in doc.issues if i.severity == "error"]


@pytest.mark.parametrize("fixture", ["ferry_text", "every_text"])
def test_screenplain_reads_what_fabula_writes_as_the_same_screenplay(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    sp = _without_boneyard(parse(request.getfixturevalue(fixture)))
    written = write(sp)
    assert _screenplain(written) == _ours(sp, notes=False, lyrics=False, cue_extensions=True, merge=False)
    title_page = screenplain.parse(io.StringIO(written)).title_page
    assert title_page == {k.capitalize(): list(v) for k, v in sp.title_page.entries}


def test_the_reductions_see_real_differences() -> None:
    """A changed line of dialogue or a cue read as action shows up in the comparison."""
    sp = parse("INT. ROOM - DAY\n\nANA\nHello.\n")
    assert _fountain_py("INT. ROOM - DAY\n\nANA\nGoodbye.\n") != _ours(sp)
    assert _screenplain("INT. ROOM - DAY\n\nAna\nHello.\n") != _ours(sp, cue_extensions=True, merge=False)
