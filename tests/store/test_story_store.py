"""The story tables (migration 4): bible/plan states, continuation trees and heads, canon facts.

Every test runs on SQLite and on PostgreSQL (the `store` fixture in tests/store/conftest.py).
"""

import threading
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect as inspect_db
from sqlalchemy import text

from fabula.store import Document, GenerationRecord, InvalidRecord, NotFound, Store, StoreError, open_store


@pytest.fixture
def chapter(store: Store) -> Document:
    return store.create_document(store.create_project("moonfall"), "Chapter 1")


def _log(store: Store) -> int:
    record = GenerationRecord(
        prompt="The tide", model="house:en", options={"seed": 3}, outputs=[" a", " b"],
        started_at=datetime.now(timezone.utc),
    )
    return store.log_generation(record)


# --- bible and plan states ------------------------------------------------------------------
def test_states_are_numbered_per_project_and_kind(store: Store) -> None:
    store.create_project("moonfall")
    store.create_project("other")
    first = store.save_state("moonfall", "bible", {"title": "Moonfall", "premise": "The moon falls."})
    second = store.save_state(
        "moonfall", "bible", {"title": "Moonfall", "premise": "Ünïcode 月"}, "edited", message="renamed"
    )
    plan = store.save_state("moonfall", "plan", {"scenes": [1, 2]}, "generated", model="house:en")
    elsewhere = store.save_state("other", "bible", {"title": "x"})
    assert [first.number, second.number, plan.number, elsewhere.number] == [1, 2, 1, 1]
    assert store.latest_state("moonfall", "bible") == second
    assert store.states("moonfall", "bible") == [first, second]
    assert store.state("moonfall", "bible", 1).payload == {"title": "Moonfall", "premise": "The moon falls."}
    assert (second.payload["premise"], second.provenance) == ("Ünïcode 月", "edited")
    assert second.message == "renamed"
    assert (plan.model, plan.provenance) == ("house:en", "generated")
    assert store.latest_state("other", "plan") is None


def test_bad_states_are_refused_with_a_way_out(store: Store) -> None:
    store.create_project("moonfall")
    with pytest.raises(InvalidRecord, match="use one of bible, plan"):
        store.save_state("moonfall", "outline", {})
    with pytest.raises(InvalidRecord, match="must name the model"):
        store.save_state("moonfall", "bible", {}, "generated")
    with pytest.raises(InvalidRecord, match="JSON"):
        store.save_state("moonfall", "bible", {"when": datetime.now()})
    with pytest.raises(InvalidRecord, match="a dict"):
        store.save_state("moonfall", "bible", ["not", "a", "dict"])  # type: ignore[arg-type]
    store.save_state("moonfall", "plan", {})
    with pytest.raises(NotFound, match="no plan version 5 .1 saved: 1 to 1"):
        store.state("moonfall", "plan", 5)
    with pytest.raises(NotFound, match="fabula project new nowhere"):
        store.save_state("nowhere", "bible", {})
    assert len(store.states("moonfall", "bible")) == 0


def test_concurrent_saves_get_distinct_numbers(store: Store) -> None:
    store.create_project("moonfall")
    errors: list[Exception] = []

    def saver(name: str) -> None:
        try:
            for i in range(6):
                store.save_state("moonfall", "plan", {"by": name, "i": i})
        except Exception as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=saver, args=(name,)) for name in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [s.number for s in store.states("moonfall", "plan")] == list(range(1, 19))


# --- continuation trees ---------------------------------------------------------------------
def test_alternatives_form_a_tree_with_paths(store: Store, chapter: Document) -> None:
    assert store.branch_head(chapter) is None and store.branch_tree(chapter).nodes == []
    root = store.append_node(chapter, "The tide turned.")
    gid = _log(store)
    params = {"seed": 3, "temperature": 0.8}
    a, b = store.add_branch_nodes(
        chapter, root.id, [" A gull.", " A bell."], "generated", "house:en", params, gid
    )
    (c,) = store.add_branch_nodes(chapter, b.id, [" Then rain."], "generated", "house:en")
    assert (root.status, root.provenance, store.branch_head(chapter)) == ("accepted", "written", root)
    assert (a.status, a.parent_id, a.params, a.generation_id) == ("candidate", root.id, params, gid)
    assert store.branch_children(root) == [a, b] and store.branch_children(c.id) == []
    assert [n.id for n in store.branch_path(c)] == [root.id, b.id, c.id]
    assert store.branch_roots(chapter) == [root]
    tree = store.branch_tree(chapter)
    assert tree.head_id == root.id and [n.id for n in tree.nodes] == [root.id, a.id, b.id, c.id]
    assert tree.children(root.id) == [a, b] and tree.path(c.id) == store.branch_path(c)


