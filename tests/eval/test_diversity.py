"""distinct-n, self-BLEU, seq-rep-n and the repeated-line rate on examples small enough to count by hand."""

from __future__ import annotations

import math

import pytest

from fabula.errors import FabulaError
from fabula.eval import distinct_n, repeated_line_rate, self_bleu, seq_rep_n
from fabula.eval.tokens import tokens


def test_tokens_split_words_characters_and_punctuation() -> None:
    assert tokens("Don\u2019t stop\u2014the cat!") == ["don't", "stop", "\u2014", "the", "cat", "!"]
    assert tokens("白日依山尽。Hi") == ["白", "日", "依", "山", "尽", "。", "hi"]


def test_distinct_n_pools_ngrams_over_texts() -> None:
    texts = ["the cat sat", "the cat ran"]
    # unigrams: the cat sat the cat ran -> 6, distinct {the, cat, sat, ran} -> 4
    assert distinct_n(texts, 1) == pytest.approx(4 / 6)
    # bigrams: (the cat) (cat sat) (the cat) (cat ran) -> 4, distinct 3; none spans the two texts
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)
    # punctuation and case: hi , hi ! -> 4 tokens, distinct {hi , !} -> 3
    assert distinct_n(["Hi, hi!"], 1) == pytest.approx(3 / 4)


def test_distinct_n_without_ngrams_is_an_error() -> None:
    with pytest.raises(FabulaError, match="no text has 3"):
        distinct_n(["a b", ""], 3)
    with pytest.raises(FabulaError, match="list of strings"):
        distinct_n("the cat sat", 1)
    with pytest.raises(FabulaError, match="at least 1"):
        distinct_n(["a"], 0)


def test_self_bleu_by_hand() -> None:
    # 'the cat sat' against 'the cat ran': unigram precision 2/3, bigram 1/2, equal lengths so BP = 1;
    # BLEU-2 = sqrt(2/3 * 1/2) = sqrt(1/3), and the other direction is the same.
    assert self_bleu(["the cat sat", "the cat ran"], n=2) == pytest.approx(math.sqrt(1 / 3))


def test_self_bleu_exponential_smoothing_by_hand() -> None:
    texts = ["a b c", "a x c", "q b c"]
    # 'a b c' vs {'a x c', 'q b c'}: unigrams 3/3, bigrams ('b c' only) 1/2 -> sqrt(1/2)
    # 'a x c' vs {'a b c', 'q b c'}: unigrams 2/3, bigrams 0/2; exp smoothing makes the first
    #   zero-match precision 1 / (2 * total) = 1/4 -> sqrt(2/3 * 1/4) = sqrt(1/6)
    # 'q b c' vs {'a b c', 'a x c'}: unigrams 2/3, bigrams 1/2 -> sqrt(1/3)
    expected = (math.sqrt(1 / 2) + math.sqrt(1 / 6) + math.sqrt(1 / 3)) / 3
    assert self_bleu(texts, n=2) == pytest.approx(expected)


def test_self_bleu_brevity_penalty_and_smoothing_over_orders_by_hand() -> None:
    # 'a b' vs 'a b c d': unigrams 2/2, bigrams 1/1, no 3- or 4-grams in the hypothesis (effective
    #   order 2); BP = exp(1 - 4/2) = e^-1 -> e^-1 * sqrt(1 * 1) = e^-1
    # 'a b c d' vs 'a b': unigrams 2/4, bigrams 1/3, trigrams 0/2 -> 1/(2*2), 4-grams 0/1 -> 1/(4*1);
    #   longer than its reference, BP = 1 -> (1/2 * 1/3 * 1/4 * 1/4) ** (1/4) = (1/96) ** (1/4)
    assert self_bleu(["a b", "a b c d"], n=4) == pytest.approx((math.exp(-1) + (1 / 96) ** 0.25) / 2)


def test_self_bleu_effective_order_and_identical_texts() -> None:
    # Two-token texts have no 3- or 4-grams: effective order keeps BLEU-4 at the orders present.
    assert self_bleu(["a b", "a b"], n=4) == pytest.approx(1.0)
    assert self_bleu(["a b", "c d"], n=1) == pytest.approx(0.0)


def test_self_bleu_needs_two_non_empty_texts() -> None:
    with pytest.raises(FabulaError, match="2 or more texts"):
        self_bleu(["only one"])
    with pytest.raises(FabulaError, match="Text 1 has no words"):
        self_bleu(["a b", "  "])


def test_seq_rep_n_by_hand() -> None:
    # a b a b a b: bigrams ab ba ab ba ab -> 5, unique 2 -> 1 - 2/5 = 0.6
    assert seq_rep_n(["a b a b a b"], n=2) == pytest.approx(0.6)
    # x y z has no repeated bigram (0.0); "a" has no bigram and is skipped: mean (0.6 + 0) / 2
    assert seq_rep_n(["a b a b a b", "x y z", "a"], n=2) == pytest.approx(0.3)
    with pytest.raises(FabulaError, match="no text has 4"):
        seq_rep_n(["a b c"], n=4)


def test_repeated_line_rate_by_hand() -> None:
    # keys: "the rain", "the rain" (a repeat), "sun"; "---" has no words and is no line -> 1/3
    assert repeated_line_rate(["The rain.\nthe rain\nsun\n\n---"]) == pytest.approx(1 / 3)
    # Traditional 盡 reads as Simplified 尽, so the second line repeats the first: 1 of 2;
    # repeats count within a text only: the third text repeats nothing -> 1 of 3 lines in all
    assert repeated_line_rate(["白日依山尽\n白日依山盡", "白日依山尽"]) == pytest.approx(1 / 3)
    with pytest.raises(FabulaError, match="no lines"):
        repeated_line_rate(["", "..."])
