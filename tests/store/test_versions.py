import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from fabula.store import Document, GenerationRecord, InvalidRecord, NotFound, Passage, Store, StoreError


@pytest.fixture
def chapter(store: Store) -> Document:
    return store.create_document(store.create_project("moonfall"), "Chapter 1")


def _rows(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        versions = conn.execute(text("SELECT * FROM versions ORDER BY id")).all()
        passages = conn.execute(text("SELECT * FROM passages ORDER BY id")).all()
    return [tuple(r) for r in versions + passages]


def test_a_document_starts_empty(store: Store, chapter: Document) -> None:
    assert store.versions(chapter) == [] and store.current(chapter) is None
    assert store.current_text(chapter) == ""


def test_versions_are_append_only(store: Store, chapter: Document) -> None:
    v1 = store.commit_version(chapter, [Passage("The night was calm.")], message="first", author="ana")
    before = _rows(store)
    v2 = store.commit_version(chapter, [Passage("The night was "), Passage("wild.")], message="second")
    after = _rows(store)
    assert set(before) <= set(after)  # every earlier row is still there, unchanged
    assert (v1.number, v2.number, v1.author, v2.message) == (1, 2, "ana", "second")
    assert store.current_text(chapter) == "The night was wild."
    assert store.get_version(v1.id) == v1 and store.versions(chapter) == [v1, v2]
    assert store.count_versions(chapter) == 2 and store.current(chapter) == v2


def test_restore_adds_a_copy_of_the_old_version(store: Store, chapter: Document) -> None:
    v1 = store.commit_version(chapter, [Passage("Calm."), Passage(" Then", "generated", model="house:en")])
    v2 = store.commit_version(chapter, [Passage("Wild.")])
    v3 = store.restore(chapter, v1.id)
    assert (v3.number, v3.restored_from, v3.message) == (3, v1.id, "restore version 1")
    assert v3.text == v1.text == store.current_text(chapter)
    assert [(p.provenance, p.model) for p in v3.passages] == [("written", None), ("generated", "house:en")]
    assert {p.id for p in v3.passages}.isdisjoint(p.id for p in v1.passages)  # copies, not shared rows
    assert [v.text for v in store.versions(chapter)] == ["Calm. Then", "Wild.", "Calm. Then"]
    assert store.get_version(v2.id).text == "Wild."


def test_restore_refuses_a_version_of_another_document(store: Store, chapter: Document) -> None:
    other = store.create_document("moonfall", "Chapter 2")
    foreign = store.commit_version(other, [Passage("Elsewhere.")])
    with pytest.raises(StoreError, match="another document"):
        store.restore(chapter, foreign.id)
    with pytest.raises(NotFound, match="No version with id 999"):
        store.restore(chapter, 999)
    assert store.versions(chapter) == []


def test_provenance_round_trips(store: Store, chapter: Document) -> None:
    gid = store.log_generation(
        GenerationRecord(
            prompt="Once",
            model="house:en",
            options={"seed": 1},
            outputs=[" upon"],
            started_at=datetime.now(timezone.utc),
        )
    )
    params = {"temperature": 0.8, "seed": 1, "stop": ["\n"], "title": "Ünïcode"}
    v = store.commit_version(
        chapter,
        [
            Passage("Once", "written"),
            Passage(" upon", "generated", model="house:en", params=params, generation_id=gid),
            Passage(" a time", "generated", model="hf:gpt2"),
        ],
    )
    written, generated, bare = v.passages
    assert (written.provenance, written.model, written.params) == ("written", None, None)
    assert (generated.model, generated.params, generated.generation_id) == ("house:en", params, gid)
    assert (bare.params, bare.generation_id) == (None, None)
    edited = store.commit_version(
        chapter, [written, Passage(" upon a time", "edited", edited_from=generated.id)]
    )
    assert [p.provenance for p in edited.passages] == ["written", "edited"]
    assert edited.passages[1].edited_from == generated.id
    assert store.get_version(v.id) == v


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"provenance": "generated"}, "must name the model"),
        ({"provenance": "dreamt"}, "Unknown provenance"),
        ({"provenance": "written", "model": "house:en"}, "Only generated passages"),
        ({"provenance": "edited"}, "edited from"),
        ({"provenance": "written", "edited_from": 1}, "edited from"),
    ],
)
def test_inconsistent_passages_are_refused_when_built(fields: dict, message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        Passage("text", **fields)


def test_a_failed_commit_leaves_nothing_behind(store: Store, chapter: Document) -> None:
    store.commit_version(chapter, [Passage("kept")])
    before = _rows(store)
    with pytest.raises(InvalidRecord, match="passage 999"):
        store.commit_version(chapter, [Passage("half"), Passage("bad", "edited", edited_from=999)])
    with pytest.raises(InvalidRecord, match="generation 999"):
        store.commit_version(chapter, [Passage("bad", "generated", model="m", generation_id=999)])
    assert _rows(store) == before
    with pytest.raises(NotFound, match="No document with id 999"):
        store.commit_version(999, [Passage("x")])


def test_concurrent_commits_get_distinct_numbers(store: Store, chapter: Document) -> None:
    errors: list[Exception] = []

    def writer(name: str) -> None:
        try:
            for i in range(8):
                store.commit_version(chapter, [Passage(f"{name} {i}")])
        except Exception as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [v.number for v in store.versions(chapter)] == list(range(1, 25))
