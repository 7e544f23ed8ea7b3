"""Write a Hugging Face Llama checkpoint as GGUF, for llama.cpp.

Fabula writes GGUF itself (with the `gguf` package) rather than running
llama.cpp's converter, because that converter refuses byte-level BPE
tokenizers whose pre-tokenizer hash it does not know, which includes every
tokenizer trained here. The layout follows llama.cpp's Llama architecture:
q/k rows are permuted from the rotate-half order of Hugging Face to the
interleaved order llama.cpp's rope expects.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch

from fabula.modeling.llama import LlamaShape, lean_support_problem, load_weights, read_config
from fabula.paths import cache_dir

OUTTYPES = ("f32", "f16", "q8_0")
SOURCE_KEY = "fabula.source"  # the checkpoint folder a GGUF was exported from


def _permute(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Rows of a q/k projection, from HF rotate-half to interleaved pairs."""
    out_dim = w.shape[0]
    return w.reshape(n_heads, 2, out_dim // n_heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _tensor_names(n_layers: int) -> dict[str, str]:
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    parts = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
             "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
             "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down"}
    for i in range(n_layers):
        for hf, gg in parts.items():
            names[f"model.layers.{i}.{hf}.weight"] = f"blk.{i}.{gg}.weight"
    return names


def export_gguf(checkpoint: Path, out_file: Path, outtype: str = "q8_0") -> Path:
    """Convert `checkpoint` (a Llama folder) to a GGUF file at `out_file`."""
    import gguf

    if outtype not in OUTTYPES:
        raise ValueError(f"outtype must be one of {OUTTYPES}")
    config = read_config(checkpoint)
    problem = lean_support_problem(config)
    if problem:
        raise ValueError(f"GGUF export supports plain Llama checkpoints, not {problem}")
    shape = LlamaShape.from_config(config)
    tmp = out_file.with_name(f".{out_file.name}.{os.getpid()}.tmp")
    writer = gguf.GGUFWriter(str(tmp), "llama")
    _write_hparams(writer, shape, checkpoint)
    _write_tokenizer(writer, checkpoint, shape.vocab_size)
    weights = load_weights(checkpoint)
    names = _tensor_names(shape.n_layers)
    if shape.tie_embeddings or "lm_head.weight" not in weights:
        del names["lm_head.weight"]  # llama.cpp reuses token_embd when output is absent
    for hf_name, gg_name in names.items():
        data = weights[hf_name].to(torch.float32).numpy()
        if hf_name.endswith("q_proj.weight"):
            data = _permute(data, shape.n_heads)
        elif hf_name.endswith("k_proj.weight"):
            data = _permute(data, shape.n_kv_heads)
        _add_tensor(writer, gg_name, data, outtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out_file)
    return out_file


def _write_hparams(writer, shape: LlamaShape, checkpoint: Path) -> None:  # type: ignore[no-untyped-def]
    writer.add_context_length(shape.max_seq_len)
    writer.add_embedding_length(shape.dim)
    writer.add_block_count(shape.n_layers)
    writer.add_feed_forward_length(shape.hidden_dim)
    writer.add_head_count(shape.n_heads)
    writer.add_head_count_kv(shape.n_kv_heads)
    writer.add_key_length(shape.head_dim)
    writer.add_value_length(shape.head_dim)
    writer.add_rope_dimension_count(shape.head_dim)
    writer.add_layer_norm_rms_eps(shape.norm_eps)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_vocab_size(shape.vocab_size)
    writer.add_string(SOURCE_KEY, str(checkpoint.resolve()))


def _add_tensor(writer, name: str, data: np.ndarray, outtype: str) -> None:  # type: ignore[no-untyped-def]
    import gguf

    if data.ndim == 1 or outtype == "f32":  # norms stay float32
        writer.add_tensor(name, data.astype(np.float32))
    elif outtype == "f16":
        writer.add_tensor(name, data.astype(np.float16))
    else:
        q = gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0)
        writer.add_tensor(name, q, raw_shape=q.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)


def _write_tokenizer(writer, checkpoint: Path, vocab_size: int) -> None:  # type: ignore[no-untyped-def]
    """Byte-level BPE as llama.cpp's "gpt2" tokenizer with the GPT-2 pre-tokenizer."""
    import gguf

    spec = json.loads((checkpoint / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "BPE":
        raise ValueError(f"GGUF export needs a byte-level BPE tokenizer, not {model.get('type')}")
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    types = [gguf.TokenType.UNUSED] * vocab_size
    for text, tid in model["vocab"].items():
        if tid < vocab_size:
            tokens[tid], types[tid] = text, gguf.TokenType.NORMAL
    for added in spec.get("added_tokens", []):
        if added["id"] < vocab_size:
            tokens[added["id"]] = added["content"]
            types[added["id"]] = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    config = read_config(checkpoint)
    for key, add in (("bos_token_id", writer.add_bos_token_id), ("eos_token_id", writer.add_eos_token_id)):
        value = config.get(key)
        if isinstance(value, list):
            value = value[0]
        if isinstance(value, int):
            add(value)
    writer.add_add_bos_token(False)


def cached_gguf(checkpoint: Path, outtype: str = "q8_0") -> Path:
    """The GGUF of `checkpoint`, converted once into Fabula's cache."""
    digest = hashlib.sha256()
    for file in sorted(checkpoint.glob("*.safetensors")) + [checkpoint / "config.json", checkpoint / "tokenizer.json"]:
        stat = file.stat()
        digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    out = cache_dir() / "gguf" / f"{digest.hexdigest()[:16]}-{outtype}.gguf"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        export_gguf(checkpoint, out, outtype)
    return out
