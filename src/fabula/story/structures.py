"""Story structures (beat sheets) and character archetypes: data files, registered like poem forms.

A structure is one TOML file: a `[structure]` table and its `[[beat]]`s, in story order. Each beat
says how much of the story it takes (`share`, a weight, or `at`, where it starts from 0 to 1; one
convention per file), what it does (`description`) and a `stem`: the start of one sentence a plain
language model completes ("At the start, {protagonist} lives in {setting}, where"). Placeholders are
archetype keys (`{protagonist}`, `{mentor}`, ...; see `archetypes.toml`) and `{setting}`, `{place}`,
`{who}`, `{goal}`, `{title}`; an unknown placeholder is refused when the file is read.

Folders of these files come from the `fabula.structures` entry-point group. Each folder holds
`structures/*.toml` and, optionally, `archetypes.toml`. Fabula's own folder (`fabula/story/data/`)
is always read first, whether or not its `builtin` entry point is installed, so a source tree run
without reinstalling still has its structures; a plugin adds its own with one entry point:

    [project.entry-points."fabula.structures"]
    my_structures = "my_package:structures_folder"   # a function returning a Path (or a Path)
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fabula.plugins import catalog_folders, read_catalog_file
from fabula.errors import FabulaError

__all__ = [
    "FIXED_PLACEHOLDERS",
    "Archetype",
    "Beat",
    "Structure",
    "UnknownStructure",
    "all_structures",
    "archetype_for",
    "archetypes",
    "builtin_structures",
    "get_structure",
]

ENTRY_POINT_GROUP = "fabula.structures"

#: Placeholders a stem may use besides archetype keys (filled by the planner from the bible).
FIXED_PLACEHOLDERS = frozenset({"setting", "place", "who", "goal", "title"})


class UnknownStructure(FabulaError):
    """A structure name that no structure file defines."""


@dataclass(frozen=True)
class Beat:
    name: str
    start: float  # where the beat starts, as a share of the whole story (0..1)
    end: float
    description: str
    stem: str  # the start of the one sentence a plain model completes
    part: str = ""  # the act or movement it belongs to ("Act I", "起")
    cast: tuple[str, ...] = ()  # archetype keys whose names the sentence should use
    scene_stems: tuple[str, ...] = ()  # stems for further scenes of this beat

    @property
    def share(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Structure:
    name: str
    title: str
    description: str
    beats: tuple[Beat, ...]
    aliases: tuple[str, ...] = ()
    scene_stems: tuple[str, ...] = ()  # stems for scenes that continue a beat already told
    source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.title, *self.aliases)

    def beat_for(self, start: float, end: float) -> Beat:
        """The beat that takes up most of the stretch [start, end) of the story (earliest on a tie)."""
        def overlap(b: Beat) -> float:
            return min(b.end, end) - max(b.start, start)

        return max(self.beats, key=overlap)  # max keeps the first of equal overlaps

    def beat(self, name: str) -> Beat:
        for b in self.beats:
            if _key(b.name) == _key(name):
                return b
        raise UnknownStructure(
            f"{self.name} has no beat {name!r}; its beats are: {', '.join(b.name for b in self.beats)}."
        )


@dataclass(frozen=True)
class Archetype:
    key: str  # the placeholder name: "protagonist", "love_interest"
    name: str
    description: str
    stand_in: str  # what a stem says when the bible has no such character: "an old enemy"
    aliases: tuple[str, ...] = ()  # other roles a bible may write: "hero", "villain"
    goals: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key, self.name, *self.aliases)


def builtin_structures() -> Path:
    """Fabula's own data folder (registered as the `builtin` entry point)."""
    return Path(__file__).parent / "data"


def _folders() -> list[Path]:
    """The built-in folder first, then every registered one (the built-in entry point adds nothing new)."""
    return catalog_folders(ENTRY_POINT_GROUP, builtin_structures())


