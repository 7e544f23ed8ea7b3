"""Memorisation: longest common n-gram and n-gram overlap with a corpus, and copied verse lines."""

from __future__ import annotations

import random

import pytest

from fabula.errors import FabulaError
from fabula.eval import CorpusIndex, copied_line_rate, longest_common_ngram, ngram_overlap
from fabula.forms.originality import LineIndex
from fabula.forms.plans import line_key

CORPUS = ["the cat sat on the mat", "a dog ran home"]


@pytest.fixture(scope="module")
def index() -> CorpusIndex:
    return CorpusIndex.build(CORPUS)


def test_match_lengths_by_hand(index: CorpusIndex) -> None:
    # text: the cat sat on a dog
    #   the: "the cat sat on" (then "a" where the corpus has "the") -> 4; cat -> 3; sat -> 2
    #   on: "on" (the corpus has "on the") -> 1; a: "a dog" -> 2; dog -> 1
    assert index.match_lengths("the cat sat on a dog") == [4, 3, 2, 1, 2, 1]
    assert longest_common_ngram("the cat sat on a dog", index) == 4
    assert (index.documents, index.tokens) == (2, 10)


def test_ngram_overlap_by_hand(index: CorpusIndex) -> None:
    # bigrams start at 0..4 with match lengths 4 3 2 1 2: four reach 2 -> 4/5
    assert ngram_overlap(["the cat sat on a dog"], index, n=2) == pytest.approx(4 / 5)
    # trigrams start at 0..3 with 4 3 2 1: two reach 3 -> 2/4; pooled with "a dog ran" (1 of 1) -> 3/5
    assert ngram_overlap(["the cat sat on a dog"], index, n=3) == pytest.approx(2 / 4)
    assert ngram_overlap(["the cat sat on a dog", "a dog ran"], index, n=3) == pytest.approx(3 / 5)


def test_matches_never_run_across_documents(index: CorpusIndex) -> None:
    # "mat" ends one document and "a" starts the next: "mat a dog" is not in the corpus
    assert index.match_lengths("mat a dog") == [1, 2, 1]
    assert longest_common_ngram("zebra unicorn", index) == 0


def test_traditional_corpus_matches_simplified_output() -> None:
    # 盡 (Traditional) and 尽 (Simplified) are one character to the index: all five match
    assert longest_common_ngram("白日依山尽", CorpusIndex.build(["白日依山盡，黃河入海流。"])) == 5


def test_match_lengths_agree_with_brute_force() -> None:
    rng = random.Random(0)
    words = ["a", "b", "c", "d"]
    for _ in range(50):
        docs = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(3)]
        query = [rng.choice([*words, "z"]) for _ in range(10)]
        split = [d.split() for d in docs]

        def occurs(gram: list[str], split: list[list[str]] = split) -> bool:
            return any(d[i : i + len(gram)] == gram for d in split for i in range(len(d) - len(gram) + 1))

        brute = [max(n for n in range(11 - i) if n == 0 or occurs(query[i : i + n])) for i in range(10)]
        assert CorpusIndex.build(docs).match_lengths(" ".join(query)) == brute


def test_copied_line_rate_with_a_poem_line_index() -> None:
    corpus = ["白日依山尽", "更上一层楼", "Shall I compare thee to a summer's day?"]
    bloom = LineIndex.build([line_key(x) for x in corpus], expected=3)
    # 句: 白日依山尽 (copied) 黄河入海流 欲穷千里目 更上一层楼 (copied) -> 2 of 4
    assert copied_line_rate(["白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。"], bloom) == pytest.approx(
        0.5
    )
    # the sonnet line is copied (its key ignores case and punctuation); "Hi" is too short to count
    sonnet = "SHALL I COMPARE THEE TO A SUMMER'S DAY\nThou art more lovely and more temperate\nHi"
    assert copied_line_rate([sonnet], bloom) == pytest.approx(1 / 2)
    assert copied_line_rate([sonnet], {line_key("Thou art more lovely and more temperate")}) == pytest.approx(
        1 / 2
    )


def test_originality_errors(index: CorpusIndex) -> None:
    with pytest.raises(FabulaError, match="no words to index"):
        CorpusIndex.build(["", "  "])
    with pytest.raises(FabulaError, match="no text has 8"):
        ngram_overlap(["the cat sat"], index)
    with pytest.raises(FabulaError, match="no line is long enough"):
        copied_line_rate(["Hi\nthere"], set())
