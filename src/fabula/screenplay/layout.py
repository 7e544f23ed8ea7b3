"""The screenplay page: where every line goes, shared by the PDF and the page count.

US Letter, Courier 12 pt: 10 characters per inch, 6 lines per inch. Margins 1.5" left, 1" right,
1" top and bottom, so a page holds 54 lines of 60 characters, about a minute of screen time.
Columns are measured from the left edge of the paper:

| element | starts at | width |
|---|---|---|
| scene heading, action | 1.5" | 60 characters (6") |
| character cue | 3.7" | to the right margin |
| parenthetical | 3.1" | 24 characters |
| dialogue, lyrics | 2.5" | 35 characters |
| transition | right-aligned at 7.5" | |
| centered | centered on 4.5" | 60 characters |

Pages break like a typed script: a scene heading is never left at the bottom of a page (it goes
over with the first lines of what follows), a cue never without its first line of speech, an
action paragraph keeps at least two lines on each side of a break, and a speech that breaks
ends with `(MORE)` and goes on under `NAME (CONT'D)`, preferably after a sentence. Dual dialogue
sits in two columns and does not break. Page numbers (`2.`) are at the top right from page 2;
the title page is not numbered or counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from fabula.screenplay.emphasis import Run, runs
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

__all__ = ["COLUMNS", "DUAL", "GEOMETRY", "Column", "Geometry", "Item", "Page", "Pages", "paginate", "wrap"]


@dataclass(frozen=True)
class Geometry:
    """The page in inches (the font in points). The columns below are laid out for it."""

    width: float = 8.5
    height: float = 11.0
    top: float = 1.0
    bottom: float = 1.0
    left: float = 1.5
    right: float = 1.0
    font_size: float = 12.0
    chars_per_inch: int = 10
    lines_per_inch: int = 6
    header_rows: int = 3  # the page number sits 3 lines (0.5") above the first line of text

    @property
    def lines_per_page(self) -> int:
        return round((self.height - self.top - self.bottom) * self.lines_per_inch)

    @property
    def text_width(self) -> int:
        return round((self.width - self.left - self.right) * self.chars_per_inch)

    @property
    def right_edge(self) -> float:
        return self.width - self.right

    def row_top(self, row: int) -> float:
        """Distance from the top of the paper to the top of a line, in inches."""
        return self.top + row / self.lines_per_inch


GEOMETRY = Geometry()


@dataclass(frozen=True)
class Column:
    x: float  # inches from the left edge
    width: int  # characters
    align: str = "left"  # left, right (on x + width) or center (on x + width / 2)


COLUMNS = {
    "heading": Column(1.5, 60),
    "action": Column(1.5, 60),
    "character": Column(3.7, 38),
    "parenthetical": Column(3.1, 24),
    "dialogue": Column(2.5, 35),
    "lyrics": Column(2.5, 35),
    "transition": Column(1.5, 60, "right"),
    "centered": Column(1.5, 60, "center"),
}
# Dual dialogue: two 29-character columns, at 1.5" and 4.6", parts indented within each.
DUAL = {
    side: {
        "character": Column(x + 0.9, 20),
        "parenthetical": Column(x + 0.3, 23),
        "dialogue": Column(x, 29),
        "lyrics": Column(x, 29),
    }
    for side, x in (("left", 1.5), ("right", 4.6))
}
SCENE_NUMBER_X = {"left": 0.75, "right": 7.75}
TITLE_TOP_ROW = 18  # the title block starts 4" from the top of the paper


@dataclass(frozen=True)
class Item:
    """One printed line: its row on the page (0 is the first line under the top margin; the page
    number is above it, at a negative row), where its text starts, what it is and who speaks it."""

    row: int
    x: float
    runs: tuple[Run, ...]
    kind: str
    speaker: str | None = None

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Page:
    number: int | None  # None on the title page
    items: tuple[Item, ...]

    def text(self) -> str:
        """The page as plain text, one printed row per line (for tests and previews)."""
        rows: dict[int, list[Item]] = {}
        for item in self.items:
            rows.setdefault(item.row, []).append(item)
        lines = []
        for row in range(min(rows, default=0), max(rows, default=-1) + 1):
            line = ""
            for item in sorted(rows.get(row, []), key=lambda i: i.x):
                col = round(item.x * GEOMETRY.chars_per_inch)
                line = line.ljust(col) + item.text
            lines.append(line.rstrip())
        return "\n".join(lines)


@dataclass(frozen=True)
class Pages:
    title: Page | None
    body: tuple[Page, ...]

    @property
    def count(self) -> int:
        """Script pages (the title page is not counted): about the film's length in minutes."""
        return len(self.body)


