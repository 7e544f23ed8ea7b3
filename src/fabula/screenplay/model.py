"""A screenplay as typed elements: what Fountain, the PDF, Final Draft and the statistics share.

Text is kept as the writer wrote it: emphasis markers (`*italic*`, `**bold**`, `_underline_`),
backslash escapes and inline `[[notes]]` stay in the text, and each output decides how to show
them. Fountain's forcing marks (`.`, `!`, `@`, `>`, `~`) are not kept: the writer adds one
exactly where a line would otherwise be read as something else.

Every element carries `line`, the 1-based source line it came from (0 when built by hand); it is
left out of equality, so a parsed screenplay equals the same screenplay parsed from other text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass, field

from fabula.errors import FabulaError

__all__ = [
    "Action",
    "Boneyard",
    "Centered",
    "Character",
    "Dialogue",
    "Element",
    "Lyrics",
    "Note",
    "PageBreak",
    "Parenthetical",
    "SceneHeading",
    "Screenplay",
    "Section",
    "Synopsis",
    "TitlePage",
    "Transition",
    "split_heading",
]

# INT./EXT. first: the alternation must try the longer prefixes before INT and EXT.
_HEADING_PARTS = re.compile(
    r"^(?P<ie>INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|INT|EXT|EST|I\s*/\s*E)(?:\.|\s|$)\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_IE_NAMES = {
    "INT": "INT",
    "EXT": "EXT",
    "EST": "EXT",
    "I/E": "INT/EXT",
    "INT/EXT": "INT/EXT",
    "EXT/INT": "INT/EXT",
}


def split_heading(text: str) -> tuple[str | None, str, str | None]:
    """(INT/EXT, location, time) of a heading: `INT. HOUSE - KITCHEN - NIGHT` gives
    ("INT", "HOUSE - KITCHEN", "NIGHT"). EST (establishing) counts as EXT; I/E as INT/EXT.
    A heading without a prefix (a forced `.FLASHBACK`) has no INT/EXT; its time is still the
    part after the last ` - `."""
    match = _HEADING_PARTS.match(text.strip())
    ie, rest = (None, text.strip()) if match is None else (match["ie"], match["rest"])
    if ie is not None:
        ie = _IE_NAMES[re.sub(r"[\s.]", "", ie).upper()]
    location, sep, time = rest.rpartition(" - ")
    if not sep:
        return ie, rest.strip(" -"), None
    return ie, location.strip(" -"), time.strip() or None


def _one_line(text: str, what: str) -> str:
    """Single-line texts are stripped; a line break in one is an error, not a silent join."""
    if "\n" in text:
        raise FabulaError(
            f"{what} is one line, but {text[:40]!r} has a line break: make one element per line."
        )
    return text.strip()


@dataclass(frozen=True)
class TitlePage:
    """The key/value block before the script, keys in the order written; a value may span lines."""

    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, **values: str | list[str]) -> TitlePage:
        """`TitlePage.of(Title="Night Shift", Author=["A", "B"], Draft_date="1 May")`: `_` in a key is a space."""
        return cls(
            tuple((k.replace("_", " "), (v,) if isinstance(v, str) else tuple(v)) for k, v in values.items())
        )

    def get(self, key: str) -> tuple[str, ...]:
        """The lines of a key (case-insensitive; `Author` also finds `Authors`), or () when absent."""
        wanted = key.casefold()
        for k, v in self.entries:
            if k.casefold() == wanted or (
                wanted in ("author", "authors") and k.casefold() in ("author", "authors")
            ):
                return v
        return ()

    def __bool__(self) -> bool:
        return bool(self.entries)


@dataclass(frozen=True)
class _Element:
    _: KW_ONLY
    line: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class SceneHeading(_Element):
    """`INT. HOUSE - NIGHT #12#`: the text (without the scene number) and the scene number;
    int_ext, location and time are read from the text, so they always agree with it."""

    text: str
    scene_number: str | None = None
    int_ext: str | None = field(init=False)  # "INT", "EXT" or "INT/EXT"
    location: str = field(init=False)
    time: str | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _one_line(self.text, "A scene heading"))
        ie, location, time = split_heading(self.text)
        object.__setattr__(self, "int_ext", ie)
        object.__setattr__(self, "location", location)
        object.__setattr__(self, "time", time)


@dataclass(frozen=True)
class Action(_Element):
    """A paragraph of action; line breaks are the writer's, an empty line is a kept blank line.
    Indentation is kept; spaces at line ends are not."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", "\n".join(line.rstrip() for line in self.text.split("\n")))


