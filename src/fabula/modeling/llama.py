"""A lean Llama forward pass for fast CPU decoding.

Reads an ordinary Hugging Face Llama checkpoint (config.json +
model.safetensors) and runs it with a preallocated KV cache. Compared with
`transformers`' module tree it launches far fewer small ops per token: q/k/v
and gate/up projections are fused into single matrices, and the cache is a
static tensor written in place. On a 2-core CPU, per-op overhead, not FLOPs,
bounds small models, so this is where decode speed comes from.

Numerics follow `transformers.LlamaForCausalLM` (RMSNorm in float32, rotary
embeddings with the rotate-half convention); tests check the logits agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from fabula.errors import CorruptCheckpoint

SUPPORTED_ACTIVATIONS = {"silu"}


@dataclass(frozen=True)
class LlamaShape:
    """The parts of a Llama config.json the forward pass needs."""

    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    hidden_dim: int
    norm_eps: float
    rope_theta: float
    max_seq_len: int
    tie_embeddings: bool

    @classmethod
    def from_config(cls, config: dict) -> LlamaShape:
        n_heads = int(config["num_attention_heads"])
        dim = int(config["hidden_size"])
        rope_theta = config.get("rope_theta")
        if rope_theta is None:  # transformers >= 5 nests it under rope_parameters
            rope_theta = (config.get("rope_parameters") or {}).get("rope_theta", 10000.0)
        return cls(
            vocab_size=int(config["vocab_size"]),
            dim=dim,
            n_layers=int(config["num_hidden_layers"]),
            n_heads=n_heads,
            n_kv_heads=int(config.get("num_key_value_heads") or n_heads),
            head_dim=int(config.get("head_dim") or dim // n_heads),
            hidden_dim=int(config["intermediate_size"]),
            norm_eps=float(config.get("rms_norm_eps", 1e-6)),
            rope_theta=float(rope_theta),
            max_seq_len=int(config.get("max_position_embeddings", 2048)),
            tie_embeddings=bool(config.get("tie_word_embeddings", False)),
        )


def lean_support_problem(config: dict) -> str | None:
    """Why the lean forward cannot run this config, or None if it can."""
    if config.get("model_type") != "llama":
        return f"model_type is {config.get('model_type')!r}, not 'llama'"
    if config.get("hidden_act", "silu") not in SUPPORTED_ACTIVATIONS:
        return f"activation {config.get('hidden_act')!r}"
    if config.get("attention_bias") or config.get("mlp_bias"):
        return "projection biases"
    scaling = config.get("rope_scaling") or {}
    rope_type = scaling.get("rope_type", scaling.get("type", "default"))
    params = config.get("rope_parameters") or {}
    rope_type = params.get("rope_type", rope_type)
    if rope_type not in ("default", None):
        return f"rope scaling {rope_type!r}"
    return None


class KVCache:
    """Keys and values for every layer: (L, B, n_kv, max_len, head_dim)."""

    def __init__(self, shape: LlamaShape, batch: int, max_len: int, dtype: torch.dtype) -> None:
        size = (shape.n_layers, batch, shape.n_kv_heads, max_len, shape.head_dim)
        self.k = torch.zeros(size, dtype=dtype)
        self.v = torch.zeros(size, dtype=dtype)
        self.length = 0

    @property
    def batch(self) -> int:
        return self.k.shape[1]

    def expand(self, n: int) -> None:
        """Copy the single prompt row to n rows (after a batch-1 prefill)."""
        self.k = self.k.expand(-1, n, -1, -1, -1).contiguous()
        self.v = self.v.expand(-1, n, -1, -1, -1).contiguous()

    def keep(self, rows: torch.Tensor) -> None:
        """Drop finished rows so later steps compute only live ones."""
        self.k = self.k.index_select(1, rows)
        self.v = self.v.index_select(1, rows)


class LeanLlama:
    """Llama weights arranged for decoding; call `forward` with a KVCache."""

    def __init__(self, shape: LlamaShape, weights: dict[str, torch.Tensor], dtype: torch.dtype) -> None:
        self.shape = shape
        self.dtype = dtype
        get = _weight_getter(weights, dtype)
        self.embed = get("model.embed_tokens.weight")
        self.lm_head = self.embed if shape.tie_embeddings else get("lm_head.weight", self.embed)
        self.final_norm = get("model.norm.weight").float()
        self.layers = [self._layer(get, i) for i in range(shape.n_layers)]
        self.cos, self.sin = _rope_tables(shape, dtype)

    @staticmethod
    def _layer(get, i: int) -> dict[str, torch.Tensor]:
        p = f"model.layers.{i}."
        return {
            "attn_norm": get(p + "input_layernorm.weight").float(),
            "qkv": torch.cat(
                [get(p + f"self_attn.{n}_proj.weight") for n in ("q", "k", "v")], dim=0
            ).contiguous(),
            "o": get(p + "self_attn.o_proj.weight"),
            "mlp_norm": get(p + "post_attention_layernorm.weight").float(),
            "gate_up": torch.cat(
                [get(p + "mlp.gate_proj.weight"), get(p + "mlp.up_proj.weight")], dim=0
            ).contiguous(),
            "down": get(p + "mlp.down_proj.weight"),
        }

    def new_cache(self, batch: int, max_len: int | None = None) -> KVCache:
        return KVCache(self.shape, batch, max_len or self.shape.max_seq_len, self.dtype)

    @torch.inference_mode()
    def forward(self, tokens: torch.Tensor, cache: KVCache | None, all_logits: bool = False) -> torch.Tensor:
        """Logits for `tokens` (B, T) appended after what `cache` holds.

        Returns (B, V) float32 logits of the last position, or (B, T, V) with
        `all_logits`. With `cache=None` the sequence is scored from scratch.
        """
        s = self.shape
        B, T = tokens.shape
        start = cache.length if cache is not None else 0
        if start + T > s.max_seq_len:
            raise ValueError(f"sequence of {start + T} tokens exceeds context {s.max_seq_len}")
        x = F.embedding(tokens, self.embed)  # (B, T, dim)
        cos = self.cos[start : start + T]  # (T, hd)
        sin = self.sin[start : start + T]
        mask = _causal_mask(start, T) if (T > 1 and start > 0) else None
        q_dim, kv_dim = s.n_heads * s.head_dim, s.n_kv_heads * s.head_dim
        for i, layer in enumerate(self.layers):
            h = _rms_norm(x, layer["attn_norm"], s.norm_eps)
            q, k, v = F.linear(h, layer["qkv"]).split([q_dim, kv_dim, kv_dim], dim=-1)
            q = q.view(B, T, s.n_heads, s.head_dim).transpose(1, 2)  # (B, nh, T, hd)
            k = k.view(B, T, s.n_kv_heads, s.head_dim).transpose(1, 2)  # (B, nkv, T, hd)
            v = v.view(B, T, s.n_kv_heads, s.head_dim).transpose(1, 2)
            q, k = _apply_rope(q, cos, sin), _apply_rope(k, cos, sin)
            if cache is not None:
                cache.k[i, :, :, start : start + T] = k
                cache.v[i, :, :, start : start + T] = v
                k = cache.k[i, :, :, : start + T]
                v = cache.v[i, :, :, : start + T]
            att = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, is_causal=mask is None and T > 1,
                enable_gqa=s.n_kv_heads != s.n_heads,
            )  # (B, nh, T, hd)
            x = x + F.linear(att.transpose(1, 2).reshape(B, T, q_dim), layer["o"])
            h = _rms_norm(x, layer["mlp_norm"], s.norm_eps)
            gate, up = F.linear(h, layer["gate_up"]).chunk(2, dim=-1)
            x = x + F.linear(F.silu(gate) * up, layer["down"])
        if cache is not None:
            cache.length = start + T
        if not all_logits:
            x = x[:, -1, :]
        x = _rms_norm(x, self.final_norm, s.norm_eps)
        return F.linear(x, self.lm_head).float()


def load_lean_llama(path: Path, dtype: torch.dtype = torch.bfloat16) -> LeanLlama:
    """Load a Llama checkpoint directory into the lean forward pass."""
    config = read_config(path)
    problem = lean_support_problem(config)
    if problem:
        raise ValueError(f"lean forward does not support {problem}")
    return LeanLlama(LlamaShape.from_config(config), load_weights(path), dtype)


def read_config(path: Path) -> dict:
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CorruptCheckpoint(
            f"Cannot read {path / 'config.json'}: {exc}. A checkpoint folder needs config.json, "
            "model.safetensors and tokenizer.json (save one with `model.save_pretrained(DIR)`)."
        ) from exc


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    files = sorted(path.glob("*.safetensors"))
    if not files:
        raise CorruptCheckpoint(
            f"No *.safetensors weights in {path}. Re-save the model with "
            "`model.save_pretrained(DIR, safe_serialization=True)`."
        )
    weights: dict[str, torch.Tensor] = {}
    for file in files:
        try:
            weights.update(load_file(str(file)))
        except Exception as exc:  # safetensors raises several types for damaged files
            raise CorruptCheckpoint(
                f"{file} is damaged or not a safetensors file ({exc}). "
                "Restore it from its source or re-save the checkpoint."
            ) from exc
    return weights


def _weight_getter(weights: dict[str, torch.Tensor], dtype: torch.dtype):
    def get(name: str, default: torch.Tensor | None = None) -> torch.Tensor:
        if name in weights:
            return weights[name].to(dtype).contiguous()
        if default is not None:
            return default
        raise CorruptCheckpoint(f"Checkpoint is missing the tensor {name!r}; it is not a complete Llama model.")

    return get


def _rope_tables(shape: LlamaShape, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    hd = shape.head_dim
    inv_freq = 1.0 / (shape.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    angles = torch.outer(torch.arange(shape.max_seq_len, dtype=torch.float32), inv_freq)
    emb = torch.cat([angles, angles], dim=-1)  # (max_len, hd)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def _apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    # float32 statistics, as transformers does, so bf16 weights do not drift
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return (weight * xf).to(x.dtype)


def _causal_mask(start: int, T: int) -> torch.Tensor:
    rows = torch.arange(start, start + T).unsqueeze(1)
    cols = torch.arange(start + T).unsqueeze(0)
    return cols <= rows  # (T, start+T) bool, True = attend


def param_count(shape: LlamaShape) -> int:
    per_layer = shape.dim * (shape.n_heads + 2 * shape.n_kv_heads) * shape.head_dim
    per_layer += shape.n_heads * shape.head_dim * shape.dim + 3 * shape.dim * shape.hidden_dim + 2 * shape.dim
    embed = shape.vocab_size * shape.dim * (1 if shape.tie_embeddings else 2)
    return shape.n_layers * per_layer + embed + shape.dim


__all__ = ["KVCache", "LeanLlama", "LlamaShape", "lean_support_problem", "load_lean_llama", "param_count"]