# -- lines of one element -------------------------------------------------------------------------


def wrap(parts: list[Run], width: int) -> list[tuple[Run, ...]]:
    """Styled text broken into lines of at most `width` characters at spaces (a longer word is cut)."""
    text = "".join(r.text for r in parts)
    styles = [r.style for r in parts for _ in r.text]
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    if n == 0:
        return [()]
    while i < n:
        if n - i <= width:
            spans.append((i, n))
            break
        cut = text.rfind(" ", i, i + width + 1)
        if cut <= i or not text[i:cut].strip():
            spans.append((i, i + width))
            i += width
        else:
            spans.append((i, len(text[:cut].rstrip())))
            i = cut + 1
        while i < n and text[i] == " ":
            i += 1
    return [_slice(text, styles, a, b) for a, b in spans]


def _slice(text: str, styles: list[int], a: int, b: int) -> tuple[Run, ...]:
    out: list[Run] = []
    for j in range(a, b):
        if out and out[-1].style == styles[j]:
            out[-1] = Run(out[-1].text + text[j], styles[j])
        else:
            out.append(Run(text[j], styles[j]))
    return tuple(out)


def _place(parts: tuple[Run, ...], column: Column) -> float:
    """Where a line's text starts in its column, by the column's alignment."""
    length = sum(len(r.text) for r in parts) / GEOMETRY.chars_per_inch
    if column.align == "right":
        return column.x + column.width / GEOMETRY.chars_per_inch - length
    if column.align == "center":
        return column.x + (column.width / GEOMETRY.chars_per_inch - length) / 2
    return column.x


@dataclass(frozen=True)
class _Cell:  # an item before it has a row
    x: float
    runs: tuple[Run, ...]
    kind: str
    speaker: str | None = None
    first: bool = True  # the first row of its element (False on the rows it wraps onto)


def _lines(text: str, kind: str, column: Column, speaker: str | None = None) -> list[list[_Cell]]:
    rows = []
    for source in text.split("\n"):
        for k, parts in enumerate(wrap(runs(source), column.width)):
            rows.append([_Cell(_place(parts, column), parts, kind, speaker, k == 0)])
    return rows


def _ends_sentence(cells: list[_Cell]) -> bool:
    text = "".join(r.text for c in cells for r in c.runs).rstrip().rstrip("\"')")
    return text.endswith((".", "?", "!", "--"))


# -- blocks: what must stay together ----------------------------------------------------------


@dataclass
class _Block:
    rows: list[list[_Cell]]
    kind: str
    cue: str | None = None  # a speech's cue on the next page: NAME (CONT'D)
    speaker: str | None = None
    new_page: bool = False  # a forced page break comes before it

    def splits(self) -> list[int]:
        """Rows a new page could start at. An action paragraph keeps two lines on each side; a
        speech keeps its cue with a line, and never breaks in or after a parenthetical."""
        if self.kind == "action":
            return list(range(2, len(self.rows) - 1))
        if self.kind != "speech":
            return []
        out = []
        for i in range(2, len(self.rows)):
            before, here = self.rows[i - 1], self.rows[i]
            if any(c.kind == "parenthetical" for c in before) or any(
                c.kind == "parenthetical" and not c.first for c in here
            ):
                continue
            out.append(i)
        return out

    def breaks(self) -> list[int]:
        """The splits a page may break at: a speech that fits on a page breaks only after a sentence."""
        splits = self.splits()
        if self.kind == "speech" and len(self.rows) <= GEOMETRY.lines_per_page:
            return [i for i in splits if _ends_sentence(self.rows[i - 1])]
        return splits

    def min_rows(self) -> int:
        """The fewest rows of it that may stand at a page's foot (with `(MORE)` for a speech)."""
        breaks = self.breaks()
        return breaks[0] + (1 if self.cue else 0) if breaks else len(self.rows)


_HIDDEN = (Note, Boneyard, Section, Synopsis)


def _speech_rows(parts: list[Element], columns: dict[str, Column]) -> list[list[_Cell]]:
    cue = parts[0]
    assert isinstance(cue, Character)
    rows = _lines(cue.cue, "character", columns["character"], cue.name)
    for part in parts[1:]:
        if isinstance(part, _HIDDEN):
            continue
        kind = {Parenthetical: "parenthetical", Dialogue: "dialogue", Lyrics: "lyrics"}[type(part)]
        text = part.text  # type: ignore[union-attr]
        if isinstance(part, Lyrics) and text:
            text = f"*{text}*"  # lyrics print in italics
        rows.extend(_lines(text, kind, columns[kind], cue.name))
    return rows


