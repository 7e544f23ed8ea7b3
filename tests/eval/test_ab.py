"""Blind A/B from piped answers: the order shown, what is stored, the tally and its sign test."""

from __future__ import annotations

import io

import pytest

from fabula.errors import FabulaError
from fabula.eval.ab import ab_pairs, run_ab, sign_test, tally
from fabula.eval.runs import Sample, create_run, finish_run, judgements, store_task
from fabula.store import Store


def _run(store: Store, suite: str, word: str, prompts: int = 8) -> int:
    run = create_run(store, suite, "h" * 64, f"hf:{word}", "0.1.0", None, {})
    samples = [Sample("t", i, f"prompt {i}", 0.8, 1, 0, f"hf:{word}", f"{word} text {i}") for i in range(prompts)]
    store_task(store, run.id, "t", samples, [], 0.1)
    return finish_run(store, run.id).id


def test_the_writer_always_picking_a_makes_a_win(eval_store: Store) -> None:
    a, b = _run(eval_store, "s", "alpha"), _run(eval_store, "s", "beta")
    pairs = ab_pairs(eval_store, a, b, n=8, seed=7)
    assert {x[2] for x in pairs} == {True, False}  # both orders are shown
    answers = ["1" if a_first else "2" for _, _, a_first in pairs]  # whichever number shows A's text
    shown = io.StringIO()
    result = run_ab(eval_store, a, b, io.StringIO("\n".join(answers) + "\n"), shown, n=8, seed=7)
    assert (result.a, result.b, result.ties, result.skips) == (8, 0, 0, 0)
    assert result.p_value == pytest.approx(2 / 2**8) and result.winner == "A"
    assert f"run {a} (A) wins" in result.render()
    page = shown.getvalue()
    assert "alpha" in page and "beta" in page and f"run {a}" not in page and "hf:alpha" not in page  # no labels
    stored = judgements(eval_store, a, b)
    assert [j.choice for j in stored] == ["a"] * 8
    assert [j.shown_first for j in stored] == ["a" if f else "b" for _, _, f in pairs]
    assert [(j.sample_a, j.sample_b) for j in stored] == [(sa.id, sb.id) for sa, sb, _ in pairs]
    assert tally(eval_store, b, a).b == 8  # seen the other way round, the same judgements favour A


def test_ties_skips_bad_answers_and_quitting(eval_store: Store) -> None:
    a, b = _run(eval_store, "s", "alpha"), _run(eval_store, "s", "beta")
    shown = io.StringIO()
    result = run_ab(eval_store, a, b, io.StringIO("maybe\ntie\nskip\nq\n1\n"), shown, n=5, seed=1)
    assert (result.a, result.b, result.ties, result.skips) == (0, 0, 1, 1)  # q stopped before the "1"
    assert "'maybe' is not an answer" in shown.getvalue()
    assert result.winner == "neither" and result.p_value == 1.0
    assert [j.choice for j in judgements(eval_store, a, b)] == ["tie", "skip"]
    ended = run_ab(eval_store, a, b, io.StringIO("2\n"), io.StringIO(), n=3, seed=1)  # input ends after one
    assert ended.a + ended.b == 1


def test_runs_of_different_suites_are_refused(eval_store: Store) -> None:
    a, b = _run(eval_store, "s", "alpha"), _run(eval_store, "other", "beta")
    with pytest.raises(FabulaError, match="one suite"):
        ab_pairs(eval_store, a, b, n=3)


def test_sign_test_by_hand() -> None:
    assert sign_test(8, 0) == 2 / 256
    assert sign_test(9, 1) == 2 * (1 + 10) / 1024
    assert sign_test(5, 5) == 1.0 and sign_test(0, 0) == 1.0
    assert sign_test(1, 3) == sign_test(3, 1) == min(1.0, 2 * (1 + 4) / 16)
