"""Screenplays: Fountain in and out, PDF in standard layout, Final Draft XML, statistics.

from fabula.screenplay import parse, write, to_pdf, to_fdx, stats
sp = parse(Path("pilot.fountain").read_text())
to_pdf(sp, Path("pilot.pdf"))
"""

from fabula.screenplay.fountain import Problem, parse, parse_checked, write
from fabula.screenplay.model import (
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
    "Problem",
    "SceneHeading",
    "Screenplay",
    "Section",
    "Synopsis",
    "TitlePage",
    "Transition",
    "parse",
    "parse_checked",
    "write",
]
