"""A story in the store end to end, on the tiny random model: plan, draft, edit, canon, check, export.

The tiny model writes noise, so these tests check what Fabula guarantees whatever the model says:
every scene drafted in order and stored with provenance, summaries and plan hashes kept, canon facts
proposed and decided by the writer, contradictions found against them, and all of it surviving a
new `Store` on the same database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.backends import Backend, resolve
from fabula.store import open_store
from fabula.story.bible import Bible, Character, Place
from fabula.story.export import ManuscriptChapter, from_markdown, to_markdown
from fabula.story.project import Story, StoryError


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> Backend:
    backend = resolve(f"hf:{tiny_checkpoint}")
    backend.load()
    return backend


def _bible() -> Bible:
    return Bible(
        "The Lighthouse",
        "A lighthouse keeper finds a letter from her brother, who drowned ten years ago.",
        genre="mystery",
        characters=[Character("Mara", "protagonist", ["red-haired"]), Character("Tom", "missing brother")],
        places=[Place("the lighthouse", "a white tower"), Place("the village")],
    )


def test_a_premise_becomes_a_stored_drafted_story(tiny: Backend) -> None:
    with open_store() as store:
        story = Story.create(store, "lighthouse", _bible())
        with pytest.raises(StoryError, match="fabula story plan lighthouse"):
            story.draft(tiny)
        plan = story.make_plan(tiny, "three-act", chapters=2, scenes_per_chapter=2, seed=1)
        assert [s.id for s in plan.scenes()] == ["c1s1", "c1s2", "c2s1", "c2s2"]
        seen: list[str] = []
        drafts = story.draft(tiny, words=25, seed=3, progress=seen.append)
        assert list(drafts) == seen == ["c1s1", "c1s2", "c2s1", "c2s2"]
        assert story.draft(tiny, words=25) == {}  # nothing left without prose
        for s in story.require_plan().scenes():
            assert story.prose(s.id).strip() and s.summary and s.prose_basis
        doc = store.find_document(story.project.id, "scene c1s1")
        [passage] = store.current(doc.id).passages
        assert passage.provenance == "generated" and passage.model == tiny.spec
        calls = [c for d in drafts.values() for c in d.calls]
        logged = store.list_generations(limit=1000, project=story.project.id)
        drafted = [g for g in logged if g.options.get("max_tokens") == calls[0].options["max_tokens"]
                   and g.prompt in {c.prompt for c in calls}]
        assert len(drafted) == len(calls) >= 4  # every drafting call is in `fabula log`, under the story
        assert {g.outputs[0] for g in drafted} == {c.outputs[0] for c in calls}
        assert all(g.model == tiny.spec and g.duration_ms is not None for g in drafted)

    with open_store() as store:  # a restart: everything is read back from the database
        story = Story.open(store, "lighthouse")
        assert story.bible == _bible()
        assert story.prose("c2s2") == drafts["c2s2"].text
        book = story.manuscript(author="Fabula")
        assert [c.title for c in book.chapters] == [c.title for c in story.require_plan().chapters]
        assert from_markdown(to_markdown(book)) == book


def test_the_writers_prose_feeds_the_canon_and_the_check(tiny: Backend) -> None:
    with open_store() as store:
        story = Story.create(store, "keeper", _bible())
        story.make_plan(tiny, "three-act", chapters=2, scenes_per_chapter=2, seed=1)
        story.write_prose("c1s2", "Mara climbed the stairs. Her green eyes were tired. That night Tom died in the storm.")
        stale = {(s.id, s.what) for s in story.stale()}
        assert ("c1", "chapter") in stale  # the beat was rebuilt from the prose: the chapter above is flagged
        diff = story.read_canon("c1s2")
        shown = diff.render()
        assert "eye_colour = green" in shown and "alive = no" in shown
        assert story.check("Tom opened the door and laughed.", "c2s1") == []  # nothing accepted yet
        story.decide(story.proposed().ids, accept=True)
        assert not story.proposed()

    with open_store() as store:
        story = Story.open(store, "keeper")
        found = story.check("Tom opened the door and laughed. Mara looked up with her blue eyes.", "c2s1")
        assert {c.kind for c in found} == {"dead-character", "attribute"}
        assert all(c.fact_scene == "c1s2" for c in found)
        # before his death, in the first scene, Tom may act
        assert story.check("Tom opened the door and laughed.", "c1s1") == []
        # the next scene's brief carries the accepted facts (few here, so all are retrieved)
        memory = " ".join(story.brief("c2s1").memory)
        assert "Tom" in memory and "green" in memory


def test_endings_are_kept_and_exported(tiny: Backend, tmp_path: Path) -> None:
    with open_store() as store:
        story = Story.create(store, "ends", _bible())
        story.make_plan(tiny, "three-act", chapters=1, scenes_per_chapter=2, seed=2)
        story.draft(tiny, words=20, seed=1)
        plan = story.require_plan()  # a short final beat: the tiny model's context is 128 tokens
        plan.set_scene("c1s2", beat="Mara reads the letter.")
        story.save_plan(plan, "edited")
        endings = story.endings(tiny, ["happy", "tragic"], words=20, seed=4)
        assert set(endings) == {"happy", "tragic"}
        book = story.manuscript(ending="tragic")
        # the book carries the ending as export normalises any scene (control characters dropped)
        assert book.chapters[-1].scenes[-1] == ManuscriptChapter("x", [endings["tragic"].text.strip()]).scenes[0]
        with pytest.raises(StoryError, match="--kind twist"):
            story.manuscript(ending="twist")


def test_a_story_over_an_openai_compatible_server(server_url: str, local: Backend) -> None:
    # Fabula's own server over the tiny model stands in for Ollama or vLLM: plain completions, no
    # token masking, no local tokenizer; the plan and the drafts must still be complete.
    remote = resolve(f"openai-completions:{local.spec}@{server_url}")
    with open_store() as store:
        story = Story.create(store, "remote", _bible())
        plan = story.make_plan(remote, "three-act", chapters=2, scenes_per_chapter=1, seed=1)
        assert len(plan.scenes()) == 2 and all(s.beat for s in plan.scenes())
        drafts = story.draft(remote, words=20, seed=2)
        assert list(drafts) == ["c1s1", "c2s1"] and all(story.prose(s) for s in drafts)
        [passage] = store.current(store.find_document(story.project.id, "scene c2s1").id).passages
        assert passage.model == remote.spec
