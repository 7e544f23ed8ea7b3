"""Random-init Llama checkpoints of fixed shapes, for benchmarks without trained weights."""

from __future__ import annotations

from pathlib import Path

import torch

from fabula.paths import cache_dir

SHAPES = {
    # ~10 M parameters: the size the house models are planned at (issue 3).
    "10m": dict(hidden_size=384, intermediate_size=1024, num_hidden_layers=6, num_attention_heads=6,
                vocab_size=8192, max_position_embeddings=512),
    "small": dict(hidden_size=128, intermediate_size=384, num_hidden_layers=2, num_attention_heads=2,
                  vocab_size=2048, max_position_embeddings=256),
}


def random_checkpoint(name: str) -> Path:
    """Build (once, cached) a seeded random Llama of the named shape with a BPE tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from fabula.house.tiny import build_tiny_tokenizer

    path = cache_dir() / "bench" / f"random-{name}"
    if (path / "model.safetensors").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    build_tiny_tokenizer(path)
    shape = SHAPES[name]
    config = LlamaConfig(**shape, num_key_value_heads=shape["num_attention_heads"], tie_word_embeddings=True,
                         bos_token_id=0, eos_token_id=1)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(str(path))
    return path
