"""A screenplay in the project store: a `Story` whose scenes are kept as Fountain.

Everything a story has, a screenplay has, through `fabula.story.project.Story`: the bible and the
plan as versioned states (so locks, edits and staleness work the same), one store document per
scene ("scene c1s2", kind "scene") whose versions hold the scene's Fountain text with provenance,
canon facts read from the scene's action and dialogue, the continuity check, and endings. What a
screenplay adds is its settings, a versioned JSON document "screenplay" (kind "screenplay": the
author and draft date of its title page, the seed of its transitions, the logline), which is also
what marks the project as a screenplay (the store's states are only "bible" and "plan"); and
alternatives: other drafts of one scene, kept as documents "alternative c1s2 K" until the writer
chooses one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fabula.backends.base import Backend
from fabula.errors import FabulaError
from fabula.screenplay.fountain import parse, parse_checked
from fabula.screenplay.generate import DEFAULT_AUTHOR, assemble
from fabula.screenplay.model import SceneHeading, Screenplay
from fabula.screenplay.plan import heading_for, make_screenplay_plan
from fabula.screenplay.scene import SceneText, fit_line, readable, write_scene
from fabula.store import Store
from fabula.store.errors import NotFound
from fabula.store.records import Passage
from fabula.story.bible import Bible
from fabula.story.continuity import Contradiction
from fabula.story.plan import Scene, StoryPlan, accept_prose, rebuild_from_prose
from fabula.story.project import SCENE_KIND, Story, StoryError, scene_title

__all__ = ["ScreenplayProject", "Settings"]

STATE = "screenplay"
ENDING_KIND, ALTERNATIVE_KIND = "ending", "alternative"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    author: str = DEFAULT_AUTHOR
    draft_date: str | None = None  # None: the day the screenplay is exported
    seed: int = 0  # chooses among the catalogue's act transitions
    logline: str = ""


def alternative_title(scene_id: str, k: int) -> str:
    return f"alternative {scene_id} {k}"


class ScreenplayProject:
    """One screenplay: a store project with a bible, a plan and a Fountain document per scene."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.store = story.store

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, store: Store, name: str, bible: Bible, settings: Settings | None = None) -> ScreenplayProject:
        story = Story.create(store, name, bible)
        made = cls(story)
        made.save_settings(settings or Settings())
        return made

    @classmethod
    def open(cls, store: Store, name: str) -> ScreenplayProject:
        try:
            story = Story.open(store, name)
        except StoryError:
            raise StoryError(f"No screenplay named {name!r}; start one with "
                             f"`fabula screenplay new \"LOGLINE\" --name {name}`.") from None
        try:
            store.find_document(story.project.id, STATE)
        except NotFound:
            raise StoryError(f"{name!r} is a story, not a screenplay; use `fabula story` commands on it.") from None
        return cls(story)

    @property
    def name(self) -> str:
        return self.story.project.name

    @property
    def settings(self) -> Settings:
        text = self.store.current_text(self._document(STATE, STATE).id)
        return Settings(**json.loads(text)) if text.strip() else Settings()

    def save_settings(self, settings: Settings) -> None:
        doc = self._document(STATE, STATE)
        self.store.commit_version(doc.id, [Passage(json.dumps(vars(settings), indent=2) + "\n")],
                                  message="screenplay settings")

    @property
    def bible(self) -> Bible:
        return self.story.bible

    def require_plan(self) -> StoryPlan:
        plan = self.story.plan
        if plan is None:
            raise StoryError(f"{self.name} has no plan yet; run `fabula screenplay plan {self.name}`.")
        return plan

    # -- the plan ------------------------------------------------------------------------------
    def make_plan(self, backend: Backend, structure: str = "three-act", scenes: int | None = None,
                  seed: int = 0) -> StoryPlan:
        """Plan (or re-plan) the screenplay; locked chapters and scenes of the current plan are kept.
        `scenes` defaults to the current plan's count (6 for a first plan)."""
        current = self.story.plan
        scenes = scenes or (len(current.scenes()) if current else 6)
        plan = make_screenplay_plan(backend, self.bible, structure, scenes, seed, keep=self.story.plan)
        self.story.save_plan(plan, "generated", backend.spec, message=f"plan: {structure}")
        return plan

    def lock(self, item_id: str, locked: bool = True, scenes: bool = False) -> None:
        """Keep a chapter or scene (and, locked, a scene's Fountain) when the rest is regenerated."""
        plan = self.require_plan()
        (plan.lock if locked else plan.unlock)(item_id, scenes=scenes)
        self.story.save_plan(plan, "edited", message=f"{item_id}: {'locked' if locked else 'unlocked'}")

    def set_scene(self, scene_id: str, **changes: Any) -> Scene:
        """Rewrite a scene of the plan (beat, characters, place, time); its Fountain becomes stale."""
        plan = self.require_plan()
        scene = plan.set_scene(scene_id, **changes)
        self.story.save_plan(plan, "edited", message=f"{scene_id}: edited")
        return scene

    # -- scenes ------------------------------------------------------------------------------
    def scene_text(self, scene_id: str) -> str:
        """The scene's current Fountain ("" before it is drafted)."""
        return self.story.prose(scene_id)

    def draft(
        self, backend: Backend, scene_ids: Sequence[str] | None = None, seed: int = 0, redraft: bool = False,
        words: int = 40, turns: int = 4, progress: Progress | None = None,
    ) -> dict[str, SceneText]:
        """Write scenes in story order (every scene without text, or `scene_ids`); each is stored
        and summarised, and its canon read, before the next, whose brief carries them. A locked
        scene that has text is never rewritten."""
        self.require_plan()  # its error names the screenplay command
        out: dict[str, SceneText] = {}
        for k, scene in self.story.to_draft(scene_ids, redraft):
            if progress:
                progress(scene.id)
            text = self._write(backend, scene, seed + k, words, turns)
            self._commit(scene.id, text.fountain(), Passage(text.fountain(), "generated", backend.spec,
                                                             {"seed": seed + k, "words": words, "turns": turns}))
            self._accept(scene.id, text)
            out[scene.id] = text
        return out

    def _write(self, backend: Backend, scene: Scene, seed: int, words: int, turns: int,
               beat: str | None = None) -> SceneText:
        brief = self.story.brief(scene.id)  # the canon facts retrieved for it, too
        if beat is not None:
            brief = replace(brief, beat=beat)
            scene = replace(scene, beat=beat)
        text = write_scene(backend, self.bible, scene, heading_for(scene, self.bible), brief,
                           seed=seed, words=words, turns=turns)
        if text.action:  # drafts, alternatives and endings alike: the action's calls into `fabula log`
            self.story.log_calls(text.action)
        return text

    def _commit(self, scene_id: str, text: str, passage: Passage) -> None:
        doc = self._document(scene_title(scene_id), SCENE_KIND)
        self.store.commit_version(doc.id, [passage], message=f"{scene_id}: {passage.provenance}")

    def _accept(self, scene_id: str, text: SceneText) -> None:
        from fabula.story.summarize import summarize

        prose = readable(text.elements)
        plan = self.require_plan()  # re-read: the writer's locks and edits since are kept
        accept_prose(plan, scene_id, prose, lambda t: summarize(t, None, words=60))
        self.story.save_plan(plan, "edited", message=f"{scene_id}: summary")
        self._read_canon(scene_id, prose)

    def edit_scene(self, scene_id: str, fountain: str) -> Scene:
        """The writer's Fountain for a scene: checked, stored as an edit, and the scene's summary
        and beat rebuilt from its action and dialogue (so the plan above is flagged stale)."""
        from fabula.story.summarize import summarize

        plan = self.require_plan()
        plan.scene(scene_id)
        sp, problems = parse_checked(fountain)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise FabulaError(f"Scene {scene_id} is not valid Fountain: {errors[0].render('scene')}; fix it and "
                              "edit again (`fabula screenplay check FILE` lists every problem).")
        if not any(isinstance(e, SceneHeading) for e in sp.elements):
            raise FabulaError(f"Scene {scene_id} needs a scene heading such as `INT. KITCHEN - NIGHT`.")
        old = self.store.current(self._document(scene_title(scene_id), SCENE_KIND).id)
        passage = (Passage(fountain, "edited", edited_from=old.passages[0].id) if old and old.passages
                   else Passage(fountain, "written"))
        self._commit(scene_id, fountain, passage)
        prose = readable(list(sp.elements)) or fountain
        scene = rebuild_from_prose(plan, scene_id, prose, lambda t: summarize(t, None, words=60))
        self.story.save_plan(plan, "edited", message=f"{scene_id}: rebuilt from Fountain")
        self._read_canon(scene_id, prose)
        return scene

    # -- canon and continuity ------------------------------------------------------------------
    def _read_canon(self, scene_id: str, prose: str) -> None:
        """Facts of the scene's action and dialogue, proposed for the writer (`fabula story canon`)."""
        if prose.strip():
            self.story.read_canon(scene_id, text=prose)

    def check(self) -> dict[str, list[Contradiction]]:
        """Contradictions of each written scene's action and dialogue with the rest's canon."""
        plan = self.require_plan()
        return {s.id: self.story.check(readable(list(parse(text).elements)), s.id)
                for s in plan.scenes() if (text := self.scene_text(s.id))}

    # -- alternatives and endings --------------------------------------------------------------
    def alternatives(self, backend: Backend, scene_id: str, n: int = 3, seed: int = 0, words: int = 40,
                     turns: int = 4) -> list[str]:
        """`n` other drafts of a scene (seeds seed..seed+n-1), kept as "alternative SCENE K"."""
        if not 1 <= n <= 10:
            raise FabulaError(f"Ask for 1 to 10 alternatives (got {n}).")
        scene = self.require_plan().scene(scene_id)
        out = []
        for k in range(n):
            text = self._write(backend, scene, seed + k, words, turns).fountain()
            doc = self._document(alternative_title(scene_id, k + 1), ALTERNATIVE_KIND)
            self.store.commit_version(doc.id, [Passage(text, "generated", backend.spec, {"seed": seed + k})])
            out.append(text)
        return out

    def choose(self, scene_id: str, k: int) -> str:
        """Make alternative `k` the scene's text (a new version; the old one stays in the history)."""
        try:
            doc = self.store.find_document(self.story.project.id, alternative_title(scene_id, k))
        except NotFound:
            raise StoryError(f"No alternative {k} of {scene_id}; make some with "
                             f"`fabula screenplay alternatives {self.name} {scene_id} -n 3`.") from None
        version = self.store.current(doc.id)
        assert version is not None and version.passages
        chosen = version.passages[0]
        self._commit(scene_id, chosen.text, Passage(chosen.text, "generated", chosen.model, chosen.params))
        self._accept(scene_id, SceneText(list(parse(chosen.text).elements)))
        return chosen.text

    def endings(self, backend: Backend, kinds: Sequence[str], seed: int = 0, words: int = 40,
                turns: int = 4) -> dict[str, str]:
        """One final scene per ending kind (happy, tragic, ...), kept as "ending KIND"."""
        from fabula.story.endings import get_ending

        plan = self.require_plan()
        last = plan.scenes()[-1]
        out = {}
        for kind in dict.fromkeys(k.strip().casefold() for k in kinds):
            ending = get_ending(kind)
            # the kind's words first: on a small context the beat is cut from its end
            beat = fit_line(backend, f"{ending.beat} {last.beat.strip()}")
            out[ending.kind] = text = self._write(backend, last, seed, words, turns, beat=beat).fountain()
            doc = self._document(f"ending {ending.kind}", ENDING_KIND)
            self.store.commit_version(doc.id, [Passage(text, "generated", backend.spec, {"kind": ending.kind})])
        if not out:
            raise FabulaError("Name at least one ending kind (happy, tragic, open, twist).")
        return out

    # -- the whole -----------------------------------------------------------------------------
    def screenplay(self, ending: str | None = None, author: str | None = None) -> Screenplay:
        """The written scenes in plan order with their transitions and the title page; `ending`
        replaces the last scene with that stored ending."""
        plan = self.require_plan()
        texts = {s.id: self.scene_text(s.id) for s in plan.scenes()}
        if ending:
            texts[plan.scenes()[-1].id] = self._ending(ending)
        if not any(texts.values()):
            raise StoryError(f"{self.name} has no scenes written yet; run `fabula screenplay draft {self.name}`.")
        s = self.settings
        return assemble(self.bible, plan, texts, author or s.author, s.draft_date, s.seed)

    def _ending(self, kind: str) -> str:
        try:
            doc = self.store.find_document(self.story.project.id, f"ending {kind}")
        except NotFound:
            raise StoryError(f"No {kind!r} ending yet; write it with `fabula screenplay endings {self.name} "
                             f"--kind {kind}`.") from None
        return self.store.current_text(doc.id)

    def _document(self, title: str, kind: str):  # type: ignore[no-untyped-def]
        try:
            return self.store.find_document(self.story.project.id, title)
        except NotFound:
            return self.store.create_document(self.story.project.id, title, kind)