def _speech(parts: list[Element]) -> _Block:
    cue = parts[0]
    assert isinstance(cue, Character)
    more = cue.cue if "CONT'D" in cue.extension.upper() else f"{cue.cue} (CONT'D)"
    return _Block(_speech_rows(parts, COLUMNS), "speech", cue=more, speaker=cue.name)


def _dual(left: list[Element], right: list[Element]) -> _Block:
    sides = [_speech_rows(left, DUAL["left"]), _speech_rows(right, DUAL["right"])]
    height = max(len(side) for side in sides)
    rows = [[cell for side in sides if i < len(side) for cell in side[i]] for i in range(height)]
    return _Block(rows, "dual")


def _heading(e: SceneHeading) -> _Block:
    rows = _lines(e.text, "heading", COLUMNS["heading"])
    if e.scene_number:
        number = (Run(e.scene_number),)
        rows[0] = rows[0] + [_Cell(x, number, "scene-number") for x in SCENE_NUMBER_X.values()]
    return _Block(rows, "heading")


def _units(elements: tuple[Element, ...]) -> list[Element | list[Element]]:
    """Elements as printed: a speech (its cue, parts and any boneyard among them) or a run of
    lyrics is a list; every other element stands alone."""
    units: list[Element | list[Element]] = []
    for e in elements:
        last = units[-1] if units else None
        if isinstance(last, list) and _joins(last, e):
            last.append(e)
        elif isinstance(e, (Character, Lyrics)):
            units.append([e])
        else:
            units.append(e)
    return units


def _joins(unit: list[Element], e: Element) -> bool:
    if isinstance(unit[0], Character):
        return isinstance(e, (*SPEECH_PARTS, Boneyard))
    return isinstance(e, Lyrics)


def _is_dual(unit: Element | list[Element]) -> bool:
    return isinstance(unit, list) and isinstance(unit[0], Character) and unit[0].dual


def _blocks(elements: tuple[Element, ...]) -> list[_Block]:
    units = _units(elements)
    blocks: list[_Block] = []
    new_page = False
    i = 0
    while i < len(units):
        unit = units[i]
        i += 1
        if isinstance(unit, PageBreak):
            new_page = True
            continue
        if isinstance(unit, _HIDDEN):
            continue
        if _is_dual(unit) and i < len(units) and _is_dual(units[i]):
            block = _dual(unit, units[i])  # type: ignore[arg-type]
            i += 1
        elif isinstance(unit, list) and isinstance(unit[0], Character):
            block = _speech(unit)
        elif isinstance(unit, list):
            lyrics = "\n".join(f"*{e.text}*" if e.text else "" for e in unit)  # type: ignore[union-attr]
            block = _Block(_lines(lyrics, "lyrics", COLUMNS["lyrics"]), "lyrics")
        elif isinstance(unit, SceneHeading):
            block = _heading(unit)
        elif isinstance(unit, Action):
            block = _Block(_lines(unit.text, "action", COLUMNS["action"]), "action")
        elif isinstance(unit, Centered):
            block = _Block(_lines(unit.text, "centered", COLUMNS["centered"]), "centered")
        elif isinstance(unit, Transition):
            block = _Block(_lines(unit.text, "transition", COLUMNS["transition"]), "transition")
        else:  # a parenthetical or dialogue line without a cue prints in its own column
            kind = type(unit).__name__.lower()
            block = _Block(_lines(unit.text, kind, COLUMNS[kind]), kind)  # type: ignore[union-attr]
        block.new_page = new_page
        new_page = False
        blocks.append(block)
    return blocks


# -- pages ------------------------------------------------------------------------------------


