"""The story plan: chapters that serve a structure's beats, and the scenes of each chapter.

Levels run premise -> chapters (title, summary, the structure beat served) -> scenes (the beat of
what happens, who, where, when) -> prose (kept outside the plan, by scene id). Each item records a
short hash of the text it was made from (`basis`), so an edit anywhere is found by comparing hashes,
not by remembering to set flags:

- a chapter's `basis` is the premise's hash: a new premise makes every chapter stale;
- a scene's `basis` is its chapter summary's hash: editing a chapter makes its scenes stale;
- a scene's `drafted_from` is the hash of the beat its prose was accepted for: editing the beat makes
  the prose stale; its `prose_basis` is the prose's hash: editing the prose makes the summary stale;
- a chapter's `scene_beats` holds, per scene id, the hash of the beat the summary last agreed with:
  rebuilding a scene's beat from edited prose changes the beat, so the chapter above is flagged.

`locked` items are kept by the planner when it regenerates the rest; `stale_items` still reports a
locked item that is out of date (with `locked=True`), since the writer may want to look at it.
Ids ("c1", "c1s2") are positional and stable: regeneration keeps them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fabula.atomic import write_text_atomic
from fabula.errors import FabulaError

if TYPE_CHECKING:
    from fabula.story.bible import Bible

__all__ = [
    "FORMAT_VERSION",
    "Chapter",
    "PlanError",
    "Scene",
    "Stale",
    "StoryPlan",
    "accept_prose",
    "chapter_id",
    "lead_summary",
    "load_plan",
    "rebuild_from_prose",
    "save_plan",
    "scene_id",
    "stale_items",
    "text_hash",
]

FORMAT_VERSION = 1


class PlanError(FabulaError):
    """A plan that cannot be read or an edit that names no item: the message says what exists."""


def text_hash(text: str) -> str:
    """A short hash of `text`, blind to whitespace changes (re-wrapping a paragraph is not an edit)."""
    normal = " ".join(text.split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:12]


def chapter_id(index: int) -> str:
    """The id of the chapter at 0-based `index`: "c1", "c2", ..."""
    return f"c{index + 1}"


def scene_id(chapter: int, index: int) -> str:
    """The id of scene `index` (0-based) of chapter `chapter` (0-based): "c1s1", ..."""
    return f"c{chapter + 1}s{index + 1}"


@dataclass
class Scene:
    id: str
    beat: str  # what happens, one or two sentences
    characters: list[str] = field(default_factory=list)
    place: str | None = None
    time: str | None = None  # a story-time label: "day 1", "that night"
    summary: str = ""  # of the accepted prose; "" until drafted
    locked: bool = False
    basis: str = ""  # hash of the chapter summary the beat was made from
    prose_basis: str = ""  # hash of the prose the summary was made from
    drafted_from: str = ""  # hash of the beat the accepted prose was written for


@dataclass
class Chapter:
    id: str
    title: str
    summary: str
    beat: str  # the name of the structure beat it serves
    scenes: list[Scene] = field(default_factory=list)
    locked: bool = False
    basis: str = ""  # hash of the premise the chapter was made from
    scene_beats: dict[str, str] = field(default_factory=dict)  # scene id -> hash of the beat agreed with

    def agree_with_scenes(self, ids: list[str] | None = None) -> None:
        """Record that the summary and the scene beats (all, or those of `ids`) belong together."""
        for s in self.scenes:
            if ids is None or s.id in ids:
                self.scene_beats[s.id] = text_hash(s.beat)


@dataclass(frozen=True)
class Stale:
    """One plan item an edit made out of date, and why."""

    id: str  # a chapter or scene id
    what: str  # "chapter", "scene", "summary" (a scene's prose summary) or "prose"
    reason: str
    locked: bool = False


@dataclass
class StoryPlan:
    structure: str  # the structure's name (see fabula.story.structures)
    chapters: list[Chapter] = field(default_factory=list)

    # -- lookups -----------------------------------------------------------------------------
    def scenes(self) -> list[Scene]:
        """Every scene in story order."""
        return [s for c in self.chapters for s in c.scenes]

    def chapter(self, id: str) -> Chapter:
        for c in self.chapters:
            if c.id == id:
                return c
        known = ", ".join(c.id for c in self.chapters) or "none"
        raise PlanError(f"No chapter {id!r} in the plan; chapters: {known}.")

    def scene(self, id: str) -> Scene:
        for s in self.scenes():
            if s.id == id:
                return s
        known = ", ".join(s.id for s in self.scenes()) or "none"
        raise PlanError(f"No scene {id!r} in the plan; scenes: {known}.")

    def chapter_of(self, scene_id: str) -> Chapter:
        for c in self.chapters:
            if any(s.id == scene_id for s in c.scenes):
                return c
        self.scene(scene_id)  # raises with the list of scenes
        raise AssertionError("unreachable")

    def item(self, id: str) -> Chapter | Scene:
        return self.chapter(id) if re.fullmatch(r"c\d+", id) else self.scene(id)

    # -- edits by the writer -----------------------------------------------------------------
    def set_chapter(
        self, id: str, summary: str | None = None, title: str | None = None, scenes_agree: bool = False
    ) -> Chapter:
        """Rewrite a chapter. A new summary makes its scenes stale (their basis no longer matches),
        unless `scenes_agree`: the summary was revised to match its scenes (after a rebuild from prose)."""
        c = self.chapter(id)
        if title is not None:
            c.title = _text(title, f"chapter {id}'s title")
        if summary is not None:
            c.summary = _text(summary, f"chapter {id}'s summary")
            c.agree_with_scenes()  # written knowing its scenes
            if scenes_agree:
                for s in c.scenes:
                    s.basis = text_hash(c.summary)
        return c

    def set_scene(
        self, id: str, beat: str | None = None, characters: list[str] | None = None,
        place: str | None = None, time: str | None = None,
    ) -> Scene:
        """Rewrite a scene. A new beat makes its prose stale; the chapter is taken to agree with it."""
        s = self.scene(id)
        chapter = self.chapter_of(id)
        if beat is not None:
            s.beat = _text(beat, f"scene {id}'s beat")
        if characters is not None:
            s.characters = [c.strip() for c in characters if c.strip()]
        if place is not None:
            s.place = place.strip() or None
        if time is not None:
            s.time = time.strip() or None
        s.basis = text_hash(chapter.summary)  # written against the chapter as it is now
        chapter.agree_with_scenes([id])
        return s

    def lock(self, id: str, scenes: bool = False) -> None:
        """Keep an item when the planner regenerates; `scenes=True` locks a chapter's scenes too."""
        self._set_lock(id, True, scenes)

    def unlock(self, id: str, scenes: bool = False) -> None:
        self._set_lock(id, False, scenes)

    def _set_lock(self, id: str, value: bool, scenes: bool) -> None:
        item = self.item(id)
        item.locked = value
        if scenes and isinstance(item, Chapter):
            for s in item.scenes:
                s.locked = value

    # -- formats -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoryPlan:
        data = dict(data)
        version = data.pop("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise PlanError(f"This plan is format version {version}; this Fabula reads version "
                            f"{FORMAT_VERSION}. Upgrade Fabula to open it.")
        _only(data, cls, "plan")
        chapters = [_chapter(c) for c in data.get("chapters", [])]
        if "structure" not in data:
            raise PlanError("A plan needs `structure` (a structure name such as \"three-act\").")
        plan = cls(str(data["structure"]), chapters)
        ids = [c.id for c in chapters] + [s.id for s in plan.scenes()]
        if len(ids) != len(set(ids)):
            twice = ", ".join(sorted({i for i in ids if ids.count(i) > 1}))
            raise PlanError(f"The plan repeats an id ({twice}); every chapter and scene needs its own.")
        return plan

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> StoryPlan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanError(f"The plan is not valid JSON ({exc}); restore it from a saved version.") from exc
        if not isinstance(data, dict):
            raise PlanError("A plan is a JSON object with `structure` and `chapters`.")
        return cls.from_dict(data)


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise PlanError(f"{what.capitalize()} cannot be empty; write a sentence, or regenerate it instead.")
    return value


