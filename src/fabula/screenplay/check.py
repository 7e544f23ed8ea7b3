"""`check`: what in a Fountain file is probably not what the writer meant, line by line.

Errors are malformed markup (a boneyard or note never closed); warnings are lines that read,
but likely not as meant (a cue with no speech after it, a `^` with no speech before it, a scene
heading run into the next paragraph, a parenthetical never closed, no scene headings at all).
"""

from __future__ import annotations

from fabula.screenplay.fountain import Problem, parse_checked
from fabula.screenplay.model import Screenplay

__all__ = ["Problem", "check", "check_screenplay"]


def check(text: str) -> list[Problem]:
    """Problems of a Fountain text, by line number."""
    return check_screenplay(text)[1]


def check_screenplay(text: str) -> tuple[Screenplay, list[Problem]]:
    sp, problems = parse_checked(text)
    if not sp.elements and not sp.title_page:
        problems.append(
            Problem(
                1,
                "error",
                "There is no script in the file: write a scene heading (INT. PLACE - DAY) and what happens.",
            )
        )
    elif not sp.scenes():
        problems.append(
            Problem(
                1,
                "warning",
                "No scene headings: start each scene with INT. or EXT. (or a line beginning with '.').",
            )
        )
    if sp.title_page and not sp.title_page.get("title"):
        problems.append(
            Problem(1, "warning", "The title page has no Title: add `Title: ...` as its first line.")
        )
    return sp, sorted(problems, key=lambda p: p.line)