def test_choices_and_undo_survive_a_restart(store: Store, store_url: str, chapter: Document) -> None:
    root = store.append_node(chapter, "The tide turned.")
    a, b = store.add_branch_nodes(chapter, root.id, [" A gull.", " A bell."], "generated", "house:en")
    store.set_branch_status(a.id, "rejected")
    assert store.move_head(chapter, b.id, accept=True) == store.branch_node(b.id)
    (c,) = store.add_branch_nodes(chapter, b.id, [" Rain."], "generated", "house:en")
    store.move_head(chapter, c.id, accept=True)
    with open_store(store_url) as later:  # another process, later: the tree and its log are there
        assert later.branch_head(chapter) == later.branch_node(c.id)
        assert later.undo_head(chapter) == later.branch_node(b.id)
        assert later.branch_node(c.id).status == "candidate"  # the choice was taken back
    with open_store(store_url) as again:
        assert again.undo_head(chapter) == again.branch_node(root.id)
        statuses = [again.branch_node(i).status for i in (a.id, b.id, c.id)]
        assert statuses == ["rejected", "candidate", "candidate"]
        assert again.undo_head(chapter) is None  # before the first passage
        assert again.branch_node(root.id).status == "candidate"
        with pytest.raises(StoreError, match="Nothing to undo"):
            again.undo_head(chapter)
        assert len(again.branch_tree(chapter).nodes) == 4  # nothing is lost
        kinds = [(m.kind, m.from_node, m.to_node) for m in again.head_moves(chapter)]
    assert kinds == [
        ("move", None, root.id), ("move", root.id, b.id), ("move", b.id, c.id),
        ("undo", c.id, b.id), ("undo", b.id, root.id), ("undo", root.id, None),
    ]


def test_undo_skips_moves_already_undone(store: Store, chapter: Document) -> None:
    root = store.append_node(chapter, "Start.")
    a, b = store.add_branch_nodes(chapter, root.id, [" A.", " B."], "generated", "house:en")
    store.move_head(chapter, a.id, accept=True)
    store.undo_head(chapter)
    store.move_head(chapter, b.id, accept=True)  # a different choice after stepping back
    assert store.undo_head(chapter) == store.branch_node(root.id)
    assert store.undo_head(chapter) is None  # then past the first passage, not back to `a`
    assert [store.branch_node(i).status for i in (a.id, b.id)] == ["candidate", "candidate"]


def test_choosing_a_rejected_node_and_undoing_restores_rejected(store: Store, chapter: Document) -> None:
    root = store.append_node(chapter, "Start.")
    (a,) = store.add_branch_nodes(chapter, root.id, [" A."], "generated", "house:en")
    store.set_branch_status(a.id, "rejected")
    assert store.move_head(chapter, a.id, accept=True).status == "accepted"
    store.undo_head(chapter)
    assert store.branch_node(a.id).status == "rejected"


def test_bad_tree_operations_change_nothing(store: Store, chapter: Document) -> None:
    other = store.create_document("moonfall", "Chapter 2")
    root = store.append_node(chapter, "Start.")
    foreign = store.append_node(other, "Elsewhere.")

    def rows() -> list[tuple]:
        with store.engine.connect() as conn:
            return [tuple(r) for t in ("branch_nodes", "branch_heads", "branch_moves")
                    for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]

    before = rows()
    with pytest.raises(StoreError, match="another document"):
        store.add_branch_nodes(chapter, foreign.id, [" x"], "generated", "house:en")
    with pytest.raises(StoreError, match="another document"):
        store.move_head(chapter, foreign.id)
    with pytest.raises(InvalidRecord, match="generation 999"):
        store.add_branch_nodes(chapter, root.id, [" x"], "generated", "house:en", generation_id=999)
    with pytest.raises(InvalidRecord, match="must name the model"):
        store.add_branch_nodes(chapter, root.id, [" x"], "generated")
    with pytest.raises(InvalidRecord, match="Only generated text"):
        store.add_branch_nodes(chapter, root.id, [" x"], "written", "house:en")
    with pytest.raises(InvalidRecord, match="written passage"):
        store.add_branch_nodes(chapter, root.id, [" x"], "edited")
    with pytest.raises(InvalidRecord, match="list of strings"):
        store.add_branch_nodes(chapter, root.id, " x", "generated", "house:en")
    with pytest.raises(InvalidRecord, match="at least one"):
        store.add_branch_nodes(chapter, root.id, [], "generated", "house:en")
    with pytest.raises(StoreError, match="part of the current text"):
        store.set_branch_status(root.id, "rejected")
    with pytest.raises(InvalidRecord, match="candidate, accepted, rejected"):
        store.set_branch_status(root.id, "maybe")
    with pytest.raises(NotFound, match="No passage #999"):
        store.branch_path(999)
    with pytest.raises(NotFound, match="No document with id 999"):
        store.append_node(999, "x")
    assert rows() == before


