"""Blind A/B: a writer reads two outputs for the same prompt, unlabelled, and picks one.

Pairs are samples of two runs of the same suite with the same key (task, prompt, temperature,
seed, sample), drawn with `random.Random(seed)`, which also decides per pair which run is shown
as 1. Answers are read line by line (1, 2, tie, skip; q stops), so a test or a script can pipe
them in. Every answer is stored (`ab_judgements`) with the order it was shown in.

The winner is judged by a two-sided exact sign test over the decisive answers (ties and skips
left out): under "no preference" each decisive answer is a fair coin, so
p = min(1, 2 * P[X <= min(wins)]) with X ~ Binomial(decisive, 1/2).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from math import comb
from typing import TextIO

from fabula.errors import FabulaError
from fabula.eval.runs import Judgement, Sample, add_judgement, get_run, judgements, run_samples
from fabula.store import Store

__all__ = ["Tally", "ab_pairs", "run_ab", "sign_test", "tally"]

_ANSWERS = {"1": "1", "2": "2", "t": "tie", "tie": "tie", "=": "tie", "s": "skip", "skip": "skip", "": "skip"}
_STOP = {"q", "quit"}


@dataclass(frozen=True)
class Tally:
    run_a: int
    run_b: int
    a: int
    b: int
    ties: int
    skips: int

    @property
    def p_value(self) -> float:
        return sign_test(self.a, self.b)

    @property
    def winner(self) -> str:
        """"A", "B", or "neither" (no decisive answer, or p >= 0.05)."""
        if self.a == self.b or self.p_value >= 0.05:
            return "neither"
        return "A" if self.a > self.b else "B"

    def render(self) -> str:
        verdict = {"A": f"run {self.run_a} (A) wins", "B": f"run {self.run_b} (B) wins",
                   "neither": "no clear winner"}[self.winner]
        return (f"A = run {self.run_a}: {self.a}, B = run {self.run_b}: {self.b}, ties {self.ties}, "
                f"skipped {self.skips}; sign test p = {self.p_value:.3g}: {verdict}.")


def sign_test(wins_a: int, wins_b: int) -> float:
    """Two-sided exact binomial test of wins_a vs wins_b against a fair coin (1.0 with no decisive answer)."""
    n = wins_a + wins_b
    if n == 0:
        return 1.0
    k = min(wins_a, wins_b)
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2**n)


def ab_pairs(store: Store, run_a: int, run_b: int, n: int, seed: int = 0) -> list[tuple[Sample, Sample, bool]]:
    """Up to `n` pairs (sample of A, sample of B, whether A is shown first), drawn with `seed`."""
    a, b = get_run(store, run_a), get_run(store, run_b)
    if a.suite != b.suite:
        raise FabulaError(f"Run {a.id} is of suite {a.suite} and run {b.id} of {b.suite}: A/B pairs outputs for the "
                          "same prompt, so both runs must be of one suite.")
    if n < 1:
        raise FabulaError(f"--n {n}: ask for at least 1 pair.")
    by_key = {s.key: s for s in run_samples(store, b.id)}
    common = [(s, by_key[s.key]) for s in run_samples(store, a.id) if s.key in by_key]
    if not common:
        raise FabulaError(f"Runs {a.id} and {b.id} share no prompt and setting to compare; run the same suite again.")
    rng = random.Random(seed)
    picked = rng.sample(common, min(n, len(common)))
    return [(sa, sb, rng.random() < 0.5) for sa, sb in picked]


def run_ab(store: Store, run_a: int, run_b: int, answers: Iterable[str], out: TextIO, n: int = 10, seed: int = 0,
           judge: str = "") -> Tally:
    """Show the pairs on `out`, read one answer per pair from `answers` (e.g. sys.stdin), store each."""
    lines: Iterator[str] = iter(answers)
    counts = {"a": 0, "b": 0, "tie": 0, "skip": 0}
    pairs = ab_pairs(store, run_a, run_b, n, seed)
    for k, (sa, sb, a_first) in enumerate(pairs, 1):
        first, second = (sa, sb) if a_first else (sb, sa)
        out.write(f"\n=== {k}/{len(pairs)}  [{sa.task}] {sa.prompt}\n\n--- 1 ---\n{first.output.strip()}\n\n"
                  f"--- 2 ---\n{second.output.strip()}\n\n")
        answer = _ask(lines, out)
        if answer is None:
            break
        choice = answer if answer in ("tie", "skip") else ("a" if (answer == "1") == a_first else "b")
        assert sa.id is not None and sb.id is not None
        add_judgement(store, run_a, run_b, sa.id, sb.id, "a" if a_first else "b", choice, judge)
        counts[choice] += 1
    return Tally(run_a, run_b, counts["a"], counts["b"], counts["tie"], counts["skip"])


def _ask(lines: Iterator[str], out: TextIO) -> str | None:
    """The next valid answer ("1", "2", "tie", "skip"), or None at the end of input or on q."""
    while True:
        out.write("Which is better? 1, 2, tie or skip (q to stop): ")
        out.flush()
        try:
            raw = next(lines).strip().lower()
        except StopIteration:
            out.write("\n")
            return None
        if raw in _STOP:
            return None
        if raw in _ANSWERS:
            return _ANSWERS[raw]
        out.write(f"{raw!r} is not an answer.\n")


def tally(store: Store, run_a: int, run_b: int) -> Tally:
    """Every stored judgement of the two runs, seen with `run_a` as A."""
    counts = {"a": 0, "b": 0, "tie": 0, "skip": 0}
    for j in judgements(store, run_a, run_b):
        counts[_as_seen(j, run_a)] += 1
    return Tally(run_a, run_b, counts["a"], counts["b"], counts["tie"], counts["skip"])


def _as_seen(j: Judgement, run_a: int) -> str:
    if j.choice in ("tie", "skip") or j.run_a == run_a:
        return j.choice
    return "b" if j.choice == "a" else "a"  # stored with the runs the other way round
