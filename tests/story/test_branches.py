"""Continuation trees over the store with a real (tiny, random) model: `local` from tests/conftest.py."""

from collections.abc import Iterator

import pytest

from fabula.backends import Backend
from fabula.backends.base import Completion
from fabula.store import Document, Passage, Store, open_store
from fabula.story import branches
from fabula.story.branches import BranchError


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store() as opened:  # SQLite in this test's private FABULA_HOME
        yield opened


@pytest.fixture
def chapter(store: Store) -> Document:
    document = store.create_document(store.create_project("moonfall"), "Chapter 1")
    branches.write(store, document, "The sea was calm that night.\n")
    return document


def test_alternatives_are_stored_under_the_head_and_logged(
    store: Store, local: Backend, chapter: Document
) -> None:
    head = store.branch_head(chapter)
    nodes = branches.continue_text(store, local, chapter, n=3, words=6, seed=5)
    assert store.branch_head(chapter) == head  # asking for alternatives does not choose one
    assert store.branch_children(head) == nodes  # type: ignore[arg-type]
    assert {(n.status, n.provenance, n.model) for n in nodes} == {("candidate", "generated", local.spec)}
    assert all(len(n.text.split()) <= 6 for n in nodes)
    [row] = store.list_generations()
    assert {n.generation_id for n in nodes} == {row.id} and row.project_id == chapter.project_id
    assert row.prompt == "The sea was calm that night."  # the written passage, trailing newline dropped
    assert (row.options["n"], row.options["seed"], len(row.outputs)) == (3, 5, 3)
    assert nodes[0].params == row.options and row.completion_tokens and row.duration_ms
    assert all(out.startswith(n.text.rstrip()) for out, n in zip(row.outputs, nodes, strict=True))


def test_a_seed_reproduces_the_alternatives(store: Store, local: Backend, chapter: Document) -> None:
    twin = store.create_document("moonfall", "Chapter 1, again")
    branches.write(store, twin, "The sea was calm that night.")
    first = branches.continue_text(store, local, chapter, n=2, words=8, seed=11)
    second = branches.continue_text(store, local, twin, n=2, words=8, seed=11)
    other = branches.continue_text(store, local, twin, n=2, words=8, seed=12)
    assert [n.text for n in first] == [n.text for n in second] != [n.text for n in other]


def test_a_long_story_is_fitted_into_the_context_keeping_its_end(store: Store, local: Backend) -> None:
    document = store.create_document(store.create_project("saga"), "Book")
    long_text = " ".join(f"Day {i} was long and the lamps burned low." for i in range(80))
    branches.write(store, document, long_text)
    branches.continue_text(store, local, document, n=1, words=10, seed=1)
    [row] = store.list_generations()
    assert branches.current_text(store, document).endswith(row.prompt)  # the tail, cut at a word
    assert row.prompt.endswith("Day 79 was long and the lamps burned low.")
    assert row.prompt_tokens + 15 <= local.context_length  # room left for the 10 words (15 tokens)


def test_choose_reject_undo_and_commit(store: Store, local: Backend, chapter: Document) -> None:
    first, second, third = branches.continue_text(store, local, chapter, n=3, words=5, seed=2)
    assert branches.reject(store, chapter, 1).status == "rejected"
    chosen = branches.choose(store, chapter, "2")
    assert chosen.id == second.id and chosen.status == "accepted" and store.branch_head(chapter) == chosen
    assert [store.branch_node(n.id).status for n in (first, third)] == ["rejected", "candidate"]
    (deeper,) = branches.continue_text(store, local, chapter, n=1, words=5, seed=3)
    branches.choose(store, chapter, deeper)
    assert branches.current_text(store, chapter) == "The sea was calm that night." + second.text + deeper.text
    version = branches.commit(store, chapter)
    assert version.text == branches.current_text(store, chapter)
    assert [(p.provenance, p.model, p.generation_id) for p in version.passages] == [
        ("written", None, None),
        ("generated", local.spec, second.generation_id),
        ("generated", local.spec, deeper.generation_id),
    ]
    assert version.message == f"continuation up to #{deeper.id} (2 generated, 1 written)"
    assert branches.undo(store, chapter) == store.branch_node(second.id)
    assert branches.undo(store, chapter).id == store.branch_roots(chapter)[0].id  # type: ignore[union-attr]
    assert branches.choose(store, chapter, f"#{first.id}").status == "accepted"  # a rejected one, after all
    assert branches.current_text(store, chapter) == "The sea was calm that night." + first.text


