"""Final Draft XML: the paragraphs it holds, and reading them back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from fabula.errors import FabulaError
from fabula.screenplay import (
    Action,
    Boneyard,
    Character,
    Dialogue,
    Lyrics,
    Note,
    Screenplay,
    Section,
    Synopsis,
    parse,
)
from fabula.screenplay.emphasis import strip_hidden
from fabula.screenplay.fdx import from_fdx, to_fdx, write_fdx


def test_paragraph_types_in_order(ferry: Screenplay) -> None:
    root = ET.fromstring(to_fdx(ferry))
    assert root.tag == "FinalDraft" and root.get("DocumentType") == "Script" and root.get("Version")
    top = root.findall("./Content/Paragraph")
    assert [p.get("Type") for p in top[:6]] == [
        "Scene Heading",
        "Action",
        "Action",
        "Character",
        "Parenthetical",
        "Dialogue",
    ]
    assert top[0].get("Number") == "1" and top[0].findtext("Text") == "EXT. HARBOUR TERMINAL - NIGHT"
    kinds = {p.get("Type") for p in root.iter("Paragraph")}
    assert kinds == {
        "Scene Heading",
        "Action",
        "Character",
        "Parenthetical",
        "Dialogue",
        "Transition",
        "Text",
        None,
    }
    (dual,) = root.iter("DualDialogue")
    assert [(p.get("Type"), p.findtext("Text")) for p in dual] == [
        ("Character", "MARA"),
        ("Dialogue", "I know the rocks, Captain. I grew up on them."),
        ("Character", "VOSS"),
        ("Dialogue", "You'll put us on them, is what you'll do."),
    ]


def test_emphasis_alignment_and_page_breaks(every: Screenplay) -> None:
    root = ET.fromstring(to_fdx(every))
    styled = [(t.text, t.get("Style")) for t in root.iter("Text") if t.get("Style")]
    assert (
        ("Smoke", "Bold") in styled
        and ("newspaper", "Italic") in styled
        and ("again", "Bold+Italic") in styled
    )
    assert ("Happy birthday to the toast,", "Italic") in styled  # lyrics
    centered = [
        p for p in root.iter("Paragraph") if p.get("Alignment") == "Center" and p.get("Type") == "Action"
    ]
    assert [p.findtext("Text") for p in centered] == ["THE END"] and centered[0].get("StartsNewPage") == "Yes"
    text = "".join(root.itertext())
    assert "is it a shed" not in text and "A cut line" not in text and "ACT ONE" not in text  # writer-only


@pytest.mark.parametrize("fixture", ["ferry", "every"])
def test_from_fdx_reads_back_what_to_fdx_wrote(fixture: str, request: pytest.FixtureRequest) -> None:
    sp = request.getfixturevalue(fixture)
    # Writer-only elements and inline notes are left out; lyrics come back as italic dialogue.
    printed = tuple(
        Dialogue(f"*{e.text}*")
        if isinstance(e, Lyrics)
        else replace(e, text=strip_hidden(e.text))
        if isinstance(e, Action)
        else e
        for e in sp.elements
        if not isinstance(e, (Note, Boneyard, Section, Synopsis))
    )
    back = from_fdx(to_fdx(sp))
    assert back.elements == printed
    tp = sp.title_page
    expected = [
        ("Title", tp.get("title")),
        ("Credit", tp.get("credit")),
        ("Author", tp.get("author")),
        ("Source", tp.get("source")),
        ("Contact", tp.get("contact")),
        ("Notes", tp.get("copyright")),
        ("Draft date", tp.get("draft date")),
    ]
    assert back.title_page.entries == tuple((k, v) for k, v in expected if v)


def test_reading_a_final_draft_file(tmp_path: Path) -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<FinalDraft DocumentType="Script" Template="No" Version="4">
  <Content>
    <Paragraph Type="Scene Heading"><Text>INT. STUDIO - NIGHT</Text></Paragraph>
    <Paragraph Type="Shot"><Text>CLOSE ON the </Text><Text Style="Underline">red</Text><Text> light</Text></Paragraph>
    <Paragraph Type="Character"><Text>KAI (O.S.)</Text></Paragraph>
    <Paragraph Type="Dialogue"><Text>Rolling.</Text></Paragraph>
  </Content>
</FinalDraft>"""
    (tmp_path / "studio.fdx").write_text(xml, encoding="utf-8")
    sp = parse("INT. STUDIO - NIGHT\n\nCLOSE ON the _red_ light\n\nKAI (O.S.)\nRolling.\n")
    assert from_fdx(xml) == sp
    assert write_fdx(sp, tmp_path / "out.fdx").read_text(encoding="utf-8") == to_fdx(sp)


def test_not_final_draft_is_refused_with_a_reason() -> None:
    with pytest.raises(FabulaError, match="Not Final Draft XML"):
        from_fdx("<FinalDraft><Content>")
    with pytest.raises(FabulaError, match="root is <html>"):
        from_fdx("<html/>")


def test_a_dual_cue_without_its_pair_is_an_ordinary_speech() -> None:
    sp = Screenplay(elements=(Character("ANA", dual=True), Dialogue("Alone.")))
    root = ET.fromstring(to_fdx(sp))
    assert not list(root.iter("DualDialogue"))
    assert from_fdx(to_fdx(sp)).elements == (replace(sp.elements[0], dual=False), sp.elements[1])
