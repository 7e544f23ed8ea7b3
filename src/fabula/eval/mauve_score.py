"""MAUVE (Pillutla et al. 2021) between generated and reference texts, on MiniLM features.

`mauve-text` quantises the two sets of feature vectors together (PCA keeping 90 % of the variance,
then k-means into k buckets) and measures the area under the divergence curve of the two
histograms (its area is computed here, see `area`). Fabula fixes every setting, so numbers from one run compare with another: features are
the MiniLM text vectors (`fabula.eval.vectors`), k = max(2, round(min(|P|, |Q|) / 10)) (the
library's own rule, recorded in the result), scaling constant c = 5, 25 points on the curve, five
k-means restarts of at most 500 iterations, seed 25. MAUVE is meaningful only as a comparison
between systems measured against the same reference set with the same settings; its absolute
value moves with k, the features and the sample sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fabula.errors import BackendUnavailable
from fabula.eval.tokens import check_texts
from fabula.eval.vectors import text_vectors

__all__ = ["MIN_TEXTS", "Mauve", "area", "mauve"]

MIN_TEXTS = 10  # below this the histograms have too few points for k-means to mean anything
SCALING, CURVE_POINTS, KMEANS_REDO, KMEANS_ITER, EXPLAINED_VARIANCE, SEED = 5, 25, 5, 500, 0.9, 25


@dataclass(frozen=True)
class Mauve:
    value: float  # in (0, 1]; higher means the two sets are closer
    buckets: int  # k, the histogram size
    generated: int  # texts in each set
    reference: int


def mauve(generated: Sequence[str], reference: Sequence[str]) -> Mauve:
    """MAUVE of `generated` against `reference`, each a list of at least MIN_TEXTS texts."""
    p = check_texts(generated, what="generated texts", least=MIN_TEXTS)
    q = check_texts(reference, what="reference texts", least=MIN_TEXTS)
    try:
        import faiss
        from mauve import compute_mauve
    except ImportError:
        raise BackendUnavailable(
            "MAUVE needs mauve-text: pip install mauve-text==0.4.0 (it brings faiss-cpu)."
        ) from None
    faiss.omp_set_num_threads(1)  # k-means is reproducible only on one thread
    buckets = max(2, round(min(len(p), len(q)) / 10))
    out = compute_mauve(
        p_features=text_vectors(p, what="generated text"),
        q_features=text_vectors(q, what="reference text"),
        num_buckets=buckets,
        kmeans_explained_var=EXPLAINED_VARIANCE,
        kmeans_num_redo=KMEANS_REDO,
        kmeans_max_iter=KMEANS_ITER,
        mauve_scaling_factor=SCALING,
        divergence_curve_discretization_size=CURVE_POINTS,
        seed=SEED,
        verbose=False,
    )
    return Mauve(area(out.divergence_curve), buckets, len(p), len(q))


def area(curve: np.ndarray) -> float:
    """MAUVE from the divergence curve's points (x, y) = (exp(-c KL(Q|R)), exp(-c KL(P|R))): the mean
    of the areas under y(x) and under x(y), by trapezoids.

    Points are taken in curve order, ties broken along the curve (by x, then y descending), so two
    identical histograms, whose curve is (0, 1), (1, 1), (1, 0), score exactly 1. (mauve-text 0.4.0
    sorts ties arbitrarily and can give 0.75 there.)"""
    x, y = np.asarray(curve, dtype=float).T
    by_x = np.lexsort((-y, x))
    by_y = np.lexsort((-x, y))
    return float(0.5 * (np.trapezoid(y[by_x], x[by_x]) + np.trapezoid(x[by_y], y[by_y])))
