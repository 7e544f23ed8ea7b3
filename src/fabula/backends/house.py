"""`house:<name>`: models shipped with Fabula or trained here with `fabula train`."""

from __future__ import annotations

from fabula.backends.local import LocalBackend
from fabula.backends.registry import ModelInfo
from fabula.errors import ModelNotFound, UnknownModelSpec
from fabula.house.catalog import house_models


class HouseBackend(LocalBackend):
    kind = "house"

    @classmethod
    def from_spec(cls, rest: str) -> HouseBackend:
        models = house_models()
        if rest not in models:
            names = ", ".join(f"house:{n}" for n in sorted(models))
            raise UnknownModelSpec(f"No house model called '{rest}'. House models: {names}. See `fabula models`.")
        model = models[rest]
        if not model.installed:
            raise ModelNotFound(
                f"house:{rest} is in the catalogue but its weights are not installed at {model.path}. "
                "Reinstall Fabula from a full checkout (`make setup`), or train it with `fabula train`."
            )
        backend = cls(f"house:{rest}", model.path)
        backend.prefix = model.prefix
        return backend

    prefix = ""

    def stream(self, prompt, options=None, constraint=None):  # type: ignore[no-untyped-def]
        """As every engine backend, after the model's conditioning prefix (see catalog.toml)."""
        return super().stream(self.prefix + prompt, options, constraint)

    def score(self, prompt: str, continuation: str):  # type: ignore[no-untyped-def]
        return super().score(self.prefix + prompt, continuation)

    @classmethod
    def available(cls) -> list[ModelInfo]:
        return [
            ModelInfo(
                spec=f"house:{m.name}",
                description=m.description,
                location=str(m.path) if m.installed else "not installed",
            )
            for m in house_models().values()
        ]
