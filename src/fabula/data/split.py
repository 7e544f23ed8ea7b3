"""Deduplication and the train/validation/test split, by whole document.

A document's split is a pure function of its split key (its `group`, or its
id): sha256 of the key, read as a number in [0, 1], against fixed 5 % / 5 %
thresholds. Nothing depends on the order or number of documents, so the same
document lands in the same split on every machine and every run, and adding
a document never moves another. Lines are never split apart: a document is
the unit (a scene, a chapter, a poem).

Duplicates are found on a normalised form of the text (Unicode NFKC,
case-folded, letters and digits only) before splitting; the first
occurrence in the corpus's own order wins.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["SPLITS", "SPLIT_RULE", "VALIDATION", "TEST", "split_of", "dedupe_key", "normalise"]

SPLITS = ("train", "validation", "test")
VALIDATION = 0.05
TEST = 0.05
SPLIT_RULE = (
    "by document: sha256(split key) → test if < 5 %, validation if < 10 %, else train "
    "(split key = the document's group, else its id); duplicates (NFKC, case-folded, "
    "letters and digits only) removed first, first occurrence kept"
)

_NOT_WORD = re.compile(r"[\W_]+")


def split_of(key: str, validation: float = VALIDATION, test: float = TEST) -> str:
    """The split of a document with split key `key` (stable across runs and machines)."""
    x = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if x < test else "validation" if x < test + validation else "train"


def normalise(text: str) -> str:
    """The form duplicates are compared in: NFKC, case-folded, letters and digits only."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def dedupe_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()
