"""What every prepared corpus looks like on disk, and the split rule.

A corpus lives in `cache_dir()/corpora/<name>/` as `train.jsonl`,
`validation.jsonl` and `test.jsonl` (one document per line: id, text, meta)
plus `card.json`. Documents are assigned to splits by a hash of their id, so
the split is reproducible and never cuts a document in two.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fabula.atomic import write_text_atomic
from fabula.errors import FabulaError
from fabula.paths import cache_dir

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)


def corpus_dir(name: str) -> Path:
    return cache_dir() / "corpora" / name


def split_of(doc_id: str, validation: float = 0.05, test: float = 0.05) -> str:
    """Deterministic split by document id (stable across runs and machines)."""
    x = int(hashlib.sha256(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if x < test else "validation" if x < test + validation else "train"


def write_corpus(name: str, documents: Iterable[Document], card: dict) -> dict:
    """Deduplicate by normalised text, split by id, write atomically; returns the card."""
    seen: set[str] = set()
    parts: dict[str, list[str]] = {s: [] for s in SPLITS}
    counts = {s: {"documents": 0, "characters": 0} for s in SPLITS}
    for doc in documents:
        key = hashlib.sha256(" ".join(doc.text.split()).lower().encode()).hexdigest()
        if key in seen or not doc.text.strip():
            continue
        seen.add(key)
        split = split_of(doc.id)
        parts[split].append(json.dumps({"id": doc.id, "text": doc.text, "meta": doc.meta}, ensure_ascii=False))
        counts[split]["documents"] += 1
        counts[split]["characters"] += len(doc.text)
    folder = corpus_dir(name)
    for split, lines in parts.items():
        write_text_atomic(folder / f"{split}.jsonl", "\n".join(lines) + "\n")
    card = {**card, "name": name, "splits": counts, "split_rule": "sha256(id) → 90/5/5 train/validation/test"}
    write_text_atomic(folder / "card.json", json.dumps(card, indent=2, ensure_ascii=False))
    return card


def read_split(name: str, split: str) -> Iterator[Document]:
    path = corpus_dir(name) / f"{split}.jsonl"
    if not path.exists():
        raise FabulaError(f"Corpus '{name}' is not prepared. Run `fabula data prepare {name}`.")
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                yield Document(row["id"], row["text"], row.get("meta", {}))
