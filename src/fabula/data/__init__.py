"""Corpus preparation: one module per corpus, each writing split JSONL files and a data card.

    from fabula.data import prepare, read_split
    card, rebuilt = prepare("austen")          # cached; force=True rebuilds
    for doc in read_split("austen", "train"):  # Document(id, text, meta)
        ...

See docs/data.md for the corpora, their sources, cleaning and split rules.
"""

from __future__ import annotations

from fabula.data.corpus import SPLITS, Document, corpus_dir, read_split, write_corpus
from fabula.data.pipeline import Corpus, Status, status
from fabula.data.pipeline import prepare as _prepare
from fabula.data.registry import CORPORA, all_corpora, get_corpus

__all__ = [
    "CORPORA",
    "SPLITS",
    "Corpus",
    "Document",
    "Status",
    "all_corpora",
    "corpus_dir",
    "get_corpus",
    "prepare",
    "read_split",
    "status",
    "write_corpus",
]


def prepare(name: str, force: bool = False) -> tuple[dict, bool]:
    """Prepare the registered corpus `name` (cached); returns (card, rebuilt)."""
    return _prepare(get_corpus(name), force=force)
