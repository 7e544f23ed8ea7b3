"""Backends for checkpoints on this machine: `hf:<path>` and `house:<name>`.

Both load an ordinary Hugging Face causal-LM folder and decode it with
Fabula's engine on one of three compute runtimes, chosen by $FABULA_RUNTIME:
- `llamacpp`: the checkpoint converted once to GGUF q8_0 (cached) and run by
  llama.cpp: the fastest on CPU (needs `fabula[llamacpp]`);
- `lean`: Fabula's own torch Llama forward in bf16;
- `transformers`: any architecture, through `transformers`.
`auto` (the default) picks llamacpp, then lean, for Llama checkpoints, and
transformers for everything else.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cached_property
from pathlib import Path

import torch

from fabula.backends.engine_backend import EngineBackend
from fabula.backends.registry import ModelInfo
from fabula.engine.runtime import LeanRuntime, Runtime, TransformersRuntime
from fabula.errors import CorruptCheckpoint, InvalidOptions, ModelNotFound
from fabula.modeling.gguf_export import gguf_support_problem
from fabula.modeling.llama import lean_support_problem, load_lean_llama, read_config
from fabula.modeling.tokenizer import HFTokenizer

DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32}
RUNTIME_ENV = "FABULA_RUNTIME"
RUNTIMES = ("auto", "llamacpp", "lean", "transformers")


class LocalBackend(EngineBackend):
    """A causal LM checkpoint folder (config.json, *.safetensors, tokenizer)."""

    def __init__(self, spec: str, path: Path, dtype: str = "bfloat16") -> None:
        super().__init__(spec)
        self.path = path
        self.dtype = DTYPES[dtype]
        _check_folder(path)
        self.config = read_config(path)

    @cached_property
    def tokenizer(self) -> HFTokenizer:
        return HFTokenizer(self.path)

    @cached_property
    def runtime_name(self) -> str:
        wanted = os.environ.get(RUNTIME_ENV, "auto")
        if wanted not in RUNTIMES:
            raise InvalidOptions(f"{RUNTIME_ENV}={wanted!r}: use one of {', '.join(RUNTIMES)}.")
        problem = lean_support_problem(self.config)
        if wanted == "llamacpp":
            problem = gguf_support_problem(self.path)
        if wanted in ("lean", "llamacpp") and problem:
            raise InvalidOptions(f"The {wanted} runtime cannot run {self.path}: {problem}. Use {RUNTIME_ENV}=transformers.")
        if wanted != "auto":
            return wanted
        if problem:
            return "transformers"
        llama_cpp = importlib.util.find_spec("llama_cpp") and importlib.util.find_spec("gguf")
        return "llamacpp" if llama_cpp and gguf_support_problem(self.path) is None else "lean"

    @cached_property
    def runtime(self) -> Runtime:
        if self.runtime_name == "llamacpp":
            from fabula.engine.llamacpp_runtime import LlamaCppModel, LlamaCppRuntime
            from fabula.modeling.gguf_export import cached_gguf

            return LlamaCppRuntime(LlamaCppModel(cached_gguf(self.path, "q8_0")))
        if self.runtime_name == "lean":
            return LeanRuntime(load_lean_llama(self.path, self.dtype))
        return TransformersRuntime(_load_transformers(self.path, self.dtype), self.context_length)

    @property
    def context_length(self) -> int:
        return int(self.config.get("max_position_embeddings") or self.config.get("n_positions") or 2048)

    def describe(self) -> dict[str, object]:
        info = super().describe()
        info.update(
            path=str(self.path),
            architecture=self.config.get("model_type"),
            runtime=self.runtime_name,
        )
        return info


class HFBackend(LocalBackend):
    """`hf:<path>`: any local Hugging Face causal-LM checkpoint folder."""

    kind = "hf"

    @classmethod
    def from_spec(cls, rest: str) -> HFBackend:
        return cls(f"hf:{rest}", Path(rest).expanduser())

    @classmethod
    def available(cls) -> list[ModelInfo]:
        return []  # arbitrary folders cannot be listed


def _check_folder(path: Path) -> None:
    if not path.exists():
        raise ModelNotFound(
            f"No checkpoint at {path}. Give the folder that holds config.json and model.safetensors, "
            "e.g. `fabula generate --model hf:./my-model \"Once\"`."
        )
    if not path.is_dir() or not (path / "config.json").exists():
        raise CorruptCheckpoint(
            f"{path} is not a checkpoint folder (no config.json). Point hf: at the folder "
            "written by `save_pretrained`, not at a single file; for .gguf files use llamacpp:."
        )


def _load_transformers(path: Path, dtype: torch.dtype) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype, local_files_only=True)
    except Exception as exc:  # transformers raises many types for damaged folders
        raise CorruptCheckpoint(f"Cannot load the model in {path}: {exc}") from exc
