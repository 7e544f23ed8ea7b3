"""The corpora `fabula data prepare` knows: name -> module defining `CORPUS`.

Every corpus, built-in or added later, registers the same way: one module
with a `CORPUS = Corpus(...)` and one line here. The order is the order
`fabula data prepare` (no names) builds them in: English first.
"""

from __future__ import annotations

import importlib

from fabula.data.pipeline import Corpus
from fabula.errors import FabulaError

__all__ = ["CORPORA", "get_corpus", "all_corpora"]

CORPORA: dict[str, str] = {
    "shakespeare": "fabula.data.shakespeare",
    "austen": "fabula.data.austen",
    "brown": "fabula.data.brown",
    "kjv": "fabula.data.kjv",
    "fortunes": "fabula.data.fortunes",
    "tang_song_shi": "fabula.data.tang_song_shi",
    "song_ci": "fabula.data.song_ci",
    "tang300": "fabula.data.tang300",
}


def get_corpus(name: str) -> Corpus:
    """The spec of a registered corpus (imports its module)."""
    if name not in CORPORA:
        raise FabulaError(
            f"No corpus called '{name}'. Known corpora: {', '.join(CORPORA)} (see `fabula data list`)."
        )
    corpus = importlib.import_module(CORPORA[name]).CORPUS
    if not isinstance(corpus, Corpus) or corpus.name != name:
        raise FabulaError(f"Module {CORPORA[name]} does not define CORPUS for '{name}'.")
    return corpus


def all_corpora() -> list[Corpus]:
    return [get_corpus(name) for name in CORPORA]
