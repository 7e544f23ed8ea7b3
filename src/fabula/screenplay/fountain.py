"""Fountain (https://fountain.io/syntax) read into a `Screenplay` and written back.

The reader follows the spec paragraph by paragraph (a paragraph is a run of lines between blank
lines; a line of two or more spaces is a blank line kept inside a paragraph):

- A title page is `Key: value` lines at the very top (values may continue on lines indented by
  three spaces or a tab) up to the first blank line; its first key must be one the spec names
  (Title, Credit, Author(s), Source, Draft date, Contact) or a common one (Copyright, Notes, ...),
  so a script that opens with `FADE IN:` has no title page.
- Scene heading: a line starting INT, EXT, EST, INT./EXT, INT/EXT or I/E and a dot or space, or
  forced with `.` (not `..`); `#1A#` at the end is the scene number.
- Character: an upper-case line (letters needed; an extension in parentheses may be any case)
  with speech on the next line, or forced with `@`; `^` after it is the second half of dual
  dialogue. The speech is one `Dialogue` per line, `(parentheticals)` (which may span lines),
  and `~lyrics`.
- Transition: an upper-case line ending in `TO:` standing alone, or forced with `>`.
  Centered: `> text <`. Lyrics: `~`. Forced action: `!`.
- `[[notes]]` standing alone are `Note`s; inside other text they stay in the text. `/* boneyard */`
  on lines of its own (it may hold blank lines) is a `Boneyard`; inside a line it stays there.
- `===` page break, `#` sections (up to six levels), `=` synopses.
- Anything else is action, kept as written (indentation included). Emphasis is kept as written.

`write` produces canonical Fountain: elements separated by one blank line, speeches together,
and a forcing mark exactly where the plain line would read as something else — checked by reading
each written paragraph back — or would to other Fountain readers (an upper-case action line that
ends in `:`, a line starting with a Fountain mark). So `parse(write(sp)) == sp`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from fabula.errors import FabulaError
from fabula.screenplay.model import (
    SPEECH_PARTS,
    Action,
    Boneyard,
    Centered,
    Character,
    Dialogue,
    Element,
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
)

__all__ = ["Problem", "parse", "parse_checked", "write"]

# Keys that may open a title page (any key may follow once it is open), compared case-insensitively.
TITLE_KEYS = frozenset(
    (
        "title",
        "credit",
        "author",
        "authors",
        "source",
        "draft date",
        "contact",
        "copyright",
        "notes",
        "revision",
        "date",
    )
)
_TITLE_KEY = re.compile(r"^(?P<key>[^\s:][^:]*?)[ \t]*:[ \t]*(?P<value>.*)$")
_TITLE_MORE = re.compile(r"^(?: {3,}|\t)\s*(?P<value>\S.*)$")
_HEADING = re.compile(r"^(?:INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|INT|EXT|EST|I\s*/\s*E)[.\s]", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"^(?P<text>.*?)\s*#(?P<number>[\w.\-]+)#\s*$")
_CENTERED = re.compile(r"^\s*>(?P<text>.*)<\s*$")
_PAGE_BREAK = re.compile(r"^={3,}$")
_SECTION = re.compile(r"^(?P<hashes>#{1,6})(?!#)\s*(?P<text>.*)$")
_NOTES = re.compile(r"\[\[(?P<text>.*?)\]\]", re.DOTALL)
_ONLY_NOTES = re.compile(r"^\s*(?:\[\[.*?\]\]\s*)+$", re.DOTALL)
_KEPT_BLANK = re.compile(r"^ {2,}$")
# Marks that begin a forced or structural line, in this reader or in others.
_MARKS = ("!", "@", ".", ">", "~", "=", "#", "[[", "/*", "(")


@dataclass(frozen=True)
class Problem:
    """Something in a Fountain file that is probably not what the writer meant."""

    line: int
    severity: str  # "error" (the file is malformed) or "warning" (it reads, perhaps not as meant)
    message: str

    def render(self, name: str = "") -> str:
        return (
            f"{name}:{self.line}: {self.severity}: {self.message}"
            if name
            else f"line {self.line}: {self.severity}: {self.message}"
        )


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


@dataclass(frozen=True)
class _Cut:  # a boneyard on lines of its own
    number: int
    text: str


_Item = _Line | _Cut


def parse(text: str) -> Screenplay:
    """Read Fountain text. Never fails on odd input: what it cannot place is action
    (`parse_checked` and `fabula screenplay check` say what looked wrong)."""
    return parse_checked(text)[0]


def parse_checked(text: str) -> tuple[Screenplay, list[Problem]]:
    """The screenplay and the problems met while reading it, by line."""
    reader = _Reader()
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title, start = reader.title_page(lines)
    reader.boneyard_problems(lines, start)
    elements: list[Element] = []
    for paragraph in _paragraphs(_items(lines, start)):
        reader.paragraph(paragraph, elements)
    return Screenplay(title, tuple(elements)), sorted(reader.problems, key=lambda p: p.line)


def _items(lines: list[str], start: int) -> list[_Item]:
    """Lines, with each boneyard that stands on lines of its own made one item."""
    items: list[_Item] = []
    i = start
    while i < len(lines):
        line = lines[i]
        opened = line.lstrip().startswith("/*")
        if opened and (end := _boneyard_end(lines, i)) is not None:
            block = "\n".join(lines[i : end + 1]).strip()
            items.append(_Cut(i + 1, block[2:-2]))
            i = end + 1
            continue
        items.append(_Line(i + 1, line))
        i += 1
    return items


def _boneyard_end(lines: list[str], i: int) -> int | None:
    """The line where a boneyard opened at the start of line i closes, if its first `*/` ends that
    line (then it is a block of its own; otherwise it is inside the text)."""
    rest = lines[i][lines[i].index("/*") + 2 :]
    for j in range(i, len(lines)):
        text = (rest if j == i else lines[j]).rstrip()
        if "*/" in text:
            return j if text.index("*/") == len(text) - 2 else None
    return None


def _paragraphs(items: list[_Item]) -> list[list[_Item]]:
    paragraphs: list[list[_Item]] = []
    current: list[_Item] = []
    for item in items:
        if isinstance(item, _Line) and not item.text.strip() and not _KEPT_BLANK.match(item.text):
            if current:
                paragraphs.append(current)
            current = []
        else:
            current.append(item)
    if current:
        paragraphs.append(current)
    return paragraphs


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def warn(self, line: int, message: str, severity: str = "warning") -> None:
        self.problems.append(Problem(line, severity, message))

    def boneyard_problems(self, lines: list[str], start: int) -> None:
        """`/*` never closed and `*/` never opened, anywhere in the body."""
        opened = 0
        for n, line in enumerate(lines[start:], start + 1):
            for mark in re.findall(r"/\*|\*/", line):
                if mark == "/*" and not opened:
                    opened = n
                elif mark == "*/" and opened:
                    opened = 0
                elif mark == "*/":
                    self.warn(
                        n,
                        "`*/` closes a boneyard that was never opened: add `/*` where the cut starts, or remove it.",
                    )
        if opened:
            self.warn(
                opened, "`/*` opens a boneyard that is never closed: add `*/` where the cut ends.", "error"
            )

    # -- title page ---------------------------------------------------------------------------
    def title_page(self, lines: list[str]) -> tuple[TitlePage, int]:
        first = _TITLE_KEY.match(lines[0]) if lines else None
        if first is None or first["key"].casefold() not in TITLE_KEYS:
            return TitlePage(), 0
        entries: list[tuple[str, list[str]]] = []
        i = 0
        while i < len(lines) and lines[i].strip():
            line = lines[i]
            if (more := _TITLE_MORE.match(line)) and entries:
                entries[-1][1].append(more["value"].strip())
            elif key := _TITLE_KEY.match(line):
                entries.append((key["key"], [key["value"].strip()] if key["value"].strip() else []))
            else:
                self.warn(
                    i + 1,
                    "Title page line is neither `Key: value` nor a value indented by 3 spaces: "
                    "indent it, or end the title page with a blank line before it.",
                )
                entries[-1][1].append(line.strip())
            i += 1
        return TitlePage(tuple((k, tuple(v)) for k, v in entries)), i

    # -- body ---------------------------------------------------------------------------------
    def paragraph(self, items: list[_Item], out: list[Element]) -> None:
        lines = [i for i in items if isinstance(i, _Line)]
        joined = "\n".join(line.text for line in lines)
        if "[[" in joined and _NOTES.sub("", joined).count("[[") > 0:
            self.warn(
                lines[0].number,
                "`[[` opens a note that is not closed in this paragraph: add `]]` (a blank "
                "line inside a note needs two spaces on it).",
                "error",
            )
        if len(lines) >= 2 and _cue(lines[0].text) is not None:
            lead = items.index(lines[0])
            out.extend(Boneyard(c.text, line=c.number) for c in items[:lead] if isinstance(c, _Cut))
            self.speech(items[lead:], out)
            return
        # Outside a speech a boneyard separates what is on either side of it.
        run: list[_Line] = []
        for item in items:
            if isinstance(item, _Cut):
                self.block(run, out)
                run = []
                out.append(Boneyard(item.text, line=item.number))
            else:
                run.append(item)
        self.block(run, out)

    def block(self, lines: list[_Line], out: list[Element]) -> None:
        """A paragraph of text lines that is not a speech."""
        if not lines:
            return
        first, n = lines[0], lines[0].number
        head = first.text.strip()
        joined = "\n".join(line.text for line in lines)
        if head.startswith("!"):
            out.append(_action(lines, forced=True))
        elif _ONLY_NOTES.match(joined):
            out.extend(Note(m["text"], line=n) for m in _NOTES.finditer(joined))
        elif all(_structural(line.text.strip()) for line in lines):
            out.extend(_structure(line) for line in lines)
        elif (heading := _heading(head, n)) is not None:
            out.append(heading)
            if len(lines) > 1:
                self.warn(
                    n,
                    "A scene heading needs a blank line after it: the next line was read as a new paragraph.",
                )
                self.paragraph(list(lines[1:]), out)
        elif all(_CENTERED.match(line.text) for line in lines):
            out.append(
                Centered("\n".join(_CENTERED.match(line.text)["text"].strip() for line in lines), line=n)
            )
        elif len(lines) == 1 and (transition := _transition(head, n)) is not None:
            out.append(transition)
        elif all(line.text.strip().startswith("~") for line in lines):
            out.extend(Lyrics(line.text.strip()[1:].strip(), line=line.number) for line in lines)
        else:
            if len(lines) == 1 and _cue(head) is not None and _looks_like_name(head):
                self.warn(
                    n,
                    f"{head!r} looks like a character cue but no speech follows it: put the speech on "
                    "the next line, or start the line with `!` to mean action.",
                )
            out.append(_action(lines))

    def speech(self, items: list[_Item], out: list[Element]) -> None:
        cue_line = items[0]
        assert isinstance(cue_line, _Line)
        name, extension, dual = _cue(cue_line.text)  # type: ignore[misc]
        if dual:
            previous = _last_cue(out)
            if previous is None:
                self.warn(
                    cue_line.number,
                    "`^` marks the second half of dual dialogue, but no speech comes right "
                    "before it: remove the `^`, or move this speech after the one it answers.",
                )
                dual = False
            else:
                out[previous] = replace(out[previous], dual=True)  # type: ignore[arg-type]
        out.append(Character(name, extension, dual, line=cue_line.number))
        paren: list[str] = []
        paren_line = 0
        for item in items[1:]:
            if isinstance(item, _Cut):
                out.append(Boneyard(item.text, line=item.number))
                continue
            text = item.text.strip()
            if paren or text.startswith("("):
                paren_line = paren_line or item.number
                paren.append(text)
                if text.endswith(")"):
                    out.append(Parenthetical("\n".join(paren), line=paren_line))
                    paren, paren_line = [], 0
            elif text.startswith("~"):
                out.append(Lyrics(text[1:].strip(), line=item.number))
            else:
                out.append(Dialogue(text, line=item.number))
        if paren:
            self.warn(paren_line, "A parenthetical is not closed: end it with `)`.")
            out.append(Parenthetical("\n".join(paren), line=paren_line))


def _action(lines: list[_Line], *, forced: bool = False) -> Action:
    texts = [line.text.rstrip() for line in lines]
    if forced:
        texts[0] = texts[0].lstrip()[1:]
    return Action("\n".join("" if not t.strip() else t for t in texts), line=lines[0].number)


def _structural(text: str) -> bool:
    return bool(
        _PAGE_BREAK.match(text)
        or _SECTION.match(text)
        or (text.startswith("=") and not text.startswith("=="))
    )


def _structure(line: _Line) -> Element:
    text, n = line.text.strip(), line.number
    if _PAGE_BREAK.match(text):
        return PageBreak(line=n)
    if section := _SECTION.match(text):
        return Section(section["text"].strip(), len(section["hashes"]), line=n)
    return Synopsis(text[1:].strip(), line=n)


def _heading(text: str, n: int) -> SceneHeading | None:
    forced = text.startswith(".") and len(text) > 1 and text[1] not in ". "
    if not forced and not _HEADING.match(text + " "):
        return None
    text = text[1:].strip() if forced else text
    number = _SCENE_NUMBER.match(text)
    if number:
        return SceneHeading(number["text"], number["number"], line=n)
    return SceneHeading(text, line=n)


def _transition(text: str, n: int) -> Transition | None:
    if text.startswith(">") and len(text) > 1 and not text.endswith("<"):
        return Transition(text[1:].strip(), line=n)
    if text.endswith("TO:") and _upper(text):
        return Transition(text, line=n)
    return None


def _upper(text: str) -> bool:
    return any(c.isalpha() for c in text) and text == text.upper()


def _cue(line: str) -> tuple[str, str, bool] | None:
    """(name, extension, dual) if the line can be a character cue."""
    text = line.strip()
    dual = text.endswith("^")
    if dual:
        text = text[:-1].rstrip()
    forced = text.startswith("@") and len(text) > 1
    body = text[1:].strip() if forced else text
    name, paren, rest = body.partition("(")
    name, extension = name.strip(), (paren + rest).strip()
    if not name or (extension and not extension.endswith(")")):
        return None  # `MARA (30s), in oilskins` is action that introduces her, not a cue
    if not forced and (
        not _upper(name) or name.endswith(":") or _HEADING.match(name + " ") or name[0] in "!.>~=#["
    ):
        return None
    return name, extension, dual


def _looks_like_name(text: str) -> bool:
    """A short upper-case line with no closing punctuation, which is more often a cue than action."""
    name = text.partition("(")[0].strip()
    return len(name.split()) <= 3 and name[-1:].isalnum() and not name.endswith("TO:")


def _last_cue(out: list[Element]) -> int | None:
    """Index of the cue of the speech that ends `out`, if it is not already a dual pair."""
    for i in range(len(out) - 1, -1, -1):
        e = out[i]
        if isinstance(e, Character):
            return None if e.dual else i
        if not isinstance(e, (*SPEECH_PARTS, Boneyard)):
            return None
    return None


# -- writing -----------------------------------------------------------------------------------


def write(sp: Screenplay) -> str:
    """Canonical Fountain text for a screenplay (see the module docstring)."""
    parts: list[str] = []
    if sp.title_page:
        parts.append(_title_page(sp.title_page))
    first_of_pair = False  # a dual cue after a first dual cue is the second, written with `^`
    for i, block in enumerate(_blocks(list(sp.elements))):
        cue = block[0] if isinstance(block[0], Character) else None
        second = bool(cue and cue.dual and first_of_pair)
        first_of_pair = bool(cue and cue.dual and not second)
        text = _block(block, second)
        if i == 0 and not sp.title_page and _opens_title_page(text):
            text = "!" + text
        parts.append(text)
    return "\n\n".join(parts) + "\n"


def _title_page(tp: TitlePage) -> str:
    lines = []
    for key, values in tp.entries:
        if ":" in key or "\n" in key or not key.strip():
            raise FabulaError(f"Title page key {key!r} cannot be written: a key is one line without ':'.")
        if len(values) == 1:
            lines.append(f"{key}: {values[0]}")
        else:
            lines.append(f"{key}:")
            lines.extend(f"    {v}" for v in values)
    return "\n".join(lines)


def _opens_title_page(text: str) -> bool:
    key = _TITLE_KEY.match(text.split("\n", 1)[0])
    return key is not None and key["key"].casefold() in TITLE_KEYS


def _blocks(elements: list[Element]) -> list[list[Element]]:
    """Elements grouped into written paragraphs: a speech (its cue, its parts, boneyards between
    parts) or a run of lyrics is one paragraph; every other element is one."""
    blocks: list[list[Element]] = []
    for i, e in enumerate(elements):
        following = elements[i + 1] if i + 1 < len(elements) else None
        if blocks and _joins(blocks[-1], e, following):
            blocks[-1].append(e)
        else:
            blocks.append([e])
    return blocks


def _joins(block: list[Element], e: Element, following: Element | None) -> bool:
    """Whether `e` goes on the next line of the paragraph `block` rather than after a blank line."""
    if isinstance(block[0], Character):
        return isinstance(e, SPEECH_PARTS) or (
            isinstance(e, Boneyard) and isinstance(following, SPEECH_PARTS)
        )
    return isinstance(block[0], Lyrics) and isinstance(e, Lyrics)


def _block(block: list[Element], second: bool) -> str:
    first = block[0]
    if isinstance(first, Character):
        return _speech(block, second)
    if isinstance(first, Lyrics):
        return "\n".join(f"~{e.text}" for e in block)  # type: ignore[union-attr]
    return _element(first)


def _speech(block: list[Element], second: bool) -> str:
    cue = block[0]
    assert isinstance(cue, Character)
    if not cue.name:
        raise FabulaError("A character cue needs a name.")
    natural = cue.cue
    read = _cue(natural)
    forced = read is None or read[:2] != (cue.name, cue.extension) or cue.name.startswith(_MARKS)
    lines = [("@" if forced else "") + natural + (" ^" if second else "")]
    for e in block[1:]:
        if isinstance(e, Parenthetical):
            lines.append(e.text)
        elif isinstance(e, Lyrics):
            lines.append(f"~{e.text}")
        elif isinstance(e, Boneyard):
            lines.append(f"/*{e.text}*/")
        else:
            assert isinstance(e, Dialogue)
            lines.append(e.text or "  ")
    return "\n".join(lines)


def _element(e: Element) -> str:
    if isinstance(e, SceneHeading):
        natural = e.text + (f" #{e.scene_number}#" if e.scene_number else "")
        return natural if _reads_as(natural, [e]) else f".{natural}"
    if isinstance(e, Action):
        return _action_text(e)
    if isinstance(e, Transition):
        return e.text if _reads_as(e.text, [e]) and not e.text.startswith(_MARKS) else f"> {e.text}"
    if isinstance(e, Centered):
        return "\n".join(f"> {line.strip()} <" for line in e.text.split("\n"))
    if isinstance(e, Note):
        return f"[[{e.text}]]"
    if isinstance(e, Boneyard):
        return f"/*{e.text}*/"
    if isinstance(e, PageBreak):
        return "==="
    if isinstance(e, Section):
        return f"{'#' * e.level} {e.text}"
    if isinstance(e, Synopsis):
        return f"= {e.text}"
    if isinstance(e, (Dialogue, Parenthetical)):
        raise FabulaError(f"{type(e).__name__} {e.text!r} has no character before it: put a Character first.")
    raise FabulaError(f"Cannot write {e!r} as Fountain.")  # pragma: no cover - Element is closed


def _action_text(e: Action) -> str:
    lines = [line.rstrip() or "  " for line in e.text.split("\n")]
    text = "\n".join(lines)
    head = lines[0].strip()
    # Other readers take an upper-case line ending in ':' for a transition, and a marked line by its mark.
    risky = head.startswith(_MARKS) or (_upper(head) and (head.endswith(":") or len(lines) > 1))
    return text if not risky and _reads_as(text, [e]) else f"!{text}"


def _reads_as(text: str, expected: list[Element]) -> bool:
    """Whether a paragraph written alone reads back as the expected elements."""
    reader = _Reader()
    out: list[Element] = []
    for paragraph in _paragraphs(_items(text.split("\n"), 0)):
        reader.paragraph(paragraph, out)
    return out == expected
