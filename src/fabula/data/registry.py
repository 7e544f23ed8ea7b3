"""The corpora `fabula data prepare` knows, by name (one module each)."""

from __future__ import annotations

import importlib
from types import ModuleType

from fabula.errors import FabulaError

CORPORA = {"shakespeare": "fabula.data.shakespeare"}


def corpus_module(name: str) -> ModuleType:
    if name not in CORPORA:
        raise FabulaError(f"No corpus called '{name}'. Known corpora: {', '.join(sorted(CORPORA))}.")
    return importlib.import_module(CORPORA[name])
