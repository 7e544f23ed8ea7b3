"""Suite metrics added on top of the metric functions: values on hand-made texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.backends import Backend
from fabula.errors import FabulaError
from fabula.eval.suite_metrics import Context, get_metric
from fabula.eval.suites import load_suite

CTX = Context(prompt="A keeper finds a shoe.", kind="continue-prose", form=None, model="none",
              backend_for=lambda spec: None)


def test_memorisation_and_the_longest_copy_against_a_corpus_file(tmp_path: Path) -> None:
    corpus = tmp_path / "train.txt"
    corpus.write_text("The cat sat on the mat.\n\nA dog ran home.\n", encoding="utf-8")
    params = {"file": str(corpus), "n": 3}
    texts = ["the cat sat on a hat", "nothing here is copied at all"]
    # trigrams of the first: the cat sat / cat sat on (in the corpus), sat on a / on a hat (not): 2 of 4
    assert get_metric("memorisation").compute(texts, CTX, params) == [0.5, 0.0]
    assert get_metric("longest_copy").compute(texts, CTX, params) == [4.0, 0.0]  # "the cat sat on"
    assert get_metric("memorisation").direction == "lower"


def test_a_memorisation_metric_without_training_texts_is_refused_when_the_suite_loads(tmp_path: Path) -> None:
    suite = tmp_path / "s.toml"
    suite.write_text('name = "s"\nseeds = [1]\nsamples = 1\ntemperatures = [0.7]\n[models]\nen = "house:en"\n'
                     '[metrics.copied]\nmetric = "memorisation"\n'
                     '[[task]]\nname = "p"\nkind = "continue-prose"\nlang = "en"\nprompts = ["Once"]\n',
                     encoding="utf-8")
    with pytest.raises(FabulaError, match=r"\[metrics.copied\].*file = \"PATH\""):
        load_suite(suite)


def test_coherence_needs_two_sentences_and_sentiment_has_no_verdict() -> None:
    values = get_metric("coherence").compute(["One sentence only", "The sea was grey. The sea was cold."], CTX, {})
    assert values[0] is None and 0.3 < values[1] <= 1.0
    happy, sad = get_metric("sentiment").compute(["What a wonderful, happy day!", "A terrible, awful loss."],
                                                 CTX, {})
    assert happy > 0.5 and sad < -0.5 and get_metric("sentiment").direction is None


def test_perplexity_under_a_model_that_cannot_score_says_how_to_fix_the_suite() -> None:
    from fabula.backends import resolve

    chat = resolve("openai:some-model@http://127.0.0.1:9/v1")  # scoring is refused before any request
    ctx = Context(prompt="Once", kind="continue-prose", form=None, model=chat.spec, backend_for=lambda spec: chat)
    with pytest.raises(FabulaError, match='model = "house:en"'):
        get_metric("perplexity").compute(["upon a time there was a keeper"], ctx, {})


def test_judge_is_the_judges_mean_score_and_needs_a_model(wide: Backend) -> None:
    from fabula.eval.judge import judge

    local = wide  # a 1024-token context: the rubric prompt does not fit the 128 of the tiny model
    ctx = Context(prompt="A keeper finds a shoe.", kind="story-premise", form=None, model=local.spec,
                  backend_for=lambda spec: local)
    params = {"model": local.spec, "method": "likelihood", "criteria": ["coherence", "relevance"]}
    story = "The keeper found a shoe on the rocks. She kept it."
    [value] = get_metric("judge").compute([story], ctx, params)
    expected = judge(local, story, "A keeper finds a shoe.", criteria=["coherence", "relevance"], method="likelihood")
    assert value == pytest.approx(expected.mean) and 1.0 <= value <= 5.0
    with pytest.raises(FabulaError, match="judging model"):
        get_metric("judge").check({"method": "likelihood"})  # type: ignore[misc]
