"""What every prepared corpus looks like on disk.

A corpus lives in `cache_dir()/corpora/<name>/` as `train.jsonl`,
`validation.jsonl` and `test.jsonl` (one document per line:
`{"id": str, "text": str, "meta": {...}}`) plus `card.json` and `card.md`
(the data card). `write_corpus` deduplicates, splits by document
(`fabula.data.split`) and writes everything atomically.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fabula.atomic import write_text_atomic
from fabula.data.card import build_card, render_card
from fabula.data.split import SPLITS, dedupe_key, split_of
from fabula.errors import FabulaError
from fabula.paths import cache_dir

__all__ = ["Document", "SPLITS", "corpus_dir", "read_split", "write_corpus", "split_of"]


@dataclass(frozen=True)
class Document:
    """One unit that is never cut across splits (a scene, chapter, poem, fortune).

    `meta` holds short labels (`lang`, `source`, `genre`, `style`, `form`,
    `title`, `author`, `tune`, ...). `group`, when set, is the split key
    instead of `id`: documents sharing a group always share a split (the
    Chinese corpora use a hash of the poem's text, so a poem that is in
    two corpora is in the same split in both).
    """

    id: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)
    group: str = ""

    @property
    def split_key(self) -> str:
        return self.group or self.id


def corpus_dir(name: str) -> Path:
    return cache_dir() / "corpora" / name


def write_corpus(
    name: str, documents: Iterable[Document], card: dict, stats: Counter[str] | None = None
) -> dict:
    """Deduplicate, split by document, write the three JSONL files and the card; returns the card.

    `card` carries what the corpus knows about itself (source, licence,
    cleaning rules...); counts per split and per label are added here.
    `stats` (dropped documents by reason, other checks) goes into the card too.
    """
    stats = Counter() if stats is None else stats
    seen_text: set[str] = set()
    seen_ids: set[str] = set()
    parts: dict[str, list[Document]] = {s: [] for s in SPLITS}
    for doc in documents:
        if not doc.text.strip():
            stats["dropped: empty"] += 1
            continue
        key = dedupe_key(doc.text)
        if key in seen_text:
            stats["dropped: duplicate"] += 1
            continue
        if doc.id in seen_ids:
            raise FabulaError(
                f"Corpus '{name}' has two different documents with id {doc.id!r} (a bug in its module)."
            )
        seen_text.add(key)
        seen_ids.add(doc.id)
        parts[split_of(doc.split_key)].append(doc)
    folder = corpus_dir(name)
    for split, docs in parts.items():
        lines = (json.dumps({"id": d.id, "text": d.text, "meta": d.meta}, ensure_ascii=False) for d in docs)
        write_text_atomic(folder / f"{split}.jsonl", "".join(line + "\n" for line in lines))
    full = build_card(name, card, parts, stats)
    write_text_atomic(folder / "card.json", json.dumps(full, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(folder / "card.md", render_card(full))
    return full


def read_split(name: str, split: str) -> Iterator[Document]:
    """The documents of one split of a prepared corpus, in file order."""
    if split not in SPLITS:
        raise FabulaError(f"Unknown split '{split}': use one of {', '.join(SPLITS)}.")
    path = corpus_dir(name) / f"{split}.jsonl"
    if not path.exists():
        raise FabulaError(f"Corpus '{name}' is not prepared. Run `fabula data prepare {name}`.")
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                yield Document(row["id"], row["text"], row.get("meta", {}))
