"""`llamacpp:<file.gguf>`: GGUF models computed by llama.cpp, decoded by Fabula's engine.

llama.cpp only computes logits (engine/llamacpp_runtime.py); Fabula's decode
loop samples, applies penalties, stop strings and constraints, exactly as
for `hf:` and `house:` models. Needs the optional extra `fabula[llamacpp]`.

Tokenizer: the Hugging Face tokenizer in the .gguf's folder, or in the
checkpoint the file was exported from (`fabula.source` in its metadata), so
token ids match Fabula's own; otherwise llama.cpp's tokenizer from the GGUF.
"""

from __future__ import annotations

import importlib.util
from functools import cached_property
from pathlib import Path

from fabula.backends.base import Tokenizer
from fabula.backends.engine_backend import EngineBackend
from fabula.backends.registry import ModelInfo
from fabula.errors import BackendUnavailable, CorruptCheckpoint, ModelNotFound
from fabula.paths import home

INSTALL_HINT = "pip install 'fabula[llamacpp]'"


class LlamaCppBackend(EngineBackend):
    kind = "llamacpp"

    def __init__(self, spec: str, path: Path, threads: int | None = None) -> None:
        super().__init__(spec)
        if not path.exists():
            raise ModelNotFound(
                f"No GGUF file at {path}. Give the path of a .gguf model file, e.g. "
                "`fabula generate --model llamacpp:./model.gguf \"Once\"`; `fabula models` lists "
                f"the GGUF files in {home() / 'models'}."
            )
        if path.is_dir():
            raise CorruptCheckpoint(f"{path} is a folder, not a GGUF file. For checkpoint folders use hf:{path}.")
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic != b"GGUF":
            raise CorruptCheckpoint(
                f"{path} is not a GGUF file (it does not start with 'GGUF'). "
                f"For Hugging Face checkpoint folders use hf:PATH."
            )
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendUnavailable(f"llamacpp: models need llama.cpp. Install it with: {INSTALL_HINT}")
        self.path = path
        self.threads = threads

    @classmethod
    def from_spec(cls, rest: str) -> LlamaCppBackend:
        return cls(f"llamacpp:{rest}", Path(rest).expanduser())

    @classmethod
    def available(cls) -> list[ModelInfo]:
        folder = home() / "models"
        files = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
        return [ModelInfo(f"llamacpp:{f}", f"GGUF model ({f.stat().st_size / 2**20:,.1f} MB)", str(f))
                for f in files]

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        from fabula.engine.llamacpp_runtime import LlamaCppModel

        return LlamaCppModel(self.path, self.threads)

    @cached_property
    def runtime(self):  # type: ignore[no-untyped-def]
        from fabula.engine.llamacpp_runtime import LlamaCppRuntime

        return LlamaCppRuntime(self.model, threads=self.threads)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        folder = self.tokenizer_folder
        if folder is not None:
            from fabula.modeling.tokenizer import HFTokenizer

            tok = HFTokenizer(folder)
            if tok.vocab_size <= self.model.n_vocab:
                return tok
        from fabula.engine.llamacpp_runtime import LlamaCppTokenizer

        return LlamaCppTokenizer(self.model)

    @cached_property
    def tokenizer_folder(self) -> Path | None:
        """The Hugging Face tokenizer folder used, or None for llama.cpp's own tokenizer."""
        from fabula.modeling.gguf_export import SOURCE_KEY

        candidates = [self.path.parent, self.path.with_suffix("")]
        source = self.model.metadata(SOURCE_KEY)
        if source:
            candidates.append(Path(source))
        return next((c for c in candidates if (c / "tokenizer.json").is_file()), None)

    @property
    def context_length(self) -> int:
        return self.runtime.context_length

    def describe(self) -> dict[str, object]:
        from fabula.engine.llamacpp_runtime import LlamaCppTokenizer

        info = super().describe()
        own = isinstance(self.tokenizer, LlamaCppTokenizer)
        info.update(
            path=str(self.path),
            runtime="llama.cpp",
            tokenizer="gguf (llama.cpp)" if own else f"hf:{self.tokenizer_folder}",
            file_type=self.model.metadata("general.file_type"),
            threads=self.runtime.threads,
        )
        return info

    def close(self) -> None:
        """Free llama.cpp's context and weights now rather than at garbage collection."""
        if "runtime" in self.__dict__:
            self.runtime.close()
        if "model" in self.__dict__:
            self.model.close()
