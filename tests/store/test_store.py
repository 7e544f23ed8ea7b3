from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from fabula.store import GenerationRecord, Passage, Store, StoreError, open_store
from fabula.store.export import export_json, export_markdown
from fabula.store.migrations import MIGRATIONS, apply_migrations


def test_migrations_are_numbered_in_order_and_idempotent(store: Store, store_url: str) -> None:
    numbers = [n for n, _, _ in MIGRATIONS]
    assert numbers == list(range(1, len(numbers) + 1))
    with store.engine.begin() as conn:
        assert apply_migrations(conn) == []
        recorded = conn.execute(text("SELECT number FROM _migrations ORDER BY number")).scalars().all()
    assert recorded == numbers
    open_store(store_url)  # reopening applies nothing and fails nothing


def test_projects_are_unique_and_unknown_ones_say_what_to_do(store: Store) -> None:
    store.create_project("moonfall", "a lunar mystery")
    with pytest.raises(StoreError, match="exists already"):
        store.create_project("moonfall")
    with pytest.raises(StoreError, match="fabula project new sunrise"):
        store.get_project("sunrise")
    assert [p.name for p in store.list_projects()] == ["moonfall"]


def test_versions_are_append_only_and_restorable(store: Store) -> None:
    doc = store.create_document(store.create_project("p"), "Chapter 1")
    v1 = store.commit_version(doc, [Passage("The night was calm.")], message="first")
    v2 = store.commit_version(doc, [Passage("The night was wild.")], message="second")
    assert (v1.number, v2.number) == (1, 2)
    assert store.current_text(doc) == "The night was wild."
    v3 = store.restore(doc, v1.id)
    assert v3.number == 3 and v3.restored_from == v1.id
    assert store.current_text(doc) == "The night was calm."
    assert [v.text for v in store.versions(doc)] == [
        "The night was calm.", "The night was wild.", "The night was calm."
    ]
    assert store.get_version(v2.id).text == "The night was wild."  # untouched


def test_provenance_round_trips(store: Store) -> None:
    doc = store.create_document(store.create_project("p"), "Scene")
    gid = store.log_generation(
        GenerationRecord(prompt="Once", model="house:en", options={"seed": 1}, outputs=[" upon"],
                         started_at=datetime.now(timezone.utc))
    )
    v = store.commit_version(doc, [
        Passage("Once", "written"),
        Passage(" upon", "generated", model="house:en", params={"temperature": 0.8, "seed": 1}, generation_id=gid),
    ])
    first, second = v.passages
    edited = store.commit_version(doc, [first, Passage(" upon a time", "edited", edited_from=second.id)])
    assert [p.provenance for p in edited.passages] == ["written", "edited"]
    assert edited.passages[1].edited_from == second.id
    assert second.params == {"seed": 1, "temperature": 0.8} and second.generation_id == gid
    with pytest.raises(StoreError, match="name the model"):
        store.commit_version(doc, [Passage("x", "generated")])


def test_failed_commit_leaves_nothing_behind(store: Store) -> None:
    doc = store.create_document(store.create_project("p"), "Scene")
    store.commit_version(doc, [Passage("kept")])
    with pytest.raises(StoreError):
        store.commit_version(doc, [Passage("half"), Passage("bad", "generated")])
    assert [v.text for v in store.versions(doc)] == ["kept"]


def test_generation_log_filters_and_orders(store: Store) -> None:
    now = datetime.now(timezone.utc)
    for i, model in enumerate(["house:en", "hf:x", "house:en"]):
        store.log_generation(GenerationRecord(
            prompt=f"prompt {i}", model=model, options={"n": 1}, outputs=[f"output {i} 春"],
            started_at=now, prompt_tokens=3, completion_tokens=5, ttft_ms=12.5, duration_ms=40.0,
        ))
    assert [r.prompt for r in store.list_generations()] == ["prompt 2", "prompt 1", "prompt 0"]
    assert [r.prompt for r in store.list_generations(model="hf:x")] == ["prompt 1"]
    assert [r.prompt for r in store.list_generations(search="output 0")] == ["prompt 0"]
    one = store.get_generation(1)
    assert one.outputs == ["output 0 春"] and one.ttft_ms == 12.5 and one.started_at == now.replace(
        microsecond=now.microsecond // 1000 * 1000
    )
    with pytest.raises(StoreError, match="fabula log"):
        store.get_generation(99)


def test_exports(store: Store) -> None:
    project = store.create_project("p", "desc")
    doc = store.create_document(project, "Chapter 1")
    store.commit_version(doc, [Passage("One."), Passage(" Two.", "generated", model="house:en")])
    assert "## Chapter 1\n\nOne. Two." in export_markdown(store, project)
    assert '"provenance": "generated"' in export_json(store, project)
