"""Model backends behind one contract, resolved from spec strings."""

from fabula.backends.base import Backend, Chunk, Completion, Score, Tokenizer, Usage
from fabula.backends.options import GenerationOptions
from fabula.backends.registry import ModelInfo, available_models, default_spec, resolve

__all__ = [
    "Backend",
    "Chunk",
    "Completion",
    "GenerationOptions",
    "ModelInfo",
    "Score",
    "Tokenizer",
    "Usage",
    "available_models",
    "default_spec",
    "resolve",
]