def _only(data: dict[str, Any], cls: type, what: str) -> None:
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise PlanError(f"Unknown {what} field(s) {', '.join(unknown)}: use {', '.join(sorted(known))}.")


def _chapter(data: Any) -> Chapter:
    if not isinstance(data, dict):
        raise PlanError(f"A chapter must be a JSON object, not {data!r}.")
    _only(data, Chapter, "chapter")
    try:
        scenes = [_scene(s) for s in data.get("scenes", [])]
        return Chapter(**{**data, "scenes": scenes})
    except TypeError as exc:
        raise PlanError(
            f"Bad chapter {data.get('id', '?')}: {exc}; it needs id, title, summary and beat."
        ) from exc


def _scene(data: Any) -> Scene:
    if not isinstance(data, dict):
        raise PlanError(f"A scene must be a JSON object, not {data!r}.")
    _only(data, Scene, "scene")
    try:
        return Scene(**data)
    except TypeError as exc:
        raise PlanError(f"Bad scene {data.get('id', '?')}: {exc}; it needs id and beat.") from exc


def save_plan(plan: StoryPlan, path: Path) -> None:
    """Write the plan as JSON, atomically (a crash leaves the old file)."""
    write_text_atomic(path, plan.to_json())


def load_plan(path: Path) -> StoryPlan:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"No plan file {path}: make one with the planner first.") from None
    try:
        return StoryPlan.from_json(text)
    except PlanError as exc:
        raise PlanError(f"{path}: {exc}") from exc


