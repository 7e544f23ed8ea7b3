"""`llamacpp:<file.gguf>`: GGUF models through llama.cpp, decoded by Fabula's engine."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from fabula.backends.base import Tokenizer
from fabula.backends.engine_backend import EngineBackend
from fabula.backends.registry import ModelInfo
from fabula.errors import CorruptCheckpoint, ModelNotFound
from fabula.paths import home


class LlamaCppBackend(EngineBackend):
    kind = "llamacpp"

    def __init__(self, spec: str, path: Path) -> None:
        super().__init__(spec)
        if not path.is_file():
            raise ModelNotFound(f"No GGUF file at {path}. Give the path of a .gguf model file.")
        with path.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                raise CorruptCheckpoint(f"{path} is not a GGUF file. For checkpoint folders use hf:{path}.")
        self.path = path

    @classmethod
    def from_spec(cls, rest: str) -> LlamaCppBackend:
        return cls(f"llamacpp:{rest}", Path(rest).expanduser())

    @classmethod
    def available(cls) -> list[ModelInfo]:
        folder = home() / "models"
        files = sorted(folder.glob("*.gguf")) if folder.exists() else []
        return [ModelInfo(f"llamacpp:{f}", "GGUF model", str(f)) for f in files]

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        from fabula.engine.llamacpp_runtime import LlamaCppModel

        return LlamaCppModel(self.path)

    @cached_property
    def runtime(self):  # type: ignore[no-untyped-def]
        from fabula.engine.llamacpp_runtime import LlamaCppRuntime

        return LlamaCppRuntime(self._model)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        """The Hugging Face tokenizer of the source checkpoint when known, else llama.cpp's."""
        from fabula.engine.llamacpp_runtime import LlamaCppTokenizer, gguf_metadata
        from fabula.modeling.gguf_export import SOURCE_KEY
        from fabula.modeling.tokenizer import HFTokenizer

        for folder in (gguf_metadata(self._model, SOURCE_KEY), str(self.path.parent)):
            if folder and (Path(folder) / "tokenizer.json").exists():
                return HFTokenizer(Path(folder))
        return LlamaCppTokenizer(self._model)

    @property
    def context_length(self) -> int:
        return self._model.n_ctx

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "path": str(self.path), "runtime": "llama.cpp"}
