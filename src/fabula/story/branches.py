"""Continuations as a tree: ask for n alternatives, choose one, reject, undo, commit.

A document's text is the path from a root to its head. `continue_text` samples `n` alternatives
after the head in one batch (the prompt is the end of that text that fits the model's context,
via `fit_prompt`), logs the call in the generation log and keeps every alternative as a candidate
node. `choose` accepts one and moves the head to it; the others stay as they are, so nothing is
lost, and `undo` (which reads the head log in the store) steps back through choices, in this
process or a later one. `commit` turns the current path into a store version, a passage per node.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import cast

from fabula.backends.base import Backend, Chunk, Completion, collect
from fabula.backends.options import GenerationOptions
from fabula.engine.constraints import Constraint, Without
from fabula.errors import FabulaError
from fabula.generation_log import make_record
from fabula.store import Passage, Store, Version
from fabula.store.records import BranchTree, Document, Node
from fabula.story.draft import fit_prompt

__all__ = [
    "BranchError",
    "Pick",
    "accepted_text",
    "choose",
    "commit",
    "continue_text",
    "current_text",
    "pick_node",
    "reject",
    "render_tree",
    "undo",
    "write",
]

# A candidate: its number among the head's alternatives (1, 2, ... or "2"), "#id", or the node.
Pick = int | str | Node

TOKENS_PER_WORD = 1.5  # generous for English BPEs, so the word budget (not max_tokens) ends a passage
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]?")
_MARKS = {"accepted": "+", "candidate": "?", "rejected": "x"}


class BranchError(FabulaError):
    """A continuation request that cannot be met; the message says what to do instead."""


# --- growing the tree -----------------------------------------------------------------------
def write(store: Store, document: Document, text: str) -> Node:
    """Add the writer's own passage after the head, accepted, and move the head to it."""
    text = text.rstrip()  # a prompt ending in whitespace makes a BPE model start the next word oddly
    if not text:
        raise BranchError("The passage is empty: give some text (--text FILE, or --text - for stdin).")
    if store.branch_head(document) is not None and not text[0].isspace():
        text = " " + text  # passages are joined as they are: keep the words apart
    return store.append_node(document, text, "written")


def continue_text(
    store: Store,
    backend: Backend,
    document: Document,
    n: int = 3,
    words: int = 60,
    seed: int | None = None,
    options: GenerationOptions | None = None,
) -> list[Node]:
    """Sample `n` alternatives of at most `words` words after the head; they are stored as
    candidate children of the head (which does not move) and returned in order.

    `options` sets sampling (temperature, top_p, penalties...); n, max_tokens and seed come from
    the arguments. The call is logged in the generation log and each node names its row.
    """
    if words < 1:
        raise BranchError(f"Ask for at least one word (--words), not {words}.")
    head = store.branch_head(document)
    if head is None:
        raise BranchError(
            f"'{document.title}' has no text to continue yet: give its opening with "
            "`fabula continue PROJECT DOCUMENT --text FILE` (or --text - to read standard input)."
        )
    max_tokens = math.ceil(words * TOKENS_PER_WORD)
    try:
        prompt, _ = fit_prompt(backend, [], accepted_text(store.branch_path(head)), max_tokens)
    except FabulaError as error:  # fit_prompt's only refusal: no room left for a prompt
        raise BranchError(
            f"{backend.spec}'s context ({backend.context_length} tokens) has no room for {words} words "
            "after the story so far; ask for fewer with --words."
        ) from error
    base = options or GenerationOptions(temperature=0.8, top_p=0.95)
    opts = GenerationOptions(**{**base.model_dump(), "n": n, "max_tokens": max_tokens, "seed": seed})
    completions, generation_id = _generate_logged(store, backend, document, prompt, opts)
    texts = [_clip(c, words) for c in completions]
    params = opts.model_dump(mode="json")
    return store.add_branch_nodes(document, head.id, texts, "generated", backend.spec, params, generation_id)


def _generate_logged(
    store: Store, backend: Backend, document: Document, prompt: str, opts: GenerationOptions
) -> tuple[list[Completion], int]:
    """Run the batch and log it as `fabula generate` does (prompt without a house header)."""
    started = datetime.now(timezone.utc)
    first: list[float] = []
    t0 = time.perf_counter()
    completions = collect(_timed(backend.stream(prompt, opts, _no_end(backend)), first), opts.n)
    elapsed = time.perf_counter() - t0
    ttft = first[0] - t0 if first else None
    record = make_record(backend.spec, prompt, opts, completions, backend.last_usage, started, ttft, elapsed,
                         document.project_id)
    return completions, store.log_generation(record)


def _timed(chunks: Iterator[Chunk], first: list[float]) -> Iterator[Chunk]:
    for chunk in chunks:
        if not first:
            first.append(time.perf_counter())
        yield chunk


def _no_end(backend: Backend) -> Constraint | None:
    """End-of-text is never sampled: an alternative that stops at once is no alternative."""
    tok = backend.tokenizer
    return Without(tok.eos_token_ids) if backend.supports_constraints and tok is not None else None


def _clip(completion: Completion, words: int) -> str:
    """At most `words` words; when cut (or out of tokens), end at the last full sentence if one
    ends in the second half, so a passage does not stop mid-sentence."""
    text = completion.text
    spans = list(re.finditer(r"\S+", text))
    cut = len(spans) > words
    if cut:
        text = text[: spans[words - 1].end()]
    text = text.rstrip()
    if cut or completion.finish_reason == "length":
        ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        if ends and ends[-1] > len(text) // 2:
            text = text[: ends[-1]]
    return text


