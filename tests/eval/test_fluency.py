"""Perplexity through Backend.score on the tiny real model, and the Kneser-Ney n-gram model by hand."""

from __future__ import annotations

import math

import pytest

from fabula.backends import Backend, resolve
from fabula.errors import FabulaError
from fabula.eval import NgramLM, perplexity


def test_perplexity_pools_the_tokens_of_all_texts(local: Backend) -> None:
    a = local.score("Once", " the sea was calm").logprobs
    b = local.score("Once", " a gull cried").logprobs
    result = perplexity(local, [" the sea was calm", " a gull cried"], prompt="Once")
    # exp of the mean negative log-probability over every token of both texts, not a mean of perplexities
    assert result.tokens == len(a) + len(b)
    assert result.value == pytest.approx(math.exp(-(sum(a) + sum(b)) / (len(a) + len(b))), rel=1e-6)
    assert result.per_text == pytest.approx(
        [math.exp(-sum(a) / len(a)), math.exp(-sum(b) / len(b))], rel=1e-6
    )
    assert result.nll == pytest.approx(math.log(result.value))
    assert result.model == local.spec


def test_without_bos_the_first_word_is_context(local: Backend) -> None:
    # The tiny tokenizer adds no BOS: nothing predicts the first token of an unprompted text.
    assert local.tokenizer.encode_prompt("") == []
    expected = local.score("The", " sea was calm").logprobs
    result = perplexity(local, ["The sea was calm"])
    assert result.tokens == len(expected)
    assert result.value == pytest.approx(math.exp(-sum(expected) / len(expected)), rel=1e-6)


def test_a_text_longer_than_the_context_is_scored_in_windows(local: Backend) -> None:
    text = " ".join(["The sea was calm and the gulls cried over the harbour wall."] * 20)
    ids = local.tokenizer.encode(text)
    assert len(ids) > 2 * local.context_length  # far more than the 128-token model can read at once
    result = perplexity(local, [text], prompt="Once")
    # every token is scored once; cutting at word boundaries may merge or split a token at each of
    # the few piece boundaries, no more
    assert abs(result.tokens - len(ids)) <= 8
    assert math.isfinite(result.value) and result.value > 1


def test_house_model_prefers_prose_to_scrambled_words() -> None:
    house = resolve("house:en")
    prose = "The old man walked down to the harbour and looked out at the boats."
    scrambled = "harbour the boats old looked to and man the at out walked down The."
    assert perplexity(house, [prose]).value < perplexity(house, [scrambled]).value


def test_remote_perplexity_equals_local(server_url: str, local: Backend) -> None:
    remote = resolve(f"openai-completions:{local.spec}@{server_url}")
    texts = [" was calm", " cried over the wall"]
    assert perplexity(remote, texts, prompt="The sea").value == pytest.approx(
        perplexity(local, texts, prompt="The sea").value, rel=1e-3
    )


def test_perplexity_refuses_empty_text(local: Backend) -> None:
    with pytest.raises(FabulaError, match="Text 1 is empty"):
        perplexity(local, ["The sea", "  "])
    with pytest.raises(FabulaError, match="after its first word"):
        perplexity(local, ["Sea"])


# -- the n-gram model: corpus "a b", "a c"; bigrams; V = {a, b, c, </s>, <unk>} -------------------
#
# bigram counts:            (<s> a) 2, (a b) 1, (a c) 1, (b </s>) 1, (c </s>) 1
# unigram continuation counts N1+(. w): a 1 (<s>), b 1 (a), c 1 (a), </s> 2 (b, c); sum 5, 4 types
# with D = 0.5 and P0 = 1/5:
#   P1(w)        = max(N1+(. w) - 0.5, 0) / 5 + 0.5 * 4/5 * 1/5 = (N - 0.5)/5 + 0.08
#   P1(a) = P1(b) = P1(c) = 0.18, P1(</s>) = 0.38, P1(<unk>) = 0.08        (sum 1)
#   P(a | <s>)   = (2 - 0.5)/2 + 0.5 * 1/2 * 0.18 = 0.795
#   P(b | a)     = (1 - 0.5)/2 + 0.5 * 2/2 * 0.18 = 0.34
#   P(</s> | b)  = (1 - 0.5)/1 + 0.5 * 1/1 * 0.38 = 0.69


@pytest.fixture
def tiny_lm() -> NgramLM:
    return NgramLM.train(["a b", "a c"], order=2, discount=0.5)


def test_kneser_ney_by_hand(tiny_lm: NgramLM) -> None:
    assert tiny_lm.vocab == {"a", "b", "c", "</s>", "<unk>"}
    assert tiny_lm.prob("a", ["<s>"]) == pytest.approx(0.795)
    assert tiny_lm.prob("b", ["a"]) == pytest.approx(0.34)
    assert tiny_lm.prob("</s>", ["b"]) == pytest.approx(0.69)
    assert tiny_lm.prob("</s>", ["zebra"]) == pytest.approx(0.38)  # an unseen history: the unigram level
    assert tiny_lm.prob("zebra", ["a"]) == pytest.approx(0.5 * 0.08)  # <unk>: the uniform share only


def test_ngram_perplexity_by_hand(tiny_lm: NgramLM) -> None:
    # "a b" scores a, b and </s>: (0.795 * 0.34 * 0.69) ** (-1/3)
    result = tiny_lm.perplexity(["a b"])
    assert result.tokens == 3
    assert result.value == pytest.approx((0.795 * 0.34 * 0.69) ** (-1 / 3))
    assert result.model == "ngram:2"


def test_oov_rate_by_hand(tiny_lm: NgramLM) -> None:
    # tokens a, zebra, b, "." -> zebra and "." are unseen: 2 of 4
    assert tiny_lm.oov_rate(["a zebra b."]) == pytest.approx(0.5)
    with pytest.raises(FabulaError, match="no tokens"):
        tiny_lm.oov_rate([""])


def test_discounts_are_estimated_from_counts_of_counts() -> None:
    lm = NgramLM.train(["a b", "a c"], order=2)
    # bigram counts 2,1,1,1,1: n1 = 4, n2 = 1 -> 4 / (4 + 2) ; continuation counts 1,1,1,2: 3 / (3 + 2)
    assert lm.discounts == pytest.approx({2: 4 / 6, 1: 3 / 5})
    # no count of two anywhere: the fallback 0.75
    assert NgramLM.train(["x y"], order=2).discounts == {2: 0.75, 1: 0.75}


def test_ngram_probabilities_sum_to_one() -> None:
    lm = NgramLM.train(["the cat sat on the mat", "the dog sat on the log", "a cat ran"], order=3)
    for history in [(), ("the",), ("the", "cat"), ("sat", "on"), ("zebra", "the"), ("<s>", "<s>")]:
        assert sum(lm.prob(w, history) for w in lm.vocab) == pytest.approx(1.0)
    assert lm.perplexity(["the cat sat on the log"]).value < lm.perplexity(["log the on sat cat the"]).value


def test_ngram_errors() -> None:
    with pytest.raises(FabulaError, match="no words"):
        NgramLM.train(["", "  "])
    with pytest.raises(FabulaError, match="order of at least 1"):
        NgramLM.train(["a"], order=0)
    with pytest.raises(FabulaError, match="strictly between"):
        NgramLM.train(["a"], discount=1.0)
    with pytest.raises(FabulaError, match="never predicts"):
        NgramLM.train(["a"]).prob("<s>")
