"""The Python API: what the CLI does, as functions.

    import fabula
    model = fabula.model("house:en")
    for chunk in model.stream("It was a dark night", fabula.GenerationOptions(max_tokens=50)):
        print(chunk.text, end="")
    texts = fabula.generate("Once upon a time", n=3, seed=1)
"""

from __future__ import annotations

from fabula.backends import Backend, GenerationOptions, resolve
from fabula.engine.constraints import Constraint


def model(spec: str | None = None) -> Backend:
    """The backend for a model spec (default: $FABULA_MODEL or house:en)."""
    return resolve(spec)


def generate(
    prompt: str, model: str | Backend | None = None, constraint: Constraint | None = None, **options: object
) -> list[str]:
    """Generate `n` alternatives (keyword options as in `GenerationOptions`)."""
    backend = model if isinstance(model, Backend) else resolve(model)
    completions = backend.generate(prompt, GenerationOptions(**options), constraint)
    return [c.text for c in completions]