# -- staleness ----------------------------------------------------------------------------------


def stale_items(plan: StoryPlan, bible: Bible, prose: dict[str, str] | None = None) -> list[Stale]:
    """What edits made out of date, in story order.

    The bible's premise, cast and places are checked; `prose` maps
    scene ids to their current text (scenes without an entry are not checked for prose edits).
    """
    prose = prose or {}
    premise = text_hash(bible.premise)
    names = {n.lower() for c in bible.characters for n in c.names()}
    places = {p.name.lower() for p in bible.places}
    found: list[Stale] = []
    for c in plan.chapters:
        if c.basis and c.basis != premise:
            why = "the premise changed after this chapter was planned"
            found.append(Stale(c.id, "chapter", why, c.locked))
        moved = [s.id for s in c.scenes if s.id in c.scene_beats and c.scene_beats[s.id] != text_hash(s.beat)]
        if moved:
            why = (f"the beat of {', '.join(moved)} changed after the summary was written "
                   "(rebuilt from prose); revise the summary to match")
            found.append(Stale(c.id, "chapter", why, c.locked))
        summary = text_hash(c.summary)
        for s in c.scenes:
            found.extend(_scene_stale(s, summary, names, places, prose.get(s.id)))
    return found


def _scene_stale(s: Scene, summary: str, names: set[str], places: set[str], prose: str | None) -> list[Stale]:
    out = []
    if s.basis and s.basis != summary:
        out.append(Stale(s.id, "scene", "its chapter's summary changed after this scene was planned",
                         s.locked))
    gone = [n for n in s.characters if n.lower() not in names]
    if gone:
        out.append(Stale(s.id, "scene", f"{', '.join(gone)} no longer in the bible", s.locked))
    if s.place and places and s.place.lower() not in places:
        out.append(Stale(s.id, "scene", f"place {s.place!r} is no longer in the bible", s.locked))
    if s.drafted_from and s.drafted_from != text_hash(s.beat):
        out.append(Stale(s.id, "prose", "the beat changed after the prose was drafted; redraft the scene "
                         "or rebuild the beat from the prose", s.locked))
    if prose is not None and s.prose_basis and s.prose_basis != text_hash(prose):
        out.append(Stale(s.id, "summary", "the prose was edited after it was summarised; "
                         "rebuild from the prose", s.locked))
    return out


# -- prose coming back up -----------------------------------------------------------------------

Summarizer = Callable[[str], str]

_SENTENCE = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def lead_summary(prose: str, sentences: int = 2) -> str:
    """An extractive summary: the prose's first `sentences` sentences (the lead baseline)."""
    return " ".join(_sentences(prose)[:sentences])


def accept_prose(plan: StoryPlan, scene_id: str, prose: str, summarize: Summarizer = lead_summary) -> Scene:
    """Record that `prose` is the scene's accepted text: its summary, and the hashes that tie them."""
    s = plan.scene(scene_id)
    if not prose.strip():
        raise PlanError(f"Scene {scene_id}'s prose is empty; draft it before accepting it.")
    s.summary = summarize(prose).strip()
    s.prose_basis = text_hash(prose)
    s.drafted_from = text_hash(s.beat)
    return s


def rebuild_from_prose(plan: StoryPlan, scene_id: str, prose: str, summarize: Summarizer = lead_summary,
                       beat_sentences: int = 2) -> Scene:
    """After the writer edits a scene's prose: the summary and the beat are made again from the prose.

    The beat becomes the summary's first `beat_sentences` sentences; the chapter above does not
    agree with its scenes any more, so `stale_items` flags it until the writer revises it
    (`set_chapter`) or accepts it as it is (`Chapter.agree_with_scenes`).
    """
    s = accept_prose(plan, scene_id, prose, summarize)
    beat = " ".join(_sentences(s.summary)[:beat_sentences]) or s.summary
    if not beat:
        raise PlanError(f"The summary of scene {scene_id}'s prose is empty; "
                        "give a summarizer that returns text.")
    s.beat = beat
    s.drafted_from = text_hash(beat)  # the prose and its new beat agree
    return s
