"""Final Draft XML (`.fdx`): written from a screenplay, and read back into one.

    <FinalDraft DocumentType="Script" Template="No" Version="5">
      <Content>
        <Paragraph Type="Scene Heading" Number="12"><Text>INT. HOUSE - NIGHT</Text></Paragraph>
        <Paragraph Type="Action"><Text>She waits. </Text><Text Style="Italic">Listens.</Text></Paragraph>
        <Paragraph><DualDialogue> ...Character, Parenthetical, Dialogue paragraphs... </DualDialogue></Paragraph>
      </Content>
      <TitlePage><Content> ...Text paragraphs, centred, left and right... </Content></TitlePage>
    </FinalDraft>

Emphasis becomes `Style="Bold+Italic+Underline"` runs; a speech's lines are one Dialogue
paragraph (line breaks inside it); centred text is Action with `Alignment="Center"`; lyrics are
italic Dialogue (Final Draft has no lyrics element, so they read back as italic dialogue); a page break sets `StartsNewPage="Yes"` on
the next paragraph. Notes, boneyard, sections and synopses are the writer's and are left out.

`from_fdx` reads the same shape (and any Final Draft script: unknown paragraph types are action).
The title page is laid out text in FDX, so reading it back is a best guess: the first centred
block is the title, a centred block starting "written by" (or "by") the credit, the next the
author, further ones the source; the right-hand block the draft date; the first left-hand block
the contact, later ones notes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from fabula.atomic import write_text_atomic
from fabula.errors import FabulaError
from fabula.screenplay.emphasis import Run, runs, to_markup
from fabula.screenplay.model import (
    SPEECH_PARTS,
    Action,
    Boneyard,
    Centered,
    Character,
    Dialogue,
    Element,
    Lyrics,
    PageBreak,
    Parenthetical,
    SceneHeading,
    Screenplay,
    TitlePage,
    Transition,
)

__all__ = ["from_fdx", "read_fdx", "to_fdx", "write_fdx"]

_STYLES = ((1, "Bold"), (2, "Italic"), (4, "Underline"))
_TYPES = {SceneHeading: "Scene Heading", Action: "Action", Transition: "Transition", Centered: "Action"}
_CENTER_KEYS = ("title", "credit", "author", "authors", "source")
_RIGHT_KEYS = ("draft date", "date", "revision")
_CREDITS = ("written by", "by", "screenplay by", "story by", "teleplay by")


def to_fdx(sp: Screenplay) -> str:
    """Final Draft XML for a screenplay."""
    root = ET.Element("FinalDraft", DocumentType="Script", Template="No", Version="5")
    content = ET.SubElement(root, "Content")
    new_page = False
    i, elements = 0, list(sp.elements)
    while i < len(elements):
        e = elements[i]
        if isinstance(e, PageBreak):
            new_page = True
            i += 1
            continue
        start = len(content)
        if isinstance(e, Character):
            i = _speech(content, elements, i)
        else:
            if type(e) in _TYPES:
                _paragraph(content, _TYPES[type(e)], e.text, e)  # type: ignore[union-attr]
            elif isinstance(e, SPEECH_PARTS):  # a part without a cue (lyrics on their own)
                kind = "Parenthetical" if isinstance(e, Parenthetical) else "Dialogue"
                _paragraph(content, kind, e.text, italic=isinstance(e, Lyrics))
            i += 1
        if new_page and len(content) > start:
            content[start].set("StartsNewPage", "Yes")
            new_page = False
    if sp.title_page:
        root.append(_title_page(sp.title_page))
    ET.indent(root, space="  ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n'
        + ET.tostring(root, encoding="unicode")
        + "\n"
    )


def write_fdx(sp: Screenplay, path: Path) -> Path:
    write_text_atomic(Path(path), to_fdx(sp))
    return Path(path)


def _paragraph(
    parent: ET.Element, kind: str, text: str, e: Element | None = None, *, italic: bool = False
) -> ET.Element:
    p = ET.SubElement(parent, "Paragraph", Type=kind)
    if isinstance(e, Centered):
        p.set("Alignment", "Center")
    if isinstance(e, SceneHeading) and e.scene_number:
        p.set("Number", e.scene_number)
    lines = text.split("\n")
    for k, line in enumerate(lines):
        parts = runs(line) or [Run("")]
        if k < len(lines) - 1:
            parts[-1] = Run(parts[-1].text + "\n", parts[-1].style)
        for run in parts:
            style = run.style | (2 if italic else 0)
            node = ET.SubElement(p, "Text")
            node.text = run.text
            if style:
                node.set("Style", "+".join(name for bit, name in _STYLES if style & bit))
    return p


def _speech(content: ET.Element, elements: list[Element], i: int) -> int:
    """Write the speech starting at elements[i] (or the dual pair) and return the next index."""
    cue = elements[i]
    assert isinstance(cue, Character)
    end = _speech_end(elements, i)
    if cue.dual and end < len(elements) and isinstance(elements[end], Character) and elements[end].dual:  # type: ignore[union-attr]
        holder = ET.SubElement(ET.SubElement(content, "Paragraph"), "DualDialogue")
        _speech_parts(holder, elements[i:end])
        after = _speech_end(elements, end)
        _speech_parts(holder, elements[end:after])
        return after
    _speech_parts(content, elements[i:end])
    return end


def _speech_end(elements: list[Element], i: int) -> int:
    """The index after the speech whose cue is at i (a boneyard between its parts belongs to it)."""
    j = i + 1
    while j < len(elements):
        inside = (
            isinstance(elements[j], Boneyard)
            and j + 1 < len(elements)
            and isinstance(elements[j + 1], SPEECH_PARTS)
        )
        if not (isinstance(elements[j], SPEECH_PARTS) or inside):
            break
        j += 1
    return j


def _speech_parts(parent: ET.Element, parts: list[Element]) -> None:
    cue = parts[0]
    assert isinstance(cue, Character)
    _paragraph(parent, "Character", cue.cue)
    lines: list[str] = []
    for e in parts[1:]:
        if isinstance(e, Dialogue):
            lines.append(e.text)
            continue
        if lines:
            _paragraph(parent, "Dialogue", "\n".join(lines))
            lines = []
        if isinstance(e, Parenthetical):
            _paragraph(parent, "Parenthetical", e.text)
        elif isinstance(e, Lyrics):
            _paragraph(parent, "Dialogue", e.text, italic=True)
    if lines:
        _paragraph(parent, "Dialogue", "\n".join(lines))


def _title_page(tp: TitlePage) -> ET.Element:
    page = ET.Element("TitlePage")
    content = ET.SubElement(page, "Content")
    center = [(k, v) for k, v in tp.entries if k.casefold() in _CENTER_KEYS]
    left = [(k, v) for k, v in tp.entries if k.casefold() not in (*_CENTER_KEYS, *_RIGHT_KEYS)]
    right = [(k, v) for k, v in tp.entries if k.casefold() in _RIGHT_KEYS]
    for group, align in ((center, "Center"), (left, "Left"), (right, "Right")):
        for _, values in group:
            for value in values:
                _paragraph(content, "Text", value).set("Alignment", align)
            _paragraph(content, "Text", "").set("Alignment", align)  # an empty paragraph ends a block
    return page


# -- reading ------------------------------------------------------------------------------------


def read_fdx(path: Path) -> Screenplay:
    path = Path(path)
    if not path.is_file():
        raise FabulaError(f"No Final Draft file at {path}: give the path of a .fdx file.")
    return from_fdx(path.read_text(encoding="utf-8"))


def from_fdx(xml: str) -> Screenplay:
    """A screenplay from Final Draft XML."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise FabulaError(
            f"Not Final Draft XML ({exc}): save the script from Final Draft as .fdx and try again."
        ) from exc
    if root.tag != "FinalDraft":
        raise FabulaError(f"Not a Final Draft file: its root is <{root.tag}>, not <FinalDraft>.")
    elements: list[Element] = []
    for p in root.findall("./Content/Paragraph"):
        if p.get("StartsNewPage") == "Yes" and elements:
            elements.append(PageBreak())
        dual = p.find("DualDialogue")
        if dual is not None:
            _read_dual(dual, elements)
        else:
            _read(p, elements)
    return Screenplay(_read_title_page(root.find("./TitlePage/Content")), tuple(elements))


