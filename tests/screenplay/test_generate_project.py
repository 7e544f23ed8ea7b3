"""A screenplay in the store on the tiny random model: plan, draft, lock, regenerate, edit,
alternatives, endings, and all of it read back by a new `Store` (a restart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.backends import Backend, resolve
from fabula.errors import FabulaError
from fabula.screenplay import Character, Transition, parse, write
from fabula.screenplay.bible import bible_from_logline
from fabula.screenplay.project import ScreenplayProject, Settings
from fabula.store import open_store
from fabula.story.project import Story, StoryError

from .test_independent_parsers import _fountain_py, _ours

LOGLINE = "A night nurse named Wren learns that her patient is the man who ruined her father."


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> Backend:
    backend = resolve(f"hf:{tiny_checkpoint}")
    backend.load()
    return backend


def _new(store, tiny: Backend, name: str = "nurse") -> ScreenplayProject:  # type: ignore[no-untyped-def]
    bible = bible_from_logline(tiny, LOGLINE, seed=1)
    return ScreenplayProject.create(store, name, bible, Settings(draft_date="2026-12-03", logline=LOGLINE))


def test_a_stored_screenplay_survives_a_restart(tiny: Backend) -> None:
    with open_store() as store:
        sp = _new(store, tiny)
        with pytest.raises(StoryError, match="fabula screenplay plan nurse"):
            sp.draft(tiny)
        plan = sp.make_plan(tiny, scenes=3, seed=2)
        seen: list[str] = []
        drafted = sp.draft(tiny, seed=5, words=15, turns=2, progress=seen.append)
        assert seen == [s.id for s in plan.scenes()] == list(drafted)
        assert sp.draft(tiny, words=15, turns=2) == {}  # nothing left without text
        written = sp.screenplay()
        doc = store.find_document(sp.story.project.id, "scene c1s1")
        [passage] = store.current(doc.id).passages
        assert passage.provenance == "generated" and passage.model == tiny.spec
        assert all(s.summary for s in sp.require_plan().scenes())  # each brief carried the one before

    with open_store() as store:  # a restart: read back from the database
        again = ScreenplayProject.open(store, "nurse")
        assert again.screenplay() == written
        assert again.bible.cast()[0] == "Wren" and again.settings.logline == LOGLINE
        assert len(written.scenes()) == 3 and _fountain_py(write(written)) == _ours(written)
        assert {e.name for e in written if isinstance(e, Character)} <= {n.upper() for n in again.bible.cast()}


def test_locks_survive_regeneration(tiny: Backend) -> None:
    with open_store() as store:
        sp = _new(store, tiny, "locks")
        first = sp.make_plan(tiny, scenes=3, seed=2)
        sp.draft(tiny, seed=1, words=15, turns=2)
        kept_id = first.scenes()[1].id
        kept_text = sp.scene_text(kept_id)
        sp.lock(kept_id)
        replanned = sp.make_plan(tiny, seed=9)  # as many scenes as before
        assert [s.id for s in replanned.scenes()] == [s.id for s in first.scenes()]
        assert replanned.scene(kept_id).beat == first.scene(kept_id).beat
        assert replanned.scene(kept_id).locked
        other = first.scenes()[0].id
        assert replanned.scene(other).beat != first.scene(other).beat
        redrafted = sp.draft(tiny, seed=7, redraft=True, words=15, turns=2)
        assert kept_id not in redrafted and other in redrafted
        assert sp.scene_text(kept_id) == kept_text
        sp.lock(kept_id, locked=False)
        assert kept_id in sp.draft(tiny, [kept_id], seed=8, words=15, turns=2)


def test_an_edited_scene_is_kept_and_rebuilds_its_beat(tiny: Backend) -> None:
    with open_store() as store:
        sp = _new(store, tiny, "edit")
        sp.make_plan(tiny, scenes=3, seed=2)
        sp.draft(tiny, seed=1, words=15, turns=2)
        mine = "INT. HOSPITAL - NIGHT\n\nWren reads the chart twice.\n\nWREN\nYou knew my father.\n"
        scene = sp.edit_scene("c2s1", mine)
        assert sp.scene_text("c2s1") == mine and "Wren reads the chart twice." in scene.beat
        [passage] = store.current(store.find_document(sp.story.project.id, "scene c2s1").id).passages
        assert passage.provenance == "edited"
        assert parse(mine).elements[0] in sp.screenplay().scenes()
        with pytest.raises(FabulaError, match="scene heading"):
            sp.edit_scene("c2s1", "Just some action.\n")
        with pytest.raises(FabulaError, match="No scene 'c9s9'"):
            sp.edit_scene("c9s9", mine)


def test_alternatives_and_endings(tiny: Backend) -> None:
    with open_store() as store:
        sp = _new(store, tiny, "alts")
        plan = sp.make_plan(tiny, scenes=3, seed=2)
        sp.draft(tiny, seed=1, words=15, turns=2)
        first = plan.scenes()[0].id
        logged = len(store.list_generations(limit=1000, project="alts"))
        alternatives = sp.alternatives(tiny, first, n=2, seed=20, words=15, turns=2)
        assert len(store.list_generations(limit=1000, project="alts")) > logged  # their action's calls too
        assert len(set(alternatives)) == 2
        assert sp.choose(first, 2) == alternatives[1] == sp.scene_text(first)
        logged = len(store.list_generations(limit=1000, project="alts"))
        endings = sp.endings(tiny, ["happy", "tragic"], seed=3, words=15, turns=2)
        assert len(store.list_generations(limit=1000, project="alts")) > logged
        assert list(endings) == ["happy", "tragic"] and endings["happy"] != endings["tragic"]
        tragic = sp.screenplay(ending="tragic")
        assert tragic.scenes()[-1] == parse(endings["tragic"]).scenes()[0]
        assert isinstance(tragic.elements[-1], Transition)
        with pytest.raises(StoryError, match="fabula screenplay endings alts --kind open"):
            sp.screenplay(ending="open")
        with pytest.raises(StoryError, match="No alternative 5"):
            sp.choose(first, 5)


def test_a_story_is_not_opened_as_a_screenplay(tiny: Backend) -> None:
    with open_store() as store:
        Story.create(store, "plain", bible_from_logline(tiny, LOGLINE, seed=1))
        with pytest.raises(StoryError, match="is a story, not a screenplay"):
            ScreenplayProject.open(store, "plain")
        with pytest.raises(StoryError, match="fabula screenplay new"):
            ScreenplayProject.open(store, "missing")
