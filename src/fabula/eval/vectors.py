"""MiniLM vectors for whole texts, however long, and the sentences the embedding metrics read.

all-MiniLM-L6-v2 reads at most 256 word pieces and silently drops the rest, so a scene embedded
whole is judged by its first paragraph. A text's vector here is the mean of its sentences'
embeddings (`fabula.story.embeddings.embed`), L2-normalised: every sentence counts, and a
one-sentence text gets exactly its embedding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from fabula.errors import FabulaError
from fabula.eval.tokens import HAN

__all__ = ["sentences", "text_vectors"]

# A Chinese sentence ends at 。！？；… (and any closing quotes) whatever follows.
_ZH_SENTENCE = re.compile(r".+?(?:[。！？；!?…]+[」』”’）]*|$)", re.DOTALL)


def sentences(text: str) -> list[str]:
    """`text` as sentences: the story summariser's English splitter (`split_sentences`), or for text
    with Chinese characters a split after 。！？； and …; blank lines always end one."""
    if HAN.search(text):
        parts = [p for para in re.split(r"\n\s*\n", text) for p in _ZH_SENTENCE.findall(para)]
        return [" ".join(p.split()) for p in parts if p.strip()]
    from fabula.story.summarize import split_sentences

    return split_sentences(text)


def text_vectors(texts: Sequence[str], what: str = "text") -> np.ndarray:
    """One unit vector per text (shape (len(texts), 384)): the normalised mean of its sentence embeddings."""
    from fabula.story.embeddings import embed

    split = [sentences(t) for t in texts]
    empty = [i for i, s in enumerate(split) if not s]
    if empty:
        raise FabulaError(
            f"The {what} at position {empty[0]} is empty; embedding metrics need text in every {what}."
        )
    flat = embed([s for parts in split for s in parts])
    out = np.zeros((len(texts), flat.shape[1]), dtype=np.float32)
    at = 0
    for i, parts in enumerate(split):
        mean = flat[at : at + len(parts)].mean(axis=0)
        out[i] = mean / np.linalg.norm(mean)
        at += len(parts)
    return out
