"""The catalogue of judging rubrics: data files, registered the way a plugin would be.

Every rubric is a `[[rubric]]` table in a TOML file. The files come from folders named by entry
points in the `fabula.rubrics` group; Fabula's own folder (`fabula/eval/data/`) is the `builtin`
entry point, and is read even when no entry point is installed (a source tree run in place):

    [project.entry-points."fabula.rubrics"]
    my_rubrics = "my_package:rubrics_folder"   # a function returning a Path

A rubric table:

    [[rubric]]
    name = "hanna"            # what `judge(..., rubric=...)` is given
    description = "..."
    low = 1                   # the whole-number scale every criterion is rated on
    high = 5
    [[rubric.criterion]]
    name = "relevance"        # one word: the judge answers "relevance: 4"
    question = "How well does the story match its premise?"
    needs_premise = true      # only rated when the story's premise is given
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fabula.plugins import catalog_folders, read_catalog_file
from fabula.errors import FabulaError

__all__ = ["Criterion", "Rubric", "all_rubrics", "builtin_rubrics", "get_rubric"]

ENTRY_POINT_GROUP = "fabula.rubrics"
_NAME = re.compile(r"[a-z][a-z-]*")


@dataclass(frozen=True)
class Criterion:
    name: str
    question: str
    needs_premise: bool = False


@dataclass(frozen=True)
class Rubric:
    name: str
    criteria: tuple[Criterion, ...]
    low: int = 1
    high: int = 5
    description: str = ""
    source: str = ""  # the file it came from

    def criterion(self, name: str) -> Criterion:
        for c in self.criteria:
            if c.name == name.strip().lower():
                return c
        raise FabulaError(f"Rubric {self.name} has no criterion {name!r}; it has {', '.join(self.names)}.")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.criteria]


def builtin_rubrics() -> Path:
    """Fabula's own rubric folder (registered as the `builtin` entry point)."""
    return Path(__file__).parent / "data"


def _folders() -> list[Path]:
    return catalog_folders(ENTRY_POINT_GROUP, builtin_rubrics())


def _read(path: Path) -> list[Rubric]:
    tables = read_catalog_file(path, "Rubric catalogue").get("rubric", [])
    return [_rubric(t, path) for t in tables]


def _rubric(t: dict, path: Path) -> Rubric:
    name = t.get("name")
    if not name or not t.get("criterion"):
        raise FabulaError(f"A rubric in {path} lacks a name or [[rubric.criterion]] tables.")
    criteria = []
    for c in t["criterion"]:
        if not _NAME.fullmatch(str(c.get("name", ""))) or not c.get("question"):
            raise FabulaError(
                f"Rubric {name} in {path}: every criterion needs a lower-case one-word name and a question."
            )
        criteria.append(Criterion(c["name"], c["question"], bool(c.get("needs_premise", False))))
    low, high = t.get("low", 1), t.get("high", 5)
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high <= 9):
        raise FabulaError(
            f"Rubric {name} in {path}: the scale low..high must be single digits with low < high."
        )
    return Rubric(name, tuple(criteria), low, high, t.get("description", ""), str(path))


@cache
def all_rubrics() -> dict[str, Rubric]:
    """Every rubric by name, built-in first; a later file may not redefine a name."""
    rubrics: dict[str, Rubric] = {}
    for folder in _folders():
        for path in sorted(folder.glob("*.toml")):
            for rubric in _read(path):
                if rubric.name in rubrics:
                    raise FabulaError(
                        f"Rubric {rubric.name!r} in {path} is already defined in {rubrics[rubric.name].source}."
                    )
                rubrics[rubric.name] = rubric
    return rubrics


def get_rubric(name: str) -> Rubric:
    found = all_rubrics().get(name.strip().lower())
    if found is None:
        raise FabulaError(f"No rubric called {name!r}. Known rubrics: {', '.join(all_rubrics())}.")
    return found
