"""A story in the project store: its bible, plan, scene prose, canon and endings, together.

`Story` is what `fabula story ...` and the Python API drive. Everything it changes is written to the
store before it returns, with versions and provenance, so a story survives restarts:

- the bible and the plan are versioned JSON states (`story_states`), each save a new number;
- each scene's prose is a store document titled "scene c1s2" (kind "scene"), each draft or edit a
  new version whose passages say whether they were written, generated or edited;
- canon facts are rows of `canon_facts`; facts read from new prose are *proposed* and the writer
  accepts or rejects them (`fabula story canon`), unless drafting was asked to accept them;
- endings are documents titled "ending KIND" (kind "ending").

Scenes are drafted in story order, each from a brief: its beat, who is present, where and when, the
previous scene's summary and the canon facts retrieved for it (who/where/when first, then meaning),
sized to the model's context by `draft_scene`, so a story of any length never overflows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, replace
from typing import Any

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.store import Store
from fabula.store.errors import NotFound
from fabula.store.records import Document, Passage, Project
from fabula.story.bible import Bible
from fabula.story.canon import Canon, CanonDiff, Fact, bible_facts, extract_facts
from fabula.story.continuity import Contradiction, check_passage
from fabula.story.draft import DraftResult, SceneBrief, draft_scene
from fabula.story.export import Manuscript, ManuscriptChapter
from fabula.story.plan import Scene, StoryPlan, accept_prose, rebuild_from_prose, stale_items
from fabula.story.retrieval import SceneQuery, fact_sentence, retrieve

__all__ = ["Story", "StoryError"]

SCENE_KIND, ENDING_KIND = "scene", "ending"
Progress = Callable[[str], None]


class StoryError(FabulaError):
    """A story operation that cannot go ahead: the message says what to run first."""


def scene_title(scene_id: str) -> str:
    return f"scene {scene_id}"


class Story:
    """One story: a store project whose bible and plan are kept as versioned states."""

    def __init__(self, store: Store, project: Project) -> None:
        self.store = store
        self.project = project

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, store: Store, name: str, bible: Bible) -> Story:
        project = store.create_project(name, bible.premise)
        store.save_state(project.id, "bible", bible.to_dict(), "written", message="new story")
        return cls(store, project)

    @classmethod
    def open(cls, store: Store, name: str) -> Story:
        try:
            project = store.get_project(name)
        except NotFound:
            raise StoryError(f"No story named {name!r}; start one with `fabula story new {name} --premise \"...\"` "
                             "(`fabula project list` lists the projects).") from None
        if store.latest_state(project.id, "bible") is None:
            raise StoryError(f"Project {name!r} has no story bible; start a story with `fabula story new`.")
        return cls(store, project)

    # -- bible and plan ----------------------------------------------------------------------
    @property
    def bible(self) -> Bible:
        record = self.store.latest_state(self.project.id, "bible")
        assert record is not None  # open() and create() made sure
        return Bible.from_dict(record.payload)

    def save_bible(self, bible: Bible, provenance: str = "written", message: str = "") -> None:
        self.store.save_state(self.project.id, "bible", bible.to_dict(), provenance, message=message)

    @property
    def plan(self) -> StoryPlan | None:
        record = self.store.latest_state(self.project.id, "plan")
        return None if record is None else StoryPlan.from_dict(record.payload)

    def require_plan(self) -> StoryPlan:
        plan = self.plan
        if plan is None:
            raise StoryError(f"{self.project.name} has no plan yet; run `fabula story plan {self.project.name}`.")
        return plan

    def save_plan(self, plan: StoryPlan, provenance: str = "written", model: str | None = None,
                  message: str = "") -> None:
        self.store.save_state(self.project.id, "plan", plan.to_dict(), provenance, model=model, message=message)

    def make_plan(self, backend: Backend, structure: str = "three-act", chapters: int | None = None,
                  scenes_per_chapter: int = 3, seed: int = 0) -> StoryPlan:
        """Plan (or re-plan) the story; locked chapters and scenes of the current plan are kept."""
        from fabula.story.planner import make_plan

        keep = self.plan
        plan = make_plan(backend, self.bible, structure=structure, chapters=chapters,
                         scenes_per_chapter=scenes_per_chapter, seed=seed, keep=keep)
        self.save_plan(plan, "generated", backend.spec, message=f"plan: {structure}")
        return plan

    def stale(self) -> list[Any]:
        plan = self.require_plan()
        prose = {s.id: self.prose(s.id) for s in plan.scenes()}
        return stale_items(plan, self.bible, {k: v for k, v in prose.items() if v})

    # -- prose -------------------------------------------------------------------------------
    def _document(self, title: str, kind: str) -> Document:
        try:
            return self.store.find_document(self.project.id, title)
        except NotFound:
            return self.store.create_document(self.project.id, title, kind)

    def prose(self, scene_id: str) -> str:
        try:
            doc = self.store.find_document(self.project.id, scene_title(scene_id))
        except NotFound:
            return ""
        return self.store.current_text(doc.id)

    def write_prose(self, scene_id: str, text: str, summarize: Callable[[str], str] | None = None) -> Scene:
        """The writer's own text for a scene (new, or an edit of a draft): stored as a new version,
        and the scene's summary and beat rebuilt from it, so the plan above is flagged stale."""
        plan = self.require_plan()
        scene = plan.scene(scene_id)
        doc = self._document(scene_title(scene_id), SCENE_KIND)
        old = self.store.current(doc.id)
        if old is not None and old.passages:
            passage = Passage(text, "edited", edited_from=old.passages[0].id)
        else:
            passage = Passage(text, "written")
        self.store.commit_version(doc.id, [passage], message=f"{scene_id}: written")
        scene = rebuild_from_prose(plan, scene_id, text, summarize or _summary)
        self.save_plan(plan, "edited", message=f"{scene_id}: rebuilt from prose")
        return scene

    # -- the canon ---------------------------------------------------------------------------
    def canon(self) -> Canon:
        """Stored facts under their store ids, and the bible's facts (ids below zero, not stored)."""
        canon = Canon(times={s.id: s.time for s in self._scenes() if s.time})
        for row in self.store.facts(self.project.id):
            canon.add(Fact(**row.fact()), fact_id=row.id)
        for k, fact in enumerate(bible_facts(self.bible), start=1):
            canon.add(fact, fact_id=-k)
        return canon

    def read_canon(self, scene_id: str, accept: bool = False, backend: Backend | None = None,
                   text: str | None = None) -> CanonDiff:
        """Read a scene's prose (or `text` as that scene, e.g. a screenplay scene's action and
        dialogue) for facts and store them as proposed (or accepted) canon changes.

        The parser's facts always; with an instruction-following `backend` (kind "openai"), also the
        facts the model reads in the prose (source "model"), which the parse may miss."""
        plan = self.require_plan()
        text = self.prose(scene_id) if text is None else text
        if not text:
            raise StoryError(f"Scene {scene_id} has no prose yet; draft it with `fabula story draft`.")
        order = _order(plan, scene_id)
        canon = self.canon()
        before = {i: f.status for i, f in canon.facts.items()}
        facts = extract_facts(text, scene_id, order, self.bible, extra_names=canon.names())  # adopted names too
        if backend is not None and backend.kind == "openai":
            from fabula.story.canon import ask_model

            facts += ask_model(backend, text, self.bible, scene_id, order)
        diff = canon.propose(facts, replace_scene=True)
        if accept:
            canon.accept(diff)
        return self._persist(canon, before, diff)

    def proposed(self) -> CanonDiff:
        """The facts waiting for the writer, as a diff against what is accepted."""
        canon = self.canon()
        waiting = [i for i, f in canon.facts.items() if f.status == "proposed"]
        base = Canon(times=canon.times)
        for i, f in canon.facts.items():
            if f.status == "accepted":
                base.add(f, fact_id=i)
        lines, remap = [], {}
        for stored in waiting:  # one at a time, to know which stored fact each line shows
            d = base.propose([canon.facts[stored]])
            lines += d.lines
            remap.update({new: stored for new in d.ids})
        diff = CanonDiff(base, lines)
        return _remapped(diff, remap, base)

    def decide(self, ids: Iterable[int], accept: bool) -> list[int]:
        canon = self.canon()
        before = {i: f.status for i, f in canon.facts.items()}
        done = canon.accept(list(ids)) if accept else canon.reject(list(ids))
        self._persist(canon, before, None)
        return done

    def _persist(self, canon: Canon, before: dict[int, str], diff: CanonDiff | None) -> CanonDiff:
        new = [i for i in canon.facts if i not in before]
        stored = self.store.add_facts(self.project.id, [canon.facts[i] for i in new])
        remap = dict(zip(new, stored, strict=True))
        for status in ("accepted", "rejected"):
            changed = [i for i, s in before.items() if i > 0 and s != status and canon.facts[i].status == status]
            if changed:
                self.store.decide_facts(changed, status)
        return _remapped(diff, remap, canon) if diff is not None else CanonDiff(canon)

    # -- drafting ----------------------------------------------------------------------------
    def brief(self, scene_id: str, k: int = 8) -> SceneBrief:
        plan = self.require_plan()
        bible = self.bible
        scenes = plan.scenes()
        i = [s.id for s in scenes].index(plan.scene(scene_id).id)
        scene = scenes[i]
        previous = scenes[i - 1].summary if i > 0 else None
        query = SceneQuery(i + 1, scene.characters, scene.place, scene.time, scene.beat)
        facts = [fact_sentence(f) for f in retrieve(self.canon(), bible, query, k=k)]
        present = [bible.character(n).sentence() for n in scene.characters if _known(bible, n)]
        return SceneBrief(scene.beat, scene.characters, scene.place, scene.time, previous, present + facts)

    def draft(
        self,
        backend: Backend,
        scene_ids: Sequence[str] | None = None,
        words: int = 300,
        seed: int = 0,
        redraft: bool = False,
        accept_canon: bool = False,
        options: GenerationOptions | None = None,
        progress: Progress | None = None,
    ) -> dict[str, DraftResult]:
        """Draft scenes in story order (all without prose, or `scene_ids`); each is stored, summarised
        and read for canon facts before the next, which is conditioned on them."""
        out: dict[str, DraftResult] = {}
        for k, scene in self.to_draft(scene_ids, redraft):
            if progress:
                progress(scene.id)
            result = draft_scene(backend, self.brief(scene.id), words=words, seed=seed + k, options=options,
                                 step_tokens=_step_tokens(backend))
            if not result.text.strip():
                raise StoryError(f"{backend.spec} wrote nothing for scene {scene.id} (it ended the text at once); "
                                 "the scenes before it are saved: run the draft again with another --seed.")
            self.log_calls(result)
            self._store_draft(scene.id, result.text, backend, {"words": words, "seed": seed + k})
            self.read_canon(scene.id, accept=accept_canon, backend=backend)
            out[scene.id] = result
        return out

    def to_draft(self, scene_ids: Sequence[str] | None = None, redraft: bool = False) -> list[tuple[int, Scene]]:
        """(position in story order, scene) of what a draft writes: `scene_ids` (unknown ids fail
        before any work), else every scene without text, or with `redraft` every scene. A locked
        scene that has text is never rewritten."""
        plan = self.require_plan()
        wanted = list(scene_ids) if scene_ids else [s.id for s in plan.scenes()]
        for sid in wanted:
            plan.scene(sid)
        out = []
        for k, scene in enumerate(plan.scenes()):
            has_text = bool(self.prose(scene.id))
            if scene.id not in wanted or (scene.locked and has_text) or (has_text and not redraft and not scene_ids):
                continue
            out.append((k, scene))
        return out

    def log_calls(self, result: DraftResult) -> None:
        """Every model call of a draft into the generation log (`fabula log`), under this story."""
        for call in result.calls:
            self.store.log_generation(replace(call, project_id=self.project.id))

    def _store_draft(self, scene_id: str, text: str, backend: Backend, params: dict[str, Any]) -> None:
        from fabula.story.summarize import summarize

        doc = self._document(scene_title(scene_id), SCENE_KIND)
        self.store.commit_version(doc.id, [Passage(text, "generated", backend.spec, params)],
                                  message=f"{scene_id}: drafted")
        plan = self.require_plan()  # re-read: the writer's locks and edits since are kept
        accept_prose(plan, scene_id, text, lambda t: summarize(t, backend, words=60))
        self.save_plan(plan, "generated", backend.spec, message=f"{scene_id}: summary")

    # -- checks, endings, export -------------------------------------------------------------
    def check(self, text: str, scene_id: str) -> list[Contradiction]:
        """Contradictions between `text` (as scene `scene_id`) and the canon of the rest of the story."""
        plan = self.require_plan()
        scene = plan.scene(scene_id)
        canon = self.canon()
        canon.facts = {i: f for i, f in canon.facts.items() if f.scene_id != scene_id}
        return check_passage(text, _order(plan, scene_id), canon, self.bible, scene_id=scene_id, time=scene.time)

    def check_all(self) -> dict[str, list[Contradiction]]:
        plan = self.require_plan()
        return {s.id: self.check(text, s.id) for s in plan.scenes() if (text := self.prose(s.id))}

    def endings(self, backend: Backend, kinds: Sequence[str], words: int = 300, seed: int = 0) -> dict[str, DraftResult]:
        """One draft of the final scene per ending kind, each stored as document "ending KIND"."""
        from fabula.story.endings import write_endings

        plan = self.require_plan()
        last = plan.scenes()[-1]
        results = write_endings(backend, self.bible, self.brief(last.id), kinds=kinds, words=words, seed=seed,
                                step_tokens=_step_tokens(backend))
        for kind, result in results.items():
            self.log_calls(result)
            doc = self._document(f"ending {kind}", ENDING_KIND)
            self.store.commit_version(doc.id, [Passage(result.text, "generated", backend.spec,
                                                       {"kind": kind, "words": words, "seed": seed})])
        return results

    def manuscript(self, author: str = "", ending: str | None = None) -> Manuscript:
        """The story as a book: chapters of the plan with their scenes' current prose; `ending`
        replaces the last scene with that stored ending."""
        plan = self.require_plan()
        chapters = []
        last = plan.scenes()[-1].id if plan.scenes() else None
        for c in plan.chapters:
            scenes = []
            for s in c.scenes:
                text = self._ending(ending) if ending and s.id == last else self.prose(s.id)
                if text.strip():
                    scenes.append(text.strip())
            chapters.append(ManuscriptChapter(c.title, scenes))
        if not any(ch.scenes for ch in chapters):
            raise StoryError(f"{self.project.name} has no prose yet; draft it with `fabula story draft` first.")
        bible = self.bible
        return Manuscript(bible.title, chapters=chapters, author=author, description=bible.premise)

    def _ending(self, kind: str) -> str:
        try:
            doc = self.store.find_document(self.project.id, f"ending {kind}")
        except NotFound:
            raise StoryError(f"No {kind!r} ending yet; write it with `fabula story endings "
                             f"{self.project.name} --kind {kind}`.") from None
        return self.store.current_text(doc.id)

    def _scenes(self) -> list[Scene]:
        plan = self.plan
        return plan.scenes() if plan else []