def test_tree_writes_from_threads_keep_one_consistent_log(store: Store, chapter: Document) -> None:
    store.append_node(chapter, "Start.")
    errors: list[Exception] = []

    def writer(name: str) -> None:
        try:
            for i in range(5):
                store.append_node(chapter, f" {name}{i}.")
        except Exception as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    path = store.branch_path(store.branch_head(chapter))  # type: ignore[arg-type]
    assert len(path) == 16  # every append saw the previous head: one chain, no lost writes
    moves = store.head_moves(chapter)
    assert all(m.from_node == prev.to_node for prev, m in zip(moves, moves[1:], strict=False))


# --- canon facts ----------------------------------------------------------------------------
CANON_COLUMNS = {
    "id", "project_id", "subject", "relation", "value", "scene_id", "scene_order", "evidence",
    "source", "status", "created_at", "decided_at",
}


@dataclass
class _Fact:  # the shape of fabula.story.canon.Fact
    subject: str
    relation: str
    value: str
    scene_id: str
    scene_order: int
    evidence: str
    source: str
    status: str


def test_canon_facts_table_has_exactly_the_fact_columns(store: Store) -> None:
    assert {c["name"] for c in inspect_db(store.engine).get_columns("canon_facts")} == CANON_COLUMNS


def test_facts_are_kept_in_story_order_and_decided(store: Store) -> None:
    store.create_project("moonfall")
    died = {"subject": "Mara", "relation": "alive", "value": "no", "scene_id": "ch9", "scene_order": 9,
            "evidence": "Mara died at dawn.", "source": "extracted"}
    eyes = _Fact("Mara", "eye_colour", "green", "ch3", 3, "Mara's green eyes.", "written", "accepted")
    ids = store.add_facts("moonfall", [died, eyes])
    facts = store.facts("moonfall")
    assert [f.scene_order for f in facts] == [3, 9]  # story order, not insertion order
    assert facts[0].fact() == vars(eyes) and facts[0].decided_at is not None
    assert (facts[1].status, facts[1].decided_at) == ("proposed", None)
    assert [f.id for f in store.facts("moonfall", status="proposed")] == [ids[0]]
    [decided] = store.decide_facts([ids[0]], "accepted")
    assert decided.status == "accepted" and decided.decided_at is not None
    assert store.facts("moonfall", status="proposed") == []
    assert [f.status for f in store.decide_facts(ids, "rejected")] == ["rejected", "rejected"]


def test_bad_facts_store_nothing(store: Store) -> None:
    store.create_project("moonfall")
    good = {"subject": "Mara", "relation": "age", "value": "30", "scene_id": "ch1", "scene_order": 1,
            "source": "model"}
    with pytest.raises(InvalidRecord, match="Fact 2 has unknown field.s. colour"):
        store.add_facts("moonfall", [good, {**good, "colour": "red"}])
    with pytest.raises(InvalidRecord, match="Fact 1 has no scene_id"):
        store.add_facts("moonfall", [{k: v for k, v in good.items() if k != "scene_id"}])
    with pytest.raises(InvalidRecord, match="extracted, model, written"):
        store.add_facts("moonfall", [{**good, "source": "dream"}])
    with pytest.raises(InvalidRecord, match="integer"):
        store.add_facts("moonfall", [{**good, "scene_order": "1"}])
    with pytest.raises(InvalidRecord, match="non-empty text subject"):
        store.add_facts("moonfall", [{**good, "subject": " "}])
    assert store.facts("moonfall") == []
    [fid] = store.add_facts("moonfall", [good])
    with pytest.raises(NotFound, match="No canon fact with id 999; nothing was changed"):
        store.decide_facts([fid, 999], "accepted")
    with pytest.raises(InvalidRecord, match="'accepted' or 'rejected'"):
        store.decide_facts([fid], "proposed")
    assert store.facts("moonfall")[0].status == "proposed"
