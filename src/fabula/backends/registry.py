"""Resolve model spec strings (`house:en`, `hf:./ckpt`, ...) to backends.

Backends are discovered through the `fabula.backends` entry-point group, so a
third-party package registers a backend exactly as the built-in ones do:

    [project.entry-points."fabula.backends"]
    mykind = "my_package.backend:MyBackend"

An entry point names a `Backend` subclass with a `from_spec(rest)` classmethod
and an optional `available()` classmethod listing the models it can see.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol, cast

from fabula.backends.base import Backend
from fabula.errors import UnknownModelSpec

ENTRY_POINT_GROUP = "fabula.backends"
DEFAULT_MODEL_ENV = "FABULA_MODEL"
DEFAULT_MODEL = "house:en"


@dataclass(frozen=True)
class ModelInfo:
    """A model a backend can see, for `fabula models`."""

    spec: str
    description: str
    location: str


class BackendClass(Protocol):
    kind: str

    def from_spec(self, rest: str) -> Backend: ...

    def available(self) -> list[ModelInfo]: ...


@cache
def backend_kinds() -> dict[str, EntryPoint]:
    """Every registered backend kind, built-ins included (not yet imported)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def backend_class(kind: str) -> BackendClass:
    """Import one backend kind; heavy optional backends load only when used."""
    return cast(BackendClass, backend_kinds()[kind].load())


def default_spec() -> str:
    return os.environ.get(DEFAULT_MODEL_ENV, DEFAULT_MODEL)


def split_spec(spec: str) -> tuple[str, str]:
    kind, sep, rest = spec.partition(":")
    if not sep or not kind or not rest:
        raise UnknownModelSpec(
            f"'{spec}' is not a model spec. Write KIND:NAME, e.g. house:en, hf:./my-checkpoint, "
            "llamacpp:model.gguf or openai:llama3@http://localhost:11434/v1. "
            "See what is available with `fabula models`."
        )
    return kind, rest


def resolve(spec: str | None = None) -> Backend:
    """The backend for `spec` (default: $FABULA_MODEL or house:en)."""
    spec = spec or default_spec()
    kind, rest = split_spec(spec)
    kinds = backend_kinds()
    if kind not in kinds:
        known = ", ".join(sorted(kinds)) or "none"
        raise UnknownModelSpec(
            f"No backend called '{kind}' (from '{spec}'). Known backends: {known}. "
            "A plugin backend must be installed in the same environment as Fabula."
        )
    return backend_class(kind).from_spec(rest)


def available_models() -> list[ModelInfo]:
    """Models every backend can see without network access."""
    infos: list[ModelInfo] = []
    for kind in backend_kinds():
        infos.extend(backend_class(kind).available())
    return infos