def _step_tokens(backend: Backend) -> int:
    # a step leaves three quarters of a small context to the memory and the scene so far
    return max(16, min(96, (backend.context_length or 4096) // 4))


def _order(plan: StoryPlan, scene_id: str) -> int:
    """A scene's place in story order, from 1 (the bible's facts come before, at 0)."""
    return [s.id for s in plan.scenes()].index(plan.scene(scene_id).id) + 1


def _known(bible: Bible, name: str) -> bool:
    return any(name.lower() in (n.lower() for n in c.names()) for c in bible.characters)


def _summary(text: str) -> str:
    from fabula.story.summarize import summarize

    return summarize(text, None, words=60)


def _remapped(diff: CanonDiff, remap: dict[int, int], canon: Canon) -> CanonDiff:
    """The same diff with facts under their stored ids (the in-memory canon numbered them itself)."""
    from fabula.story.canon import DiffLine

    out = Canon(times=canon.times)
    for i, f in canon.facts.items():
        out.add(Fact(**asdict(f)), fact_id=remap.get(i, i))
    lines = [DiffLine(d.kind, remap.get(d.new_id, d.new_id) if d.new_id is not None else None,
                      remap.get(d.old_id, d.old_id) if d.old_id is not None else None) for d in diff.lines]
    return CanonDiff(out, lines)
