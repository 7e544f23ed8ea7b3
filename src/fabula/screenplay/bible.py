"""A logline becomes a screenplay's bible: a title, characters with voice notes, and locations.

Plain language models (house:, hf:) are not asked questions; each item is a short completion
after the logline:

- names the logline itself gives ("a keeper named Mara") are used first; then the model completes
  "The main character is called" freely, and its first word counts only if it looks like a name
  (capitalised letters, not a title such as "Sir", not already taken); otherwise a constrained
  completion picks the catalogue name it finds most likely (`fabula/screenplay/data/names.toml`);
- each character's voice and each location is a constrained pick among the catalogue's entries,
  so a small model chooses but cannot write something unusable;
- the title is a free completion kept only when it is a few real words.

Instruction-following chat models (`openai:`) are asked once for JSON; an answer that cannot be used
falls back to the catalogue, so a bible always comes back. The same seed gives the same bible.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.screenplay.catalog import Catalogue, catalogue
from fabula.story.bible import Bible, Character, Place
from fabula.story.dialogue import CueConstraint
from fabula.story.planner import extract_json

__all__ = ["ROLES", "bible_from_logline", "logline_names", "mentioned_places", "parse_bible_answer", "place_setting"]

ROLES = ("protagonist", "antagonist", "ally", "mentor", "trickster", "herald")
MAX_CHARACTERS, MAX_PLACES = len(ROLES), 8
# A place's description says INT or EXT in words the heading rules read (data/headings.toml).
INSIDE, OUTSIDE = "inside", "outside"
_PLACE_WORDS = re.compile(r"\b(?:in|at|to|from|of|on|into|near|across|through)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class _Ask:
    backend: Backend
    logline: str
    seed: int

    def seed_for(self, key: str) -> int:
        """A seed per item, so one item's sample does not depend on how many came before it."""
        return (self.seed * 1_000_003 + zlib.crc32(key.encode("utf-8"))) % 2**31

    @property
    def constrainable(self) -> bool:
        return self.backend.supports_constraints and self.backend.tokenizer is not None


def bible_from_logline(
    backend: Backend, logline: str, characters: int = 3, places: int = 3, seed: int = 0,
    chat: bool | None = None, title: str | None = None,
) -> Bible:
    """A bible for `logline` with `characters` characters (voices included) and `places` locations."""
    logline = " ".join(logline.split())
    if len(logline.split()) < 3:
        raise FabulaError("Give a logline of at least a few words: who wants what, and what stands in the way.")
    if not 1 <= characters <= MAX_CHARACTERS:
        raise FabulaError(f"Ask for 1 to {MAX_CHARACTERS} characters (got {characters}).")
    if not 1 <= places <= MAX_PLACES:
        raise FabulaError(f"Ask for 1 to {MAX_PLACES} locations (got {places}).")
    ask = _Ask(backend, logline, seed)
    chat = backend.kind == "openai" if chat is None else chat
    found = _from_chat(ask, characters, places) if chat else None
    if found is not None:
        return found if title is None else Bible.from_dict({**found.to_dict(), "title": title})
    cat = catalogue()
    names = _names(ask, cat, characters)
    voices: list[str] = []
    for name in names:
        voices.append(_voice(ask, cat, name, voices))
    cast = [Character(name, ROLES[k], voice=voices[k]) for k, name in enumerate(names)]
    locations = _places(ask, cat, places)
    return Bible(title or _title(ask, names, locations), logline, characters=cast, places=locations)


def place_setting(place: Place, cat: Catalogue | None = None) -> str:
    """INT or EXT for a bible place: a description of just "inside" or "outside" says so; else the
    catalogue's own locations by name, else the exterior words in its name or description
    (everything else is an interior)."""
    cat = cat or catalogue()
    said = place.description.strip().casefold()
    if said in (INSIDE, OUTSIDE):  # written by this module: the setting was chosen already
        return "EXT" if said == OUTSIDE else "INT"
    for loc in cat.locations:
        if loc.name.casefold() == place.name.casefold():
            return loc.setting
    words = set(re.findall(r"[a-z]+", f"{place.name} {place.description}".casefold()))
    return "EXT" if words & cat.exterior else "INT"