# --- decisions ------------------------------------------------------------------------------
def pick_node(store: Store, document: Document, pick: Pick) -> Node:
    """The node `pick` names: a number among the head's alternatives, "#id", or a node."""
    if isinstance(pick, Node):
        node = pick
    elif isinstance(pick, str) and pick.startswith("#") and pick[1:].isdigit():
        node = store.branch_node(int(pick[1:]))
    elif isinstance(pick, int) or (isinstance(pick, str) and pick.isdigit()):
        return _numbered(store, document, int(pick))
    else:
        raise BranchError(f"Choose by number (1, 2, ...) or by passage id (#12), not {pick!r}.")
    if node.document_id != document.id:
        raise BranchError(f"Passage #{node.id} belongs to another document, not '{document.title}'.")
    return node


def _numbered(store: Store, document: Document, k: int) -> Node:
    head = store.branch_head(document)
    options = store.branch_roots(document) if head is None else store.branch_children(head)
    if not options:
        raise BranchError(
            f"No alternatives after the current text of '{document.title}': ask for some with "
            "`fabula continue PROJECT DOCUMENT`."
        )
    if not 1 <= k <= len(options):
        raise BranchError(
            f"'{document.title}' has {len(options)} alternative(s) after the current text: pick 1 to "
            f"{len(options)}, or a passage by id (#12) from `fabula continue tree PROJECT DOCUMENT`."
        )
    return options[k - 1]


def choose(store: Store, document: Document, pick: Pick) -> Node:
    """Accept one alternative and make it the head; its siblings keep their status."""
    node = pick_node(store, document, pick)
    head = store.branch_head(document)
    if head is not None and head.id == node.id:
        raise BranchError(f"Passage #{node.id} is already the end of the current text.")
    return cast(Node, store.move_head(document, node.id, accept=True))  # a move to a node returns it


def reject(store: Store, document: Document, pick: Pick) -> Node:
    """Mark an alternative rejected (kept in the tree; `choose` can still take it)."""
    return store.set_branch_status(pick_node(store, document, pick).id, "rejected")


def undo(store: Store, document: Document) -> Node | None:
    """Step back over the last choice (or written passage); returns the new head."""
    return store.undo_head(document)


def commit(store: Store, document: Document, message: str = "", author: str = "") -> Version:
    """Save the current path as the document's next version, a passage (with provenance) per node."""
    head = store.branch_head(document)
    if head is None:
        raise BranchError(
            f"'{document.title}' has no accepted text to commit yet: choose or write a passage first "
            "(`fabula continue tree PROJECT DOCUMENT` lists them)."
        )
    path = store.branch_path(head)
    passages = [Passage(n.text, n.provenance, n.model, n.params, n.generation_id) for n in path]
    mix = Counter(n.provenance for n in path)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(mix.items()))
    message = message or f"continuation up to #{head.id} ({summary})"
    return store.commit_version(document, passages, message, author)


# --- reading --------------------------------------------------------------------------------
def accepted_text(path: list[Node]) -> str:
    """The text of a path of passages (they carry their own whitespace)."""
    return "".join(n.text for n in path)


def current_text(store: Store, document: Document) -> str:
    """The text from the root to the head ("" before the first passage)."""
    head = store.branch_head(document)
    return "" if head is None else accepted_text(store.branch_path(head))


def render_tree(store: Store, document: Document, first_words: int = 8) -> str:
    """The tree as text: one line per passage with its id, status mark, origin and first words.

    A passage with one child is followed by it at the same indent, so a long accepted path reads
    as a column; alternatives branch. The head's alternatives are numbered as `choose` takes them.
    """
    tree = store.branch_tree(document)
    lines = [_summary(document, tree)]
    numbered = {n.id: k for k, n in enumerate(tree.children(tree.head_id), start=1)}
    stack = [(n, lead, prefix) for n, lead, prefix in _branch(tree.children(None), "")][::-1]
    while stack:
        node, lead, prefix = stack.pop()
        number = f"{numbered[node.id]}) " if node.id in numbered else ""
        here = "  <- head" if node.id == tree.head_id else ""
        label = f"#{node.id} {_MARKS[node.status]} {_origin(node)} | {_opening(node.text, first_words)}"
        lines.append(f"{lead}{number}{label}{here}")
        stack.extend(_branch(tree.children(node.id), prefix)[::-1])
    return "\n".join(lines)


def _branch(kids: list[Node], prefix: str) -> list[tuple[Node, str, str]]:
    """(node, line lead, prefix for its children) for each sibling: one child continues in line."""
    if len(kids) == 1:
        return [(kids[0], prefix, prefix)]
    last = len(kids) - 1
    return [
        (kid, prefix + ("└─ " if i == last else "├─ "), prefix + ("   " if i == last else "│  "))
        for i, kid in enumerate(kids)
    ]


def _summary(document: Document, tree: BranchTree) -> str:
    if not tree.nodes:
        return f"{document.title}: no passages yet."
    counts = Counter(n.status for n in tree.nodes)
    parts = ", ".join(f"{s} {counts[s]}" for s in ("accepted", "candidate", "rejected") if counts[s])
    head = f"head #{tree.head_id}" if tree.head_id is not None else "no head (everything undone)"
    legend = "  ".join(f"{mark} {status}" for status, mark in _MARKS.items())
    return f"{document.title}: {len(tree.nodes)} passages ({parts}), {head}.   [{legend}]"


def _origin(node: Node) -> str:
    return node.model if node.provenance == "generated" and node.model else node.provenance


def _opening(text: str, words: int) -> str:
    flat = "".join(ch if ch.isprintable() else " " for ch in text).split()  # no bells in a terminal
    return " ".join(flat[:words]) + ("…" if len(flat) > words else "")
