"""Sentiment (VADER, SnowNLP) and NRC emotion profiles, with VADER's arithmetic done by hand."""

from __future__ import annotations

import math

import pytest

from fabula.errors import FabulaError
from fabula.eval import emotion_profile, sentiment
from fabula.eval.sentiment import AFFECTS


@pytest.fixture(scope="module", autouse=True)
def _lexicons_loaded() -> None:
    """SnowNLP and spaCy (for lemmas) take a few seconds to load, once."""
    import snownlp  # noqa: F401

    from fabula.story.nlp import nlp

    nlp()


def vader_norm(s: float) -> float:
    return s / math.sqrt(s * s + 15)  # VADER's compound normalisation, alpha = 15


def test_vader_compound_by_hand() -> None:
    # "good" has valence 1.9 in VADER's lexicon
    # "but" scales the words before it by 0.5 and after it by 1.5: 1.9 * 0.5 + (-2.1) * 1.5 = -2.2
    good, mixed, empty = sentiment(["good", "The food was good but the service was terrible.", ""])
    assert good == pytest.approx(round(vader_norm(1.9), 4))
    assert mixed == pytest.approx(round(vader_norm(1.9 * 0.5 - 2.1 * 1.5), 4))
    assert empty == 0.0


def test_chinese_goes_to_snownlp() -> None:
    from snownlp import SnowNLP

    happy, sad = "这个东西真的很好，我很喜欢", "太差了，非常失望"
    scores = sentiment([happy, sad])
    assert scores == pytest.approx([2 * SnowNLP(happy).sentiments - 1, 2 * SnowNLP(sad).sentiments - 1])
    assert scores[0] > 0.5 > -0.5 > scores[1]
    # forced to English, Chinese has no VADER words: neutral
    assert sentiment([happy], lang="en") == [0.0]
    with pytest.raises(FabulaError, match="'en'"):
        sentiment([happy], lang="fr")  # type: ignore[arg-type]


def test_emotion_profile_by_hand() -> None:
    # words: the, murdered, dog, was, happy -> 5 (the full stop is no word)
    # "murdered" is not in the NRC lexicon, its lemma "murder" is: anger disgust fear negative sadness surprise
    # "happy": anticipation joy positive trust -> every affect has exactly one word: 1/5
    profile = emotion_profile(["The murdered dog was happy."])
    assert (profile.words, profile.matched) == (5, 2)
    assert profile.rates == {a: pytest.approx(0.2) for a in AFFECTS}
    # without lemmas only "happy" is found
    plain = emotion_profile(["The murdered dog was happy."], lemmas=False)
    assert plain.matched == 1
    assert plain.rates["anger"] == 0.0 and plain.rates["joy"] == pytest.approx(0.2)


def test_emotion_profile_pools_texts_and_needs_words() -> None:
    # "happy" (4 affects) in a text of 2 words plus "storm" (anger, negative) in a text of 1: 3 words
    profile = emotion_profile(["so happy", "Storm!"])
    assert profile.words == 3
    assert profile.rates["joy"] == pytest.approx(1 / 3) and profile.rates["anger"] == pytest.approx(1 / 3)
    with pytest.raises(FabulaError, match="no"):
        emotion_profile(["...", "白日"])