# -- names ------------------------------------------------------------------------------------


def logline_names(logline: str, cat: Catalogue | None = None) -> list[str]:
    """Capitalised words inside the logline that read as people's names: not its first word, not a
    title or form of address, not a place ("in Paris")."""
    cat = cat or catalogue()
    out = []
    for m in re.finditer(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b", logline):
        before = logline[: m.start()]
        sentence_start = not before.strip() or before.rstrip()[-1] in ".!?:;\"'"
        if sentence_start or _PLACE_WORDS.search(before) or m.group().casefold() in cat.not_names:
            continue
        out.append(m.group())
    return list(dict.fromkeys(out))


def _usable_name(word: str, taken: list[str], cat: Catalogue) -> bool:
    return (word.isalpha() and len(word) >= 3 and word[0].isupper() and word[1:].islower()
            and word.casefold() not in cat.not_names and word not in taken)


def _names(ask: _Ask, cat: Catalogue, n: int) -> list[str]:
    names = logline_names(ask.logline, cat)[:n]
    while len(names) < n:
        k = len(names)
        stem = f"{ask.logline}\n\n" + _cast_so_far(names) + ("The main character is called" if k == 0
                                                               else "Another character is called")
        free = _complete(ask, stem, f"name {k}", max_tokens=4)
        word = (free.split() or [""])[0].strip(".,;:!?\"'")
        if _usable_name(word, names, cat):
            names.append(word)
            continue
        choices = [x for x in cat.names if x not in names]
        names.append(_pick(ask, stem, choices, f"name pick {k}"))
    return names


def _cast_so_far(names: list[str]) -> str:
    return f"The characters are {', '.join(names)}. " if names else ""


def _voice(ask: _Ask, cat: Catalogue, name: str, taken: list[str]) -> str:
    """How `name` talks: a voice nobody else in the cast has, while the catalogue has one."""
    stem = f"{ask.logline}\n\n{name} speaks"
    choices = [v for v in cat.voices if v not in taken] or list(cat.voices)
    return _pick(ask, stem, choices, f"voice {name}")


def mentioned_places(logline: str, cat: Catalogue | None = None) -> list[str]:
    """Catalogue locations the logline names ("a lighthouse keeper" → the lighthouse), in its order."""
    cat = cat or catalogue()
    words = [w.removesuffix("s") for w in re.findall(r"[a-z]+", logline.casefold())]
    found: list[tuple[int, str]] = []
    taken: set[int] = set()  # word positions a longer name matched: "the police station", not also "the station"
    for loc in sorted(cat.locations, key=lambda loc: -len(loc.name.split())):
        head = [h.removesuffix("s") for h in loc.name.casefold().removeprefix("the ").split()]
        for i in range(len(words) - len(head) + 1):
            span = set(range(i, i + len(head)))
            if words[i:i + len(head)] == head and not span & taken:
                found.append((i, loc.name))
                taken |= span
                break
    return [name for _, name in sorted(found)]


def _places(ask: _Ask, cat: Catalogue, n: int) -> list[Place]:
    chosen: list[str] = mentioned_places(ask.logline, cat)[:n]  # the model picks the rest
    for k in range(len(chosen), min(n, len(cat.locations))):
        stem = f"{ask.logline}\n\nA scene takes place in"
        choices = [loc.name for loc in cat.locations if loc.name not in chosen]
        chosen.append(_pick(ask, stem, choices, f"place {k}"))
    settings = {loc.name: loc.setting for loc in cat.locations}
    return [Place(name, OUTSIDE if settings[name] == "EXT" else INSIDE) for name in chosen]


# -- the title --------------------------------------------------------------------------------


def _title(ask: _Ask, names: list[str], places: list[Place]) -> str:
    free = _complete(ask, f"{ask.logline}\n\nThe film is called \"", "title", max_tokens=8, stop=('"', "\n"))
    words = [w.strip(".,;:!?\"'") for w in free.split()[:5]]
    if words and all(w.isalpha() for w in words) and any(len(w) >= 4 for w in words):
        return " ".join(w if w.casefold() in _SMALL and i else w.capitalize() for i, w in enumerate(words))
    place = places[0].name.removeprefix("the ").strip() if places else "night"
    return f"{names[0]} and the {place.capitalize()}" if names else f"The {place.capitalize()}"


_SMALL = {"a", "an", "the", "of", "and", "in", "on", "at", "to", "for", "or"}


# -- model calls ------------------------------------------------------------------------------


def _complete(ask: _Ask, prompt: str, key: str, max_tokens: int, stop: tuple[str, ...] = ("\n",)) -> str:
    opts = GenerationOptions(max_tokens=max_tokens, temperature=0.8, top_p=0.95, stop=stop,
                             seed=ask.seed_for(key))
    [done] = ask.backend.generate(prompt, opts)
    return "".join(ch for ch in done.text if ch.isprintable())


def _pick(ask: _Ask, prompt: str, choices: list[str], key: str) -> str:
    """The choice the model continues `prompt` with (a constrained completion); a backend that
    cannot be constrained gets a seeded draw instead."""
    if not choices:
        raise FabulaError("The screenplay catalogue ran out of entries to choose from; add more.")
    if not ask.constrainable:
        return random.Random(ask.seed_for(key)).choice(choices)
    cues = [f" {c}" for c in choices]
    longest = max(len(ask.backend.tokenizer.encode(c)) for c in cues)
    opts = GenerationOptions(max_tokens=longest, temperature=0.8, seed=ask.seed_for(key))
    [done] = ask.backend.generate(prompt, opts, CueConstraint(cues))
    picked = done.text.strip()
    return next((c for c in choices if c == picked), choices[0])


# -- chat models: one JSON request ------------------------------------------------------------


class _CharacterAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    name: str = Field(min_length=1)
    role: str = ""
    voice: str = ""


class _PlaceAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    name: str = Field(min_length=1)
    setting: str = "INT"


class _BibleAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    title: str = Field(min_length=1)
    characters: list[_CharacterAnswer]
    places: list[_PlaceAnswer]


def _from_chat(ask: _Ask, characters: int, places: int, tries: int = 2) -> Bible | None:
    """The bible a chat model writes as JSON, or None when its answers cannot be used."""
    request = (
        f"Logline: {ask.logline}\n\nPlan a short film. Answer with JSON only: "
        '{"title": "...", "characters": [{"name": "one name", "role": "protagonist", '
        '"voice": "how they talk"}], "places": [{"name": "the kitchen", "setting": "INT or EXT"}]} '
        f"with exactly {characters} characters and {places} places."
    )
    for attempt in range(tries):
        opts = GenerationOptions(max_tokens=60 * characters + 30 * places + 40, temperature=0.7,
                                 seed=ask.seed_for("chat") + attempt)
        [done] = ask.backend.generate(request, opts)
        try:
            return parse_bible_answer(done.text, ask.logline, characters, places)
        except (ValueError, FabulaError):
            continue
    return None


def parse_bible_answer(text: str, logline: str, characters: int, places: int) -> Bible:
    """The bible in a chat model's JSON answer (fences and chatter around it dropped), at most
    `characters` characters and `places` places; a ValueError says what is unusable."""
    try:
        a = _BibleAnswer.model_validate(extract_json(text))
    except ValidationError as exc:
        raise ValueError(f"the JSON does not have the asked-for shape: {exc.errors()[0]['msg']}") from None
    cast = [Character(" ".join(c.name.split()), c.role.strip(), voice=c.voice.strip())
            for c in a.characters[:characters]]
    if len(cast) < 1 or not all(re.search(r"[A-Za-z]", c.name) for c in cast):
        raise ValueError("no usable character names")
    spots = [Place(" ".join(p.name.split()), OUTSIDE if p.setting.strip().upper().startswith("EXT") else INSIDE)
             for p in a.places[:places]]
    return Bible(a.title.strip(), logline, characters=cast, places=spots)
