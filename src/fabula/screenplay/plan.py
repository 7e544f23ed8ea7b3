"""A screenplay's plan: the story planner's scenes, with a scene heading and a transition each.

The plan itself is the story engine's `StoryPlan` (chapters serve the structure's beats, scenes have
a beat, characters, a place and a time label), made by `fabula.story.planner.make_plan`, so locks,
staleness and regeneration work exactly as for stories. What a screenplay adds is read from it:

- the heading `INT. KITCHEN - NIGHT`: INT or EXT from the scene's place (`place_setting`: the
  catalogue's locations by name, else its exterior words), the location upper-cased without its
  article, NIGHT when the time label has a night word (`data/headings.toml`), else DAY;
- the time label itself: the planner numbers days ("day 2"); a plain model then chooses, by a
  constrained completion after the beat, whether the scene happens by day or by night;
- the transition after a scene: one of the catalogue's `between = "acts"` transitions (chosen by
  the seed) before a chapter that opens an act (at a quarter and three quarters of the plan), the
  `"end"` one after the last scene, the `"scenes"` one everywhere else.
"""

from __future__ import annotations

import math
import random
import re

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.screenplay.bible import place_setting
from fabula.screenplay.catalog import Catalogue, catalogue
from fabula.screenplay.model import SceneHeading, Transition
from fabula.story.bible import Bible, Place
from fabula.story.dialogue import CueConstraint
from fabula.story.plan import Scene, StoryPlan

__all__ = ["MAX_SCENES", "act_breaks", "day_or_night", "heading_for", "make_screenplay_plan", "plan_shape",
           "transition_after"]

MAX_SCENES = 60


def plan_shape(scenes: int, beats: int) -> tuple[int, int]:
    """(chapters, scenes a chapter) for about `scenes` scenes over a structure of `beats` beats:
    one chapter per beat while there are scenes enough, never fewer scenes than asked."""
    if not 1 <= scenes <= MAX_SCENES:
        raise FabulaError(f"Ask for 1 to {MAX_SCENES} scenes (got {scenes}).")
    chapters = min(scenes, beats)
    return chapters, math.ceil(scenes / chapters)


def make_screenplay_plan(
    backend: Backend, bible: Bible, structure: str = "three-act", scenes: int = 6, seed: int = 0,
    keep: StoryPlan | None = None, chat: bool | None = None,
) -> StoryPlan:
    """The story planner's plan for about `scenes` scenes; unlocked scenes get a day/night time."""
    from fabula.story.planner import make_plan
    from fabula.story.structures import get_structure

    chapters, per = plan_shape(scenes, len(get_structure(structure).beats))
    plan = make_plan(backend, bible, structure=structure, chapters=chapters, scenes_per_chapter=per,
                     seed=seed, keep=keep, chat=chat)
    chat = backend.kind == "openai" if chat is None else chat
    locked = {s.id for s in (keep.scenes() if keep else []) if s.locked}
    for k, scene in enumerate(plan.scenes()):
        if scene.id in locked:
            continue
        if not chat:  # a chat model wrote its own time
            scene.time = _time_label(backend, scene, k, seed)
        _second_speaker(scene, bible, k)
    return plan


def _second_speaker(scene: Scene, bible: Bible, k: int) -> None:
    """A scene needs two speakers for dialogue; a small model's beat often names one. The one added
    goes round the rest of the cast scene by scene, so the plan says who is in it."""
    known = {n.casefold() for c in bible.characters for n in c.names()}
    present = [n for n in scene.characters if n.casefold() in known]
    others = [n for n in bible.cast() if n not in present]
    if len(present) < 2 and others:
        scene.characters = [*scene.characters, others[k % len(others)]]


def _time_label(backend: Backend, scene: Scene, k: int, seed: int) -> str:
    day = re.search(r"\d+", scene.time or "")
    number = day.group() if day else str(k + 1)
    if not (backend.supports_constraints and backend.tokenizer is not None):
        when = random.Random(seed * 7919 + k).choice(("day", "night"))
    else:
        opts = GenerationOptions(max_tokens=4, temperature=0.8, seed=seed * 7919 + k)
        [done] = backend.generate(f"{scene.beat} It is", opts, CueConstraint([" day", " night"]))
        when = done.text.strip() or "day"
    return f"day {number}" if when == "day" else f"night {number}"


def day_or_night(time: str | None, cat: Catalogue | None = None) -> str:
    """NIGHT when the time label has one of the catalogue's night words, else DAY."""
    cat = cat or catalogue()
    words = set(re.findall(r"[a-z]+", (time or "").casefold()))
    return "NIGHT" if words & cat.night else "DAY"


def heading_for(scene: Scene, bible: Bible, cat: Catalogue | None = None) -> SceneHeading:
    """`INT. KITCHEN - NIGHT` for a planned scene."""
    cat = cat or catalogue()
    name = scene.place or bible.setting or "somewhere"
    place = next((p for p in bible.places if p.name.casefold() == name.casefold()), Place(name))
    location = re.sub(r"^(the|a|an)\s+", "", " ".join(place.name.split()), flags=re.IGNORECASE)
    location = re.sub(r"[^\w' -]", "", location).strip(" -").upper() or "SOMEWHERE"
    return SceneHeading(f"{place_setting(place, cat)}. {location} - {day_or_night(scene.time, cat)}")


def act_breaks(plan: StoryPlan) -> set[str]:
    """Ids of the chapters that open an act: where the beat sheet's `part` changes ("Act I" to
    "Act II"). A plan whose structure or beats are unknown falls back on the chapters at a quarter
    and at three quarters (the classic 1:2:1 proportions)."""
    parts = _parts(plan)
    if parts is not None:
        return {c.id for prev, c in zip(plan.chapters, plan.chapters[1:]) if parts[c.id] != parts[prev.id]}
    n = len(plan.chapters)
    return {plan.chapters[i].id for i in {round(n / 4), round(3 * n / 4)} if 0 < i < n}


def _parts(plan: StoryPlan) -> dict[str, str] | None:
    """Each chapter's act by its beat, or None if any is unknown."""
    from fabula.story.structures import get_structure

    try:
        beats = {b.name.casefold(): b.part for b in get_structure(plan.structure).beats}
    except FabulaError:
        return None
    parts = {c.id: beats.get(c.beat.strip().casefold(), "") for c in plan.chapters}
    return parts if all(parts.values()) else None


def transition_after(plan: StoryPlan, scene_id: str, seed: int = 0, cat: Catalogue | None = None) -> Transition:
    """The transition printed after a scene: `end` after the last, `acts` before a chapter that
    opens an act, `scenes` everywhere else."""
    cat = cat or catalogue()
    ids = [s.id for s in plan.scenes()]
    i = ids.index(plan.scene(scene_id).id)
    if i == len(ids) - 1:
        between = "end"
    else:
        following = plan.chapter_of(ids[i + 1])
        between = "acts" if following.id in act_breaks(plan) and following.scenes[0].id == ids[i + 1] else "scenes"
    options = cat.transitions_between(between)
    return Transition(random.Random(seed * 31 + i).choice(options) if between == "acts" else options[0])
