"""The story bible: what a story is about and who is in it.

A `Bible` is plain data: premise, genre, tone, point of view, setting, characters (name, role,
traits, goals, relationships, voice), places, world rules and themes. It round-trips through a
JSON-able dict (what the store keeps, versioned) and TOML (what a writer edits by hand), and renders
itself as short sentences a prompt can carry (`memory_lines`), most important first.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fabula.errors import FabulaError

__all__ = ["Bible", "BibleError", "Character", "Place", "load_bible"]


class BibleError(FabulaError):
    """A bible that cannot be read: the message names the field and what it should be."""


@dataclass
class Character:
    name: str
    role: str = ""  # protagonist, antagonist, mentor, ... (see data/archetypes.toml)
    traits: list[str] = field(default_factory=list)  # "red-haired", "stubborn"
    goals: list[str] = field(default_factory=list)
    relationships: dict[str, str] = field(default_factory=dict)  # other name -> "sister", "rival"
    voice: str = ""  # how they talk: "clipped, formal, never swears"
    aliases: list[str] = field(default_factory=list)  # other names the text may use

    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    def sentence(self) -> str:
        """One line a prompt can carry: 'Mara (protagonist): red-haired, stubborn; wants to ...'."""
        head = f"{self.name} ({self.role})" if self.role else self.name
        parts = [", ".join(self.traits)] if self.traits else []
        if self.goals:
            parts.append("goals: " + "; ".join(self.goals))
        if self.relationships:
            parts.append(", ".join(f"{rel} of {other}" for other, rel in self.relationships.items()))
        return head + (": " + "; ".join(parts) if parts else "") + "."


@dataclass
class Place:
    name: str
    description: str = ""

    def sentence(self) -> str:
        return f"{self.name}: {self.description}." if self.description else f"{self.name}."


@dataclass
class Bible:
    title: str
    premise: str
    genre: str = ""
    tone: str = ""
    pov: str = "third person, past tense"
    setting: str = ""
    characters: list[Character] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # world rules: "magic costs memories"
    themes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise BibleError("A story bible needs a title: give one with --title or `title = \"...\"`.")
        if not self.premise.strip():
            raise BibleError("A story bible needs a premise: one or two sentences of what the story is about.")
        seen: set[str] = set()
        for c in self.characters:
            for name in c.names():
                if name.lower() in seen:
                    raise BibleError(f"Two characters are called {name!r}: rename one or drop the duplicate.")
                seen.add(name.lower())

    # -- lookups -----------------------------------------------------------------------------
    def cast(self) -> list[str]:
        """Every character's main name, in bible order."""
        return [c.name for c in self.characters]

    def character(self, name: str) -> Character:
        for c in self.characters:
            if name.lower() in (n.lower() for n in c.names()):
                return c
        known = ", ".join(self.cast()) or "none yet"
        raise BibleError(f"No character {name!r} in the bible (characters: {known}); add them first.")

    def memory_lines(self) -> list[str]:
        """The bible as short sentences, most important first (a prompt keeps a prefix of them)."""
        lines = [f"{self.title}: {self.premise}"]
        if self.genre or self.tone:
            lines.append(" ".join(x for x in (self.genre and f"A {self.genre} story", self.tone and f"told in a {self.tone} tone") if x) + ".")
        lines += [c.sentence() for c in self.characters]
        if self.setting:
            lines.append(f"Setting: {self.setting}.")
        lines += [p.sentence() for p in self.places]
        lines += [f"Rule: {r}." for r in self.rules]
        if self.themes:
            lines.append("Themes: " + ", ".join(self.themes) + ".")
        return lines

    # -- formats -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bible:
        data = dict(data)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise BibleError(f"Unknown bible field(s) {', '.join(unknown)}: use {', '.join(sorted(known))}.")
        try:
            data["characters"] = [_character(c) for c in data.get("characters", [])]
            data["places"] = [p if isinstance(p, Place) else Place(**p) for p in data.get("places", [])]
            return cls(**data)
        except TypeError as e:
            raise BibleError(f"Bad bible entry: {e}.") from e

    def to_toml(self) -> str:
        out = [f"{k} = {_toml(v)}" for k, v in self.to_dict().items() if not isinstance(v, list) or k in ("rules", "themes")]
        for c in self.characters:
            out += ["", "[[characters]]"] + [f"{k} = {_toml(v)}" for k, v in asdict(c).items() if k != "relationships"]
            if c.relationships:
                out += ["[characters.relationships]"] + [f"{_toml(k)} = {_toml(v)}" for k, v in c.relationships.items()]
        for p in self.places:
            out += ["", "[[places]]"] + [f"{k} = {_toml(v)}" for k, v in asdict(p).items()]
        return "\n".join(out) + "\n"


def _character(c: Character | dict[str, Any]) -> Character:
    if isinstance(c, Character):
        return c
    if "name" not in c:
        raise BibleError(f"A character without a name: {c!r}; every character needs `name = \"...\"`.")
    return Character(**c)


def _toml(value: Any) -> str:
    import json

    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def load_bible(path: Path) -> Bible:
    """A bible from a TOML file, with errors that name the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BibleError(f"No bible file {path}: write one (see docs/story.md) or pass --premise.") from None
    except tomllib.TOMLDecodeError as e:
        raise BibleError(f"{path} is not valid TOML: {e}.") from e
    try:
        return Bible.from_dict(data)
    except BibleError as e:
        raise BibleError(f"{path}: {e}") from e