class _Pager:
    def __init__(self) -> None:
        self.size = GEOMETRY.lines_per_page
        self.pages: list[list[Item]] = [[]]
        self.row = 0  # the next free row on the current page

    @property
    def left(self) -> int:
        return self.size - self.row

    def space(self) -> int:
        """One blank line before every block, except at the top of a page."""
        return 1 if self.row else 0

    def new_page(self) -> None:
        if self.row:
            self.pages.append([])
            self.row = 0

    def put(self, rows: list[list[_Cell]]) -> None:
        for cells in rows:
            self.pages[-1].extend(Item(self.row, c.x, c.runs, c.kind, c.speaker) for c in cells)
            self.row += 1

    def place(self, block: _Block, following: _Block | None) -> None:
        if block.new_page:
            self.new_page()
        if block.kind == "heading" and self.space() + _with_next(block, following) > self.left:
            self.new_page()
        if self.space() + len(block.rows) <= self.left:
            self.row += self.space()
            self.put(block.rows)
            return
        at = self._split(block)
        if at is None:
            self.new_page()
            if len(block.rows) <= self.left:
                self.put(block.rows)
                return
            at = self._split(block)
        if at is None:
            self._cut(block)
        else:
            self._break(block, at, following)

    def _split(self, block: _Block) -> int | None:
        """Where to break the block so its first part fits on this page: the last fitting break,
        after a sentence if one fits."""
        room = self.left - self.space() - (1 if block.cue else 0)
        fitting = [i for i in block.breaks() if i <= room]
        sentences = [i for i in fitting if _ends_sentence(block.rows[i - 1])]
        return max(sentences or fitting, default=None)

    def _break(self, block: _Block, at: int, following: _Block | None) -> None:
        self.row += self.space()
        self.put(block.rows[:at])
        rest = block.rows[at:]
        if block.cue:
            x = COLUMNS["character"].x
            self.put([[_Cell(x, (Run("(MORE)"),), "more", block.speaker)]])
            rest = [[_Cell(x, (Run(block.cue),), "character", block.speaker)], *rest]
        self.new_page()
        self.place(_Block(rest, block.kind, block.cue, block.speaker), following)

    def _cut(self, block: _Block) -> None:
        """A block taller than a page with nowhere to break (a very long dual dialogue): cut it
        where each page ends."""
        rows = block.rows
        while rows:
            take = self.left
            self.put(rows[:take])
            rows = rows[take:]
            if rows:
                self.new_page()


def _with_next(heading: _Block, following: _Block | None) -> int:
    """Rows a heading needs on its page: itself, a blank line and the least of what follows."""
    if following is None or following.new_page:
        return len(heading.rows)
    return len(heading.rows) + 1 + following.min_rows()


def paginate(sp: Screenplay) -> Pages:
    """Every printed line of a screenplay, on its page and row."""
    pager = _Pager()
    blocks = _blocks(sp.elements)
    for i, block in enumerate(blocks):
        pager.place(block, blocks[i + 1] if i + 1 < len(blocks) else None)
    body = []
    for n, items in enumerate(pager.pages, 1):
        if n > 1:
            number = (Run(f"{n}."),)
            x = GEOMETRY.right_edge - len(number[0].text) / GEOMETRY.chars_per_inch
            items = [Item(-GEOMETRY.header_rows, x, number, "page-number"), *items]
        body.append(Page(n, tuple(items)))
    if len(body) == 1 and not body[0].items and not sp.elements:
        body = []
    return Pages(title_page(sp.title_page), tuple(body))


# -- the title page -----------------------------------------------------------------------------

_CENTER_KEYS = ("title", "credit", "author", "source")  # "author" also finds Authors
_RIGHT_KEYS = ("draft date", "date", "revision")


def title_page(tp: TitlePage) -> Page | None:
    """Title, credit, author and source centred from 4" down, a blank line after each; contact
    and the other keys at the bottom left; the draft date at the bottom right."""
    if not tp:
        return None
    center = COLUMNS["centered"]
    items: list[Item] = []
    row = TITLE_TOP_ROW
    for key in _CENTER_KEYS:
        for value in tp.get(key):
            for parts in wrap(runs(value), center.width):
                items.append(Item(row, _place(parts, center), parts, f"title-{key}"))
                row += 1
        row += 1 if tp.get(key) else 0
    placed = (*_CENTER_KEYS, "authors", *_RIGHT_KEYS)
    left = [v for k, vs in tp.entries if k.casefold() not in placed for v in vs]
    right = [v for k, vs in tp.entries if k.casefold() in _RIGHT_KEYS for v in vs]
    bottom = GEOMETRY.lines_per_page - 1
    for lines, column, kind in (
        (left, COLUMNS["action"], "title-left"),
        (right, COLUMNS["transition"], "title-right"),
    ):
        wrapped = [parts for v in lines for parts in wrap(runs(v), 30)]
        for k, parts in enumerate(wrapped):
            items.append(Item(bottom - len(wrapped) + 1 + k, _place(parts, column), parts, kind))
    return Page(None, tuple(items))