def _key(name: str) -> str:
    """A name as matched: no accents, case folded, letters and digits only ("Save the Cat!": "savethecat")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return "".join(c for c in plain.casefold() if c.isalnum())


def _read_archetypes(path: Path) -> list[Archetype]:
    found = []
    for t in read_catalog_file(path, "Structure file").get("archetype", []):
        missing = [k for k in ("key", "name", "description", "stand_in") if k not in t]
        if missing:
            raise FabulaError(f"An archetype in {path} lacks {', '.join(missing)}; add them.")
        if not t["key"].isidentifier():
            raise FabulaError(f"Archetype key {t['key']!r} in {path} must be letters, digits and _ only.")
        lists = (tuple(t.get(k, ())) for k in ("aliases", "goals", "traits"))
        found.append(Archetype(t["key"], t["name"], t["description"], t["stand_in"], *lists))
    return found


@cache
def archetypes() -> dict[str, Archetype]:
    """Every archetype by key, built-in first; a name or alias may belong to one archetype only."""
    out: dict[str, Archetype] = {}
    taken: dict[str, str] = {}
    for folder in _folders():
        path = folder / "archetypes.toml"
        if not path.is_file():
            continue
        for a in _read_archetypes(path):
            for name in a.names:
                k = _key(name)
                if k in taken and taken[k] != a.key:
                    raise FabulaError(f"Archetype name {name!r} in {path} is already used by {taken[k]}.")
                taken[k] = a.key
            out[a.key] = a
    return out


def archetype_for(role: str) -> Archetype | None:
    """The archetype a bible role names ("hero" -> protagonist), or None for a role of its own."""
    wanted = _key(role)
    if not wanted:
        return None
    return next((a for a in archetypes().values() if wanted in (_key(n) for n in a.names)), None)


# -- structures ---------------------------------------------------------------------------------


def _spans(path: Path, beats: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Each beat's [start, end) from weights (`share`) or start positions (`at`)."""
    if all("share" in b for b in beats):
        weights = [float(b["share"]) for b in beats]
        if any(w <= 0 for w in weights):
            raise FabulaError(f"Every beat's share in {path} must be positive.")
        total, bounds, acc = sum(weights), [0.0], 0.0
        for w in weights:
            acc += w
            bounds.append(acc / total)
    elif all("at" in b for b in beats):
        bounds = [float(b["at"]) for b in beats] + [1.0]
        if bounds[0] != 0.0 or any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
            raise FabulaError(f"Beat positions (`at`) in {path} must start at 0 and increase below 1.")
    else:
        raise FabulaError(f"Give every beat in {path} a `share` (a weight) or every one an `at` (0..1), "
                          "not a mix.")
    return list(zip(bounds, bounds[1:], strict=False))


def _check_stem(path: Path, where: str, stem: str, roles: frozenset[str]) -> str:
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(stem) if field is not None}
    except ValueError as exc:
        raise FabulaError(
            f"The stem of {where} in {path} is malformed ({exc}); write placeholders as {{name}}."
        ) from exc
    unknown = sorted(used - roles - FIXED_PLACEHOLDERS)
    if unknown:
        known = ", ".join(sorted(roles | FIXED_PLACEHOLDERS))
        raise FabulaError(f"The stem of {where} in {path} uses unknown placeholder(s) {', '.join(unknown)}; "
                          f"known: {known}.")
    if stem != stem.rstrip():
        raise FabulaError(f"The stem of {where} in {path} ends with a space; end it on a word "
                          "(the model adds the space).")
    return stem


def _read_structure(path: Path, roles: frozenset[str]) -> Structure:
    data = read_catalog_file(path, "Structure file")
    head, beats = data.get("structure"), data.get("beat", [])
    if not isinstance(head, dict) or not beats:
        raise FabulaError(f"{path} needs a [structure] table and at least one [[beat]].")
    missing = [k for k in ("name", "title", "description") if k not in head]
    if missing:
        raise FabulaError(f"The [structure] table of {path} lacks {', '.join(missing)}.")
    made = []
    for i, (b, (start, end)) in enumerate(zip(beats, _spans(path, beats), strict=True)):
        lacks = [k for k in ("name", "description", "stem") if k not in b]
        if lacks:
            raise FabulaError(f"Beat {i + 1} of {path} lacks {', '.join(lacks)}.")
        where = f"beat {b['name']!r}"
        cast = tuple(b.get("cast", ()))
        if bad := [c for c in cast if c not in roles]:
            raise FabulaError(f"Beat {b['name']!r} in {path} casts unknown archetype(s) {', '.join(bad)}.")
        made.append(Beat(b["name"], start, end, b["description"], _check_stem(path, where, b["stem"], roles),
                         b.get("part", ""), cast,
                         tuple(_check_stem(path, where, s, roles) for s in b.get("scene_stems", ()))))
    stems = tuple(_check_stem(path, "the scene stems", s, roles) for s in head.get("scene_stems", ()))
    return Structure(head["name"], head["title"], head["description"], tuple(made),
                     tuple(head.get("aliases", ())), stems, str(path))


@cache
def all_structures() -> dict[str, Structure]:
    """Every structure by name, built-in first; a later file may not reuse a name or alias."""
    roles = frozenset(archetypes())
    found: dict[str, Structure] = {}
    taken: dict[str, str] = {}
    for folder in _folders():
        for path in sorted((folder / "structures").glob("*.toml")):
            s = _read_structure(path, roles)
            for name in s.names:
                k = _key(name)
                if k in taken and taken[k] != s.name:
                    raise FabulaError(f"Structure name {name!r} in {path} is already used by {taken[k]}.")
                taken[k] = s.name
            found[s.name] = s
    return found


def get_structure(name: str) -> Structure:
    """A structure by name, title or alias ("3-act", "save the cat", "起承转合", "hero")."""
    wanted = _key(name)
    for s in all_structures().values():
        if wanted in (_key(n) for n in s.names):
            return s
    known = "; ".join(f"{s.name} ({', '.join(s.aliases)})" if s.aliases else s.name
                      for s in all_structures().values())
    raise UnknownStructure(f"No story structure called {name!r}. Known structures: {known}.")
