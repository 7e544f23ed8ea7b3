"""Fabula: an open-source studio for creative writing with language models.

Names are imported on first use so that `fabula --help` does not load torch.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "generate": "fabula.api",
    "model": "fabula.api",
    "Backend": "fabula.backends",
    "Chunk": "fabula.backends",
    "Completion": "fabula.backends",
    "GenerationOptions": "fabula.backends",
    "Score": "fabula.backends",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'fabula' has no attribute {name!r}")
