"""The screenplay catalogue: names, voices, locations, heading words and transitions, as data.

Every entry lives in TOML files (schema in `fabula/screenplay/data/*.toml`) in folders named by
entry points in the `fabula.screenplay` group; Fabula's own folder (`fabula/screenplay/data/`) is
read first, whether or not its `builtin` entry point is installed, so a plugin package adds
entries with one entry point and a folder of TOML files:

    [project.entry-points."fabula.screenplay"]
    my_screenplay = "my_package:screenplay_folder"   # a function returning a Path (or a Path)

Folders add to each other: lists are joined (first occurrence kept), a location or transition
named twice is refused with both files named.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fabula.errors import FabulaError
from fabula.plugins import catalog_folders, read_catalog_file

__all__ = ["Catalogue", "Location", "TransitionEntry", "builtin_catalogue", "catalogue", "read_catalogue"]

ENTRY_POINT_GROUP = "fabula.screenplay"
SETTINGS = ("INT", "EXT")
BETWEEN = ("scenes", "acts", "end")
_TOP = {"names", "not_names", "voices", "location", "words", "transition"}
_WORDS = {"exterior", "night"}


@dataclass(frozen=True)
class Location:
    name: str  # as a bible writes it: "the kitchen"
    setting: str  # INT or EXT
    source: str = ""


@dataclass(frozen=True)
class TransitionEntry:
    text: str  # as printed: "CUT TO:"
    between: str  # "scenes", "acts" or "end"
    source: str = ""


@dataclass(frozen=True)
class Catalogue:
    names: tuple[str, ...]
    not_names: frozenset[str]  # lower case
    voices: tuple[str, ...]
    locations: tuple[Location, ...]
    exterior: frozenset[str]  # lower case
    night: frozenset[str]  # lower case
    transitions: tuple[TransitionEntry, ...]

    def transitions_between(self, between: str) -> tuple[str, ...]:
        return tuple(t.text for t in self.transitions if t.between == between)


def builtin_catalogue() -> Path:
    """Fabula's own data folder (registered as the `builtin` entry point)."""
    return Path(__file__).parent / "data"


def _load(path: Path) -> dict[str, Any]:
    data = read_catalog_file(path, "Screenplay catalogue")
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise FabulaError(f"{path}: unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(_TOP))}.")
    words = data.get("words", {})
    if bad := sorted(set(words) - _WORDS):
        raise FabulaError(f"{path}: unknown [words] list(s) {', '.join(bad)}; use {', '.join(sorted(_WORDS))}.")
    return data


def _strings(path: Path, what: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FabulaError(f"{path}: `{what}` must be a list of non-empty strings.")
    return [v.strip() for v in value]


def _names(path: Path, value: Any) -> list[str]:
    names = _strings(path, "names", value)
    if bad := [n for n in names if not n.isalpha() or not n[0].isupper()]:
        raise FabulaError(f"{path}: names are one capitalised word each; fix {', '.join(bad[:3])}.")
    return names


def _locations(path: Path, tables: Any) -> list[Location]:
    out = []
    for t in tables:
        if not str(t.get("name", "")).strip() or t.get("setting") not in SETTINGS:
            raise FabulaError(f"{path}: every [[location]] needs a `name` and `setting` = \"INT\" or \"EXT\" "
                              f"(got {t!r}).")
        out.append(Location(t["name"].strip(), t["setting"], str(path)))
    return out


def _transitions(path: Path, tables: Any) -> list[TransitionEntry]:
    out = []
    for t in tables:
        text = str(t.get("text", "")).strip()
        if not text or "\n" in text or t.get("between") not in BETWEEN:
            raise FabulaError(f"{path}: every [[transition]] needs one line of `text` and `between` = "
                              f"{', '.join(repr(b) for b in BETWEEN)} (got {t!r}).")
        out.append(TransitionEntry(text, t["between"], str(path)))
    return out


def _once(items: list[Any], key: str, what: str) -> None:
    seen: dict[str, str] = {}
    for item in items:
        k = getattr(item, key).casefold()
        if k in seen:
            raise FabulaError(f"The {what} {getattr(item, key)!r} in {item.source} is already defined in {seen[k]}.")
        seen[k] = item.source


def read_catalogue(folders: list[Path]) -> Catalogue:
    """The catalogue the TOML files of `folders` add up to, in folder order."""
    names: list[str] = []
    not_names: set[str] = set()
    voices: list[str] = []
    locations: list[Location] = []
    exterior: set[str] = set()
    night: set[str] = set()
    transitions: list[TransitionEntry] = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*.toml")):
            data = _load(path)
            names += _names(path, data.get("names", []))
            not_names |= {w.casefold() for w in _strings(path, "not_names", data.get("not_names", []))}
            voices += _strings(path, "voices", data.get("voices", []))
            locations += _locations(path, data.get("location", []))
            words = data.get("words", {})
            exterior |= {w.casefold() for w in _strings(path, "words.exterior", words.get("exterior", []))}
            night |= {w.casefold() for w in _strings(path, "words.night", words.get("night", []))}
            transitions += _transitions(path, data.get("transition", []))
    _once(locations, "name", "location")
    _once(transitions, "text", "transition")
    return Catalogue(tuple(dict.fromkeys(names)), frozenset(not_names), tuple(dict.fromkeys(voices)),
                     tuple(locations), frozenset(exterior), frozenset(night), tuple(transitions))


@cache
def catalogue() -> Catalogue:
    """The built-in catalogue and every registered plugin folder, read once."""
    found = read_catalogue(catalog_folders(ENTRY_POINT_GROUP, builtin_catalogue()))
    for between in BETWEEN:
        if not found.transitions_between(between):
            raise FabulaError(f"The screenplay catalogue has no transition between {between}: add a "
                              f"[[transition]] with between = {between!r}.")
    if len(found.names) < 4 or not found.locations or not found.voices:
        raise FabulaError("The screenplay catalogue needs at least four names, one voice and one location.")
    return found
