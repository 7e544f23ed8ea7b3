"""Coherence and relevance by meaning: MiniLM cosine similarity between neighbours and to a premise.

- `adjacent_similarity(units)`: mean cosine similarity of each unit (sentence, scene) to the next.
- `sentence_coherence(texts)`: per text, the adjacent similarity of its sentences; averaged.
- `premise_similarity(texts, premises)`: mean cosine similarity of each text to its premise or outline.

Vectors come from `fabula.eval.vectors.text_vectors` (a long unit is the mean of its sentences,
so nothing past MiniLM's 256 word pieces is lost). Cosine similarity of MiniLM vectors lies in
[-1, 1] and in practice in about [0, 1] for English prose; it measures topical closeness, so a
text that repeats itself scores high: read it beside the repetition metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fabula.errors import FabulaError
from fabula.eval.tokens import check_texts
from fabula.eval.vectors import sentences, text_vectors

__all__ = ["adjacent_similarity", "premise_similarity", "sentence_coherence"]


def adjacent_similarity(units: Sequence[str]) -> float:
    """Mean of cos(u_i, u_i+1) over consecutive units, in their order; needs two or more units."""
    units = check_texts(units, what="units", least=2)
    return _adjacent(text_vectors(units, what="unit"))


def _adjacent(vectors: np.ndarray) -> float:
    return float(np.mean(np.sum(vectors[:-1] * vectors[1:], axis=1)))


def sentence_coherence(texts: Sequence[str]) -> float:
    """Mean over texts of the adjacent similarity of each text's sentences. A text of one sentence
    has no neighbours and is skipped; a FabulaError when no text has two sentences."""
    texts = check_texts(texts)
    split = [s for s in (sentences(t) for t in texts) if len(s) >= 2]
    if not split:
        raise FabulaError("Sentence coherence needs texts of two or more sentences; none has two.")
    vectors = text_vectors([s for parts in split for s in parts], what="sentence")
    scores, at = [], 0
    for parts in split:
        scores.append(_adjacent(vectors[at : at + len(parts)]))
        at += len(parts)
    return float(np.mean(scores))


def premise_similarity(texts: Sequence[str], premises: Sequence[str]) -> float:
    """Mean of cos(text_i, premise_i): how close each text stays to what it was asked to be about."""
    texts = check_texts(texts)
    premises = check_texts(premises, what="premises")
    if len(texts) != len(premises):
        raise FabulaError(f"Give one premise per text: {len(texts)} texts, {len(premises)} premises.")
    a, b = text_vectors(texts), text_vectors(premises, what="premise")
    return float(np.mean(np.sum(a * b, axis=1)))
