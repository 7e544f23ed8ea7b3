"""Diversity and repetition of generated texts: distinct-n, self-BLEU, seq-rep-n, repeated lines.

All four read the shared word tokens (`fabula.eval.tokens`). distinct-n and self-BLEU measure a
*set* of texts (do the samples differ from each other?); seq-rep-n and the repeated-line rate
measure each text on its own (does one text loop?). docs/metrics.md gives the formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from fabula.errors import FabulaError
from fabula.eval.tokens import check_order, check_texts, ngrams, tokens
from fabula.forms.plans import line_key

__all__ = ["distinct_n", "repeated_line_rate", "self_bleu", "seq_rep_n"]


def distinct_n(texts: Sequence[str], n: int = 2) -> float:
    """Distinct n-grams over all n-grams, pooled over `texts` (Li et al. 2016); n-grams do not
    cross text boundaries. In [0, 1]; a FabulaError when no text has n tokens."""
    texts = check_texts(texts)
    check_order(n)
    grams = [g for t in texts for g in ngrams(tokens(t), n)]
    if not grams:
        raise FabulaError(f"distinct-{n} is undefined: no text has {n} or more tokens.")
    return len(set(grams)) / len(grams)


@cache
def _bleu(n: int) -> Any:  # sacreBLEU's BLEU, imported on first use (it is slow to import)
    from sacrebleu.metrics import BLEU

    # Texts arrive tokenized and lower-cased by `tokens`, so sacreBLEU must not tokenize again.
    return BLEU(max_ngram_order=n, smooth_method="exp", tokenize="none", effective_order=True)


def self_bleu(texts: Sequence[str], n: int = 4) -> float:
    """Mean sentence BLEU-n of each text against all the others as references (Zhu et al. 2018),
    by sacreBLEU with exponential smoothing and effective order, on a 0-1 scale. Higher means the
    texts are more alike. Needs two or more texts, each with at least one token."""
    texts = check_texts(texts, least=2)
    check_order(n)
    joined = [" ".join(tokens(t)) for t in texts]
    empty = [i for i, t in enumerate(joined) if not t]
    if empty:
        raise FabulaError(
            f"Text {empty[0]} has no words; self-BLEU needs every text non-empty (drop empty ones)."
        )
    bleu = _bleu(n)
    scores = [bleu.sentence_score(h, joined[:i] + joined[i + 1 :]).score / 100 for i, h in enumerate(joined)]
    return sum(scores) / len(scores)


def seq_rep_n(texts: Sequence[str], n: int = 4) -> float:
    """Welleck et al. (2019): per text, 1 - |unique n-grams| / |n-grams|, averaged over the texts
    that have at least n tokens (shorter ones have no n-grams and are skipped). In [0, 1]."""
    texts = check_texts(texts)
    check_order(n)
    rates = []
    for text in texts:
        grams = ngrams(tokens(text), n)
        if grams:
            rates.append(1 - len(set(grams)) / len(grams))
    if not rates:
        raise FabulaError(f"seq-rep-{n} is undefined: no text has {n} or more tokens.")
    return sum(rates) / len(rates)


def repeated_line_rate(texts: Sequence[str]) -> float:
    """Lines that repeat an earlier line of the same text, over all lines, pooled over `texts`.

    Lines are compared by `line_key` (lower-case words without punctuation; Chinese characters in
    Simplified form), so "The rain." repeats "the rain"; lines with no words are not lines."""
    texts = check_texts(texts)
    lines = repeats = 0
    for text in texts:
        seen: set[str] = set()
        for raw in text.splitlines():
            key = line_key(raw)
            if not key:
                continue
            lines += 1
            repeats += key in seen
            seen.add(key)
    if not lines:
        raise FabulaError("The repeated-line rate is undefined: the texts have no lines with words.")
    return repeats / lines