@dataclass(frozen=True)
class Character(_Element):
    """A cue: `name` without its extension, `extension` as written (`(V.O.)`, `(O.S.) (CONT'D)`).
    `dual` marks both cues of a dual-dialogue pair (Fountain writes `^` on the second)."""

    name: str
    extension: str = ""
    dual: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _one_line(self.name, "A character name"))
        object.__setattr__(self, "extension", _one_line(self.extension, "A character extension"))

    @property
    def cue(self) -> str:
        return f"{self.name} {self.extension}".strip()


@dataclass(frozen=True)
class Parenthetical(_Element):
    """`(beat)`: kept with its parentheses; built without them, it gets them."""

    text: str

    def __post_init__(self) -> None:
        text = self.text.strip()
        if not (text.startswith("(") and text.endswith(")")):
            text = f"({text.strip('()')})"
        object.__setattr__(self, "text", text)


@dataclass(frozen=True)
class Dialogue(_Element):
    """One line of speech (each source line is its own element; "" is a kept blank line)."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _one_line(self.text, "Dialogue"))


@dataclass(frozen=True)
class Lyrics(_Element):
    """One sung line (`~` in Fountain), inside a speech or on its own."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _one_line(self.text, "Lyrics"))


@dataclass(frozen=True)
class Transition(_Element):
    text: str  # CUT TO:

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _one_line(self.text, "A transition"))


@dataclass(frozen=True)
class Centered(_Element):
    """`> THE END <`; a paragraph of centered lines is one element, its lines joined by newlines."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", "\n".join(line.strip() for line in self.text.split("\n")))


@dataclass(frozen=True)
class Note(_Element):
    """A `[[note]]` standing on its own; notes inside other text stay in that text."""

    text: str

    def __post_init__(self) -> None:
        if "]]" in self.text:
            raise FabulaError(f"Note {self.text[:40]!r} contains ']]', which would end it early: remove it.")


@dataclass(frozen=True)
class Boneyard(_Element):
    """`/* ... */` on lines of its own: text cut from the script but kept in the file (as written,
    between the markers)."""

    text: str

    def __post_init__(self) -> None:
        if "*/" in self.text:
            raise FabulaError(
                f"Boneyard {self.text[:40]!r} contains '*/', which would end it early: remove it."
            )


@dataclass(frozen=True)
class PageBreak(_Element):
    pass


@dataclass(frozen=True)
class Section(_Element):
    """`## Act Two`: structure for the writer, never printed."""

    text: str
    level: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _one_line(self.text, "A section"))
        if not 1 <= self.level <= 6:
            raise FabulaError(
                f"Section {self.text!r}: level {self.level} must be 1 to 6 (the number of '#')."
            )


@dataclass(frozen=True)
class Synopsis(_Element):
    """`= what happens`: an outline line for the writer, never printed."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _one_line(self.text, "A synopsis"))


Element = (
    SceneHeading
    | Action
    | Character
    | Parenthetical
    | Dialogue
    | Lyrics
    | Transition
    | Centered
    | Note
    | Boneyard
    | PageBreak
    | Section
    | Synopsis
)

# The parts of a speech that follow its cue.
SPEECH_PARTS = (Parenthetical, Dialogue, Lyrics)


@dataclass(frozen=True)
class Screenplay:
    title_page: TitlePage = field(default_factory=TitlePage)
    elements: tuple[Element, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", tuple(self.elements))

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements)

    @property
    def title(self) -> str:
        return " ".join(self.title_page.get("title"))

    def scenes(self) -> list[SceneHeading]:
        return [e for e in self.elements if isinstance(e, SceneHeading)]
