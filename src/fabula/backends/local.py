"""Backends for checkpoints on this machine: `hf:<path>` and `house:<name>`.

Both load an ordinary Hugging Face causal-LM folder. Llama checkpoints run
on Fabula's lean forward pass (fast path); other architectures run through
`transformers` with the same decode loop, samplers and constraints.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import torch

from fabula.backends.engine_backend import EngineBackend
from fabula.backends.registry import ModelInfo
from fabula.engine.runtime import LeanRuntime, Runtime, TransformersRuntime
from fabula.errors import CorruptCheckpoint, ModelNotFound
from fabula.modeling.llama import lean_support_problem, load_lean_llama, read_config
from fabula.modeling.tokenizer import HFTokenizer

DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32}


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
    def runtime(self) -> Runtime:
        if lean_support_problem(self.config) is None:
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
            runtime="lean" if lean_support_problem(self.config) is None else "transformers",
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