def test_bad_picks_say_what_to_pick(store: Store, local: Backend, chapter: Document) -> None:
    with pytest.raises(BranchError, match="No alternatives after the current text"):
        branches.choose(store, chapter, 1)
    nodes = branches.continue_text(store, local, chapter, n=2, words=4, seed=1)
    with pytest.raises(BranchError, match="has 2 alternative.s. after the current text: pick 1 to 2"):
        branches.choose(store, chapter, 3)
    with pytest.raises(BranchError, match="by number .1, 2, .... or by passage id"):
        branches.choose(store, chapter, "second")
    other = store.create_document("moonfall", "Chapter 2")
    with pytest.raises(BranchError, match="belongs to another document"):
        branches.choose(store, other, f"#{nodes[0].id}")
    branches.choose(store, chapter, 1)
    with pytest.raises(BranchError, match="already the end of the current text"):
        branches.choose(store, chapter, f"#{nodes[0].id}")


def test_requests_that_cannot_be_met(store: Store, local: Backend) -> None:
    empty = store.create_document(store.create_project("blank"), "Nothing yet")
    with pytest.raises(BranchError, match="--text FILE"):
        branches.continue_text(store, local, empty)
    with pytest.raises(BranchError, match="empty"):
        branches.write(store, empty, "  \n")
    branches.write(store, empty, "Now something.")
    with pytest.raises(BranchError, match=r"context \(128 tokens\).*fewer with --words"):
        branches.continue_text(store, local, empty, words=200)
    assert branches.undo(store, empty) is None
    with pytest.raises(BranchError, match="no accepted text to commit"):
        branches.commit(store, empty)
    assert store.list_generations() == []  # refused before any model call


def test_written_passages_are_joined_with_a_space(store: Store, chapter: Document) -> None:
    node = branches.write(store, chapter, "She opened the letter.")
    assert node.text == " She opened the letter." and node.provenance == "written"
    assert branches.current_text(store, chapter) == "The sea was calm that night. She opened the letter."


def test_render_tree_shows_ids_marks_numbers_and_head(store: Store) -> None:
    document = store.create_document(store.create_project("tree"), "Ch")
    root = store.append_node(document, "It was a bright cold day in April, and the clocks struck thirteen.")
    texts = [" A gull cried.", " A bell\x07 rang.", " Rain."]  # a control character is not shown
    a, b, c = store.add_branch_nodes(document, root.id, texts, "generated", "house:en")
    (d,) = store.add_branch_nodes(document, b.id, [" Then nothing."], "written")
    e, f = store.add_branch_nodes(document, d.id, [" One.", " Two."], "generated", "house:en")
    store.set_branch_status(c.id, "rejected")
    branches.choose(store, document, b)
    branches.choose(store, document, d)
    assert branches.render_tree(store, document) == "\n".join([
        f"Ch: 7 passages (accepted 3, candidate 3, rejected 1), head #{d.id}."
        "   [+ accepted  ? candidate  x rejected]",
        f'#{root.id} + written | It was a bright cold day in April,…',
        f'├─ #{a.id} ? house:en | A gull cried.',
        f'├─ #{b.id} + house:en | A bell rang.',
        f'│  #{d.id} + written | Then nothing.  <- head',
        f'│  ├─ 1) #{e.id} ? house:en | One.',
        f'│  └─ 2) #{f.id} ? house:en | Two.',
        f'└─ #{c.id} x house:en | Rain.',
    ])
    assert branches.render_tree(store, store.create_document("tree", "Empty")) == "Empty: no passages yet."


@pytest.mark.parametrize(
    ("text", "finish", "words", "expected"),
    [
        (" One two three four. Five six", "length", 10, " One two three four."),  # out of tokens
        (" One two three four. Five six", "stop", 10, " One two three four. Five six"),  # the model ended it
        (" One. Two three four five six", "length", 10, " One. Two three four five six"),  # too early to cut
        (" A b c. D e f g h. I j", "stop", 9, " A b c. D e f g h."),  # cut at 9 words, then at the sentence
        (' He said, "Go." Then she', "length", 10, ' He said, "Go."'),  # a closing quote stays
        (" No sentence end at all here", "length", 3, " No sentence end"),
        ("\n\nThe end.  \n", "stop", 5, "\n\nThe end."),
    ],
)
def test_clip_keeps_whole_sentences(text: str, finish: str, words: int, expected: str) -> None:
    assert branches._clip(Completion(0, text, finish_reason=finish), words) == expected


def test_commit_keeps_passage_provenance_as_store_passages(store: Store, chapter: Document) -> None:
    head = store.branch_head(chapter)
    assert head is not None
    (alt,) = store.add_branch_nodes(chapter, head.id, [" Gen."], "generated", "hf:x", {"seed": 1})
    branches.choose(store, chapter, alt)
    version = branches.commit(store, chapter, message="first draft", author="ana")
    stored = version.passages[1]
    assert stored == Passage(" Gen.", "generated", "hf:x", {"seed": 1}, id=stored.id)
    assert (version.message, version.author, store.current_text(chapter)) == (
        "first draft", "ana", "The sea was calm that night. Gen."
    )