def _text(p: ET.Element) -> str:
    parts = [
        Run(t.text or "", sum(bit for bit, name in _STYLES if name in (t.get("Style") or "").split("+")))
        for t in p.findall("Text")
    ]
    lines: list[list[Run]] = [[]]
    for run in parts:  # emphasis never crosses a line break, so split runs at newlines
        for k, piece in enumerate(run.text.split("\n")):
            if k:
                lines.append([])
            lines[-1].append(Run(piece, run.style))
    return "\n".join(to_markup(line) for line in lines)


def _read(p: ET.Element, out: list[Element], *, dual: bool = False) -> None:
    kind, text = p.get("Type", "Action"), _text(p)
    if kind == "Scene Heading":
        out.append(SceneHeading(text.replace("\n", " "), p.get("Number") or None))
    elif kind == "Character":
        name, paren, rest = text.replace("\n", " ").partition("(")
        out.append(Character(name.strip(), (paren + rest).strip(), dual))
    elif kind == "Parenthetical":
        out.append(Parenthetical(text))
    elif kind == "Dialogue":
        out.extend(Dialogue(line) for line in text.split("\n"))
    elif kind == "Transition":
        out.append(Transition(text.replace("\n", " ")))
    elif p.get("Alignment") == "Center":
        out.append(Centered(text))
    else:
        out.append(Action(text))


def _read_dual(holder: ET.Element, out: list[Element]) -> None:
    for p in holder.findall("Paragraph"):
        _read(p, out, dual=p.get("Type") == "Character")


def _read_title_page(content: ET.Element | None) -> TitlePage:
    if content is None:
        return TitlePage()
    blocks: list[tuple[str, list[str]]] = []
    open_block = False
    for p in content.findall("Paragraph"):
        text, align = _text(p), p.get("Alignment", "Left")
        if not text.strip():
            open_block = False
            continue
        if open_block and blocks[-1][0] == align:
            blocks[-1][1].append(text)
        else:
            blocks.append((align, [text]))
            open_block = True
    entries: list[tuple[str, tuple[str, ...]]] = []
    centred = [lines for align, lines in blocks if align == "Center"]
    names = iter(("Title", "Credit", "Author", "Source"))
    for lines in centred:
        name = next(names, "Source")
        if name == "Credit" and not lines[0].casefold().startswith(_CREDITS):
            name = "Author"
            next(names, None)
        entries.append((name, tuple(lines)))
    left = [lines for align, lines in blocks if align == "Left"]
    entries += [("Contact" if k == 0 else "Notes", tuple(lines)) for k, lines in enumerate(left)]
    entries += [("Draft date", tuple(lines)) for align, lines in blocks if align == "Right"]
    return TitlePage(tuple(entries))
