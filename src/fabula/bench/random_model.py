"""Random-init Llama checkpoints of fixed shapes, for benchmarks without trained weights."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch

from fabula.paths import cache_dir

_TEN_M = {"hidden_size": 384, "intermediate_size": 1024, "num_hidden_layers": 6, "num_attention_heads": 6,
          "num_key_value_heads": 6, "vocab_size": 8192, "max_position_embeddings": 512}

SHAPES = {
    # ~10 M parameters (13.8 M counting the tied 8192 x 384 embedding): the planned house-model size.
    "10m": _TEN_M,
    "small": _TEN_M,  # the same shape under a friendlier name
}


def random_checkpoint(name: str) -> Path:
    """Build (once, cached) a seeded random Llama of the named shape with a byte-level BPE tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from fabula.house.tiny import build_tiny_tokenizer

    if name not in SHAPES:
        raise ValueError(f"unknown random config {name!r}: use one of {', '.join(SHAPES)}")
    shape = SHAPES[name]
    key = "random-llama-" + "-".join(f"{shape[k]}" for k in sorted(shape))
    path = cache_dir() / "bench" / key
    if (path / "model.safetensors").exists():
        return path
    tmp = path.with_name(f".{key}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        build_tiny_tokenizer(tmp)
        config = LlamaConfig(**shape, tie_word_embeddings=True, bos_token_id=0, eos_token_id=1)
        torch.manual_seed(0)
        LlamaForCausalLM(config).save_pretrained(str(tmp), safe_serialization=True)
        if path.exists():  # a concurrent build won
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path
