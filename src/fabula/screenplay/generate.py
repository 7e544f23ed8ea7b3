"""A logline becomes a screenplay, level by level, on any backend.

    from fabula.backends import resolve
    from fabula.screenplay.generate import generate
    sp = generate(resolve("house:en"), "A lighthouse keeper named Mara finds a letter from her drowned brother.")

1. the bible (`fabula.screenplay.bible`): title, characters with voice notes, locations;
2. the plan (`fabula.screenplay.plan`): the story planner's chapters and scenes over a structure
   (three-act by default), each scene with a place, a day or night, and so a heading;
3. each scene (`fabula.screenplay.scene`): heading, action, dialogue among its characters, written
   in story order, each brief carrying the previous scene's summary;
4. the `Screenplay`: a title page (Title, Credit, Author, Draft date) and the scenes, each followed
   by its transition.

`fabula.screenplay.project.ScreenplayProject` does the same in the store, level by level, with
locks and edits; this module is the one-shot path and the pieces both share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from fabula.backends.base import Backend
from fabula.screenplay.catalog import catalogue
from fabula.screenplay.fountain import parse
from fabula.screenplay.model import Element, SceneHeading, Screenplay, TitlePage
from fabula.screenplay.plan import heading_for, make_screenplay_plan, transition_after
from fabula.screenplay.scene import SceneText, readable, write_scene
from fabula.story.bible import Bible
from fabula.story.draft import SceneBrief
from fabula.story.plan import StoryPlan, accept_prose

__all__ = ["GeneratedScreenplay", "assemble", "draft_screenplay", "generate", "plain_brief", "title_page"]

Progress = Callable[[str], None]
DEFAULT_AUTHOR = "Fabula"


@dataclass
class GeneratedScreenplay:
    bible: Bible
    plan: StoryPlan
    scenes: dict[str, SceneText]  # by scene id, in story order
    screenplay: Screenplay


def title_page(bible: Bible, author: str = DEFAULT_AUTHOR, draft_date: str | None = None) -> TitlePage:
    return TitlePage.of(Title=bible.title, Credit="Written by", Author=author or DEFAULT_AUTHOR,
                        Draft_date=draft_date or date.today().isoformat())


def plain_brief(bible: Bible, plan: StoryPlan, scene_id: str) -> SceneBrief:
    """A scene's brief without the store's canon: its beat, cast, place and time, the previous
    scene's summary, and the bible sentences of who is present."""
    scenes = plan.scenes()
    i = [s.id for s in scenes].index(plan.scene(scene_id).id)
    s = scenes[i]
    known = {c.name for c in bible.characters}
    present = [bible.character(n).sentence() for n in s.characters if n in known]
    return SceneBrief(s.beat, s.characters, s.place, s.time, scenes[i - 1].summary if i else None, present)


def assemble(
    bible: Bible, plan: StoryPlan, scenes: Mapping[str, str | list[Element]], author: str = DEFAULT_AUTHOR,
    draft_date: str | None = None, seed: int = 0,
) -> Screenplay:
    """The screenplay of the plan's scenes that have text (Fountain or elements), each followed by
    its transition; a scene's text without a heading gets the plan's."""
    cat = catalogue()
    elements: list[Element] = []
    written = [s for s in plan.scenes() if scenes.get(s.id)]
    for s in written:
        body = scenes[s.id]
        parts = list(parse(body).elements) if isinstance(body, str) else list(body)
        if not parts or not isinstance(parts[0], SceneHeading):
            parts.insert(0, heading_for(s, bible, cat))
        elements += parts
        elements.append(transition_after(plan, s.id, seed, cat))
    return Screenplay(title_page(bible, author, draft_date), tuple(elements))


def draft_screenplay(
    backend: Backend, logline: str, scenes: int = 6, structure: str = "three-act", seed: int = 0,
    author: str = DEFAULT_AUTHOR, draft_date: str | None = None, chat: bool | None = None,
    characters: int = 3, places: int = 3, words: int = 40, turns: int = 4, title: str | None = None,
    progress: Progress | None = None,
) -> GeneratedScreenplay:
    """Every level from the logline: bible, plan, scenes, screenplay."""
    from fabula.screenplay.bible import bible_from_logline

    say = progress or (lambda _: None)
    say("bible")
    bible = bible_from_logline(backend, logline, characters=characters, places=places, seed=seed,
                               chat=chat, title=title)
    say("plan")
    plan = make_screenplay_plan(backend, bible, structure, scenes, seed, chat=chat)
    written: dict[str, SceneText] = {}
    for k, s in enumerate(plan.scenes()):
        say(f"scene {s.id}")
        text = write_scene(backend, bible, s, heading_for(s, bible), plain_brief(bible, plan, s.id),
                           seed=seed + k, words=words, turns=turns, chat=chat)
        accept_prose(plan, s.id, readable(text.elements))  # the next brief carries its summary
        written[s.id] = text
    sp = assemble(bible, plan, {sid: t.elements for sid, t in written.items()}, author, draft_date, seed)
    return GeneratedScreenplay(bible, plan, written, sp)


def generate(backend: Backend, logline: str, scenes: int = 6, structure: str = "three-act", seed: int = 0,
             **kwargs: object) -> Screenplay:
    """A screenplay for `logline`: `draft_screenplay(...).screenplay`."""
    return draft_screenplay(backend, logline, scenes, structure, seed, **kwargs).screenplay  # type: ignore[arg-type]
