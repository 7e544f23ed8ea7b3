"""Sentiment and emotion profiles: VADER for English, SnowNLP for Chinese, the NRC emotion lexicon.

- `sentiment(texts)`: one polarity per text in [-1, 1]. English (any text without Chinese
  characters, or `lang="en"`): VADER's compound score (Hutto & Gilbert 2014), the sum of its rule-
  adjusted word valences s normalised as s / sqrt(s^2 + 15). Chinese: 2p - 1, with p SnowNLP's
  probability that the text is positive (a naive Bayes model trained on product reviews).
- `emotion_profile(texts)`: for each of the NRC lexicon's ten affects (Mohammad & Turney 2013),
  the share of word tokens associated with it. English only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from fabula.errors import BackendUnavailable, FabulaError
from fabula.eval.tokens import HAN, check_texts, tokens

__all__ = ["AFFECTS", "EmotionProfile", "emotion_profile", "sentiment"]

AFFECTS = (
    "anger",
    "anticipation",
    "disgust",
    "fear",
    "joy",
    "negative",
    "positive",
    "sadness",
    "surprise",
    "trust",
)


@cache
def _vader() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        raise BackendUnavailable(
            "English sentiment needs VADER: pip install vaderSentiment==3.3.2."
        ) from None
    return SentimentIntensityAnalyzer()


def _snownlp(text: str) -> float:
    try:
        from snownlp import SnowNLP
    except ImportError:
        raise BackendUnavailable("Chinese sentiment needs SnowNLP: pip install snownlp==0.12.3.") from None
    return 2 * SnowNLP(text).sentiments - 1


def sentiment(texts: Sequence[str], lang: Literal["en", "zh"] | None = None) -> list[float]:
    """Polarity of each text in [-1, 1]; `lang=None` picks Chinese for texts with Chinese characters."""
    texts = check_texts(texts)
    if lang not in (None, "en", "zh"):
        raise FabulaError(f"Sentiment is measured in English ('en') or Chinese ('zh'), not {lang!r}.")
    out = []
    for text in texts:
        if not text.strip():
            out.append(0.0)  # VADER's value for no words; SnowNLP has none, so both say neutral
        elif lang == "zh" or (lang is None and HAN.search(text)):
            out.append(_snownlp(text))
        else:
            out.append(float(_vader().polarity_scores(text)["compound"]))
    return out


@dataclass(frozen=True)
class EmotionProfile:
    rates: dict[str, float]  # affect -> word tokens associated with it / word tokens
    words: int  # word tokens read (punctuation is not a word)
    matched: int  # word tokens found in the lexicon (directly or by their lemma)


def _lexicon() -> Any:
    """A fresh reader (it keeps the words it was given); the lexicon itself is loaded once by nrclex."""
    try:
        from nrclex import NRCLex
    except ImportError:
        raise BackendUnavailable(
            "Emotion profiles need the NRC lexicon: pip install nrclex==4.1.0."
        ) from None
    return NRCLex(None)


def emotion_profile(texts: Sequence[str], lemmas: bool = True) -> EmotionProfile:
    """The NRC affect rates of `texts`, pooled. A word the lexicon lacks is looked up by its spaCy
    lemma when `lemmas` ("murdered" -> "murder"). A FabulaError when the texts have no words."""
    texts = check_texts(texts)
    words = [w for t in texts for w in tokens(t) if w[0].isalpha() and not HAN.match(w)]
    if not words:
        raise FabulaError("An emotion profile needs English words; the texts have none.")
    nrc = _lexicon()
    nrc.load_token_list(words)
    known = set(nrc.affect_dict)
    if lemmas:
        words = [w if w in known else _lemma(w) for w in words]
        nrc.load_token_list(words)
    counts = Counter(nrc.raw_emotion_scores)
    matched = sum(1 for w in words if w in nrc.affect_dict)
    return EmotionProfile({a: counts[a] / len(words) for a in AFFECTS}, len(words), matched)


@cache
def _lemma(word: str) -> str:
    from fabula.story.nlp import nlp

    doc = nlp()(word)
    return doc[0].lemma_.lower() if len(doc) else word
