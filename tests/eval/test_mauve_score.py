"""MAUVE on MiniLM features: the area computed by hand on small curves, and real runs."""

from __future__ import annotations

import numpy as np
import pytest

from fabula.errors import FabulaError
from fabula.eval import mauve
from fabula.eval.mauve_score import area

SEA = [f"The fishing boat number {i} sailed out across the grey sea at dawn." for i in range(20)]
BAKERY = [f"She baked {i} loaves of bread in the warm kitchen for the children." for i in range(20)]


def test_area_of_a_straight_curve_by_hand() -> None:
    # points (0, 1), (0.5, 0.5), (1, 0): under y(x) two trapezoids 0.5 * (1 + 0.5) / 2 + 0.5 * (0.5 + 0) / 2
    # = 0.375 + 0.125 = 0.5; the curve is symmetric, so under x(y) too: MAUVE = 0.5
    assert area(np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])) == pytest.approx(0.5)


def test_identical_histograms_score_one_whatever_the_order_of_ties() -> None:
    # p = q: every mixture point is (1, 1); with the extremes (1, 0) and (0, 1) the curve fills the
    # unit square. Ties at x = 1 must be walked along the curve, (1, 1) before (1, 0).
    for curve in ([[1, 0], [1, 1], [1, 1], [0, 1]], [[1, 1], [1, 0], [0, 1], [1, 1]]):
        assert area(np.array(curve, dtype=float)) == pytest.approx(1.0)


def test_mauve_ranks_distributions(minilm: None) -> None:
    same = mauve(SEA, SEA)
    assert same.value == pytest.approx(1.0)
    assert (same.buckets, same.generated, same.reference) == (2, 20, 20)  # k = max(2, round(20 / 10))
    apart = mauve(SEA, BAKERY)
    mixed = mauve(SEA[:10] + BAKERY[:10], SEA[10:] + BAKERY[10:])
    assert apart.value < 0.05
    assert mixed.value > 0.9
    assert mauve(SEA, BAKERY) == apart  # fixed settings and one thread: reproducible


def test_mauve_needs_enough_texts() -> None:
    with pytest.raises(FabulaError, match="10 or more generated texts"):
        mauve(SEA[:9], BAKERY)
