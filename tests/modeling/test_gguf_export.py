"""Fabula's own Llama -> GGUF writer: layout, metadata, tokenizer, cache, and llama.cpp's logits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

gguf = pytest.importorskip("gguf", reason="GGUF export needs the llama.cpp extra: pip install 'fabula[llamacpp]'")

from fabula.modeling.gguf_export import (
    SOURCE_KEY,
    cached_gguf,
    export_gguf,
    gguf_support_problem,
    permute_rope_rows,
    tensor_names,
)
from fabula.modeling.llama import load_lean_llama
from fabula.paths import cache_dir

IDS = [5, 17, 99, 3, 250, 8, 42, 7, 120, 64, 2, 300]
needs_llama_cpp = pytest.mark.skipif(
    __import__("importlib").util.find_spec("llama_cpp") is None,
    reason="needs llama.cpp: pip install 'fabula[llamacpp]'",
)


def _fields(path: Path) -> dict[str, object]:
    reader = gguf.GGUFReader(str(path))
    return {name: field.contents() for name, field in reader.fields.items()}


def _tensors(path: Path) -> dict[str, gguf.ReaderTensor]:
    return {t.name: t for t in gguf.GGUFReader(str(path)).tensors}


@pytest.fixture(scope="module")
def exported(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gguf-export")
    return {t: export_gguf(tiny_checkpoint, folder / f"tiny-{t}.gguf", t) for t in ("f32", "f16", "bf16", "q8_0")}


def test_tensor_names_follow_llama_cpp() -> None:
    names = tensor_names(2, tied=False)
    assert names["model.embed_tokens.weight"] == "token_embd.weight"
    assert names["model.layers.1.self_attn.q_proj.weight"] == "blk.1.attn_q.weight"
    assert names["model.layers.0.self_attn.o_proj.weight"] == "blk.0.attn_output.weight"
    assert names["model.layers.0.input_layernorm.weight"] == "blk.0.attn_norm.weight"
    assert names["model.layers.0.post_attention_layernorm.weight"] == "blk.0.ffn_norm.weight"
    assert names["model.layers.1.mlp.down_proj.weight"] == "blk.1.ffn_down.weight"
    assert names["model.norm.weight"] == "output_norm.weight"
    assert names["lm_head.weight"] == "output.weight"
    assert "lm_head.weight" not in tensor_names(2, tied=True)
    assert len(tensor_names(3, tied=True)) == 1 + 9 * 3 + 1


def _rope(x: np.ndarray, pos: int, interleaved: bool) -> np.ndarray:
    """Rotate one head vector: HF rotate-half pairs (i, i + d/2) or llama.cpp's adjacent pairs (2i, 2i + 1)."""
    d = x.shape[-1]
    theta = pos * 10000.0 ** (-np.arange(0, d, 2) / d)
    cos, sin = np.cos(theta), np.sin(theta)
    a, b = (x[0::2], x[1::2]) if interleaved else (x[: d // 2], x[d // 2 :])
    ra, rb = a * cos - b * sin, a * sin + b * cos
    out = np.empty_like(x)
    if interleaved:
        out[0::2], out[1::2] = ra, rb
    else:
        out[: d // 2], out[d // 2 :] = ra, rb
    return out


def test_permutation_turns_rotate_half_into_adjacent_pairs() -> None:
    rng = np.random.default_rng(0)
    heads, d, dim = 3, 8, 5
    w, h = rng.normal(size=(heads * d, dim)), rng.normal(size=dim)
    hf = (w @ h).reshape(heads, d)
    cpp = (permute_rope_rows(w, heads) @ h).reshape(heads, d)
    for head in range(heads):
        for pos in (0, 3, 17):
            # llama.cpp's rotated head is HF's rotated head with the same row order change, so every
            # q.k attention score (both sides permuted alike) is unchanged
            hf_rot, cpp_rot = _rope(hf[head], pos, False), _rope(cpp[head], pos, True)
            assert np.allclose(cpp_rot[0::2], hf_rot[: d // 2]) and np.allclose(cpp_rot[1::2], hf_rot[d // 2 :])


def test_metadata_hyperparameters_and_tokenizer(exported: dict[str, Path], tiny_checkpoint: Path) -> None:
    fields = _fields(exported["q8_0"])
    config = json.loads((tiny_checkpoint / "config.json").read_text())
    assert fields["general.architecture"] == "llama"
    assert fields["llama.context_length"] == config["max_position_embeddings"]
    assert fields["llama.embedding_length"] == config["hidden_size"]
    assert fields["llama.block_count"] == config["num_hidden_layers"]
    assert fields["llama.feed_forward_length"] == config["intermediate_size"]
    assert fields["llama.attention.head_count"] == config["num_attention_heads"]
    assert fields["llama.attention.head_count_kv"] == config["num_key_value_heads"]
    assert fields["llama.attention.layer_norm_rms_epsilon"] == pytest.approx(config["rms_norm_eps"])
    assert fields["llama.rope.freq_base"] == pytest.approx(10000.0)
    assert fields["llama.vocab_size"] == config["vocab_size"]
    assert fields["general.file_type"] == gguf.LlamaFileType.MOSTLY_Q8_0
    assert fields[SOURCE_KEY] == str(tiny_checkpoint.resolve())

    spec = json.loads((tiny_checkpoint / "tokenizer.json").read_text())
    assert fields["tokenizer.ggml.model"] == "gpt2"
    assert fields["tokenizer.ggml.pre"] == "gpt-2"
    tokens, types = fields["tokenizer.ggml.tokens"], fields["tokenizer.ggml.token_type"]
    assert len(tokens) == len(types) == config["vocab_size"]
    for text, tid in spec["model"]["vocab"].items():
        assert tokens[tid] == text
    assert tokens[0] == "<|bos|>" and types[0] == gguf.TokenType.CONTROL
    assert types[10] == gguf.TokenType.NORMAL
    merges = fields["tokenizer.ggml.merges"]
    assert merges[0] == " ".join(spec["model"]["merges"][0]) and len(merges) == len(spec["model"]["merges"])
    assert fields["tokenizer.ggml.bos_token_id"] == config["bos_token_id"]
    assert fields["tokenizer.ggml.eos_token_id"] == config["eos_token_id"]
    assert fields["tokenizer.ggml.add_bos_token"] is False  # Fabula's tokenizer adds no BOS for this model


@pytest.mark.parametrize(
    ("outtype", "matrix_type"),
    [("f32", "F32"), ("f16", "F16"), ("bf16", "BF16"), ("q8_0", "Q8_0")],
)
def test_tensor_types_and_shapes(exported: dict[str, Path], outtype: str, matrix_type: str) -> None:
    tensors = _tensors(exported[outtype])
    assert "output.weight" not in tensors  # tied embeddings: llama.cpp reuses token_embd
    assert tensors["blk.0.attn_q.weight"].tensor_type.name == matrix_type
    assert tensors["token_embd.weight"].tensor_type.name == matrix_type
    for norm in ("blk.0.attn_norm.weight", "blk.1.ffn_norm.weight", "output_norm.weight"):
        assert tensors[norm].tensor_type.name == "F32"  # norms stay float32
    assert list(tensors["blk.0.ffn_gate.weight"].shape) == [64, 192]  # GGUF lists dims innermost first
    assert list(tensors["blk.0.ffn_down.weight"].shape) == [192, 64]


def test_f32_tensors_are_the_checkpoint_weights_permuted(exported: dict[str, Path], tiny_checkpoint: Path) -> None:
    from safetensors.numpy import load_file

    weights = load_file(str(tiny_checkpoint / "model.safetensors"))
    tensors = _tensors(exported["f32"])
    q = weights["model.layers.0.self_attn.q_proj.weight"]
    got_q = np.asarray(tensors["blk.0.attn_q.weight"].data).reshape(q.shape)
    assert np.array_equal(got_q, permute_rope_rows(q, 1))
    v = weights["model.layers.1.self_attn.v_proj.weight"]
    assert np.array_equal(np.asarray(tensors["blk.1.attn_v.weight"].data).reshape(v.shape), v)


def test_export_refuses_what_it_cannot_write(tiny_checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outtype"):
        export_gguf(tiny_checkpoint, tmp_path / "x.gguf", "q4_k")
    other = tmp_path / "gpt2-like"
    shutil.copytree(tiny_checkpoint, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "model_type": "gpt2"}))
    assert "gpt2" in (gguf_support_problem(other) or "")
    with pytest.raises(ValueError, match="Cannot export"):
        export_gguf(other, tmp_path / "x.gguf", "f32")
    (other / "config.json").write_text(json.dumps(config))
    spec = json.loads((other / "tokenizer.json").read_text())
    spec["model"]["type"] = "Unigram"
    (other / "tokenizer.json").write_text(json.dumps(spec))
    assert "Unigram" in (gguf_support_problem(other) or "")
    assert gguf_support_problem(tiny_checkpoint) is None
    assert not list(tmp_path.glob("*.gguf")) and not list(tmp_path.glob(".*.tmp"))


def test_cached_gguf_converts_once_per_weights(tiny_checkpoint: Path, tmp_path: Path) -> None:
    first = cached_gguf(tiny_checkpoint, "q8_0")
    assert first.parent == cache_dir() / "gguf" and first.name.endswith("-q8_0.gguf")
    stamp = first.stat().st_mtime_ns
    assert cached_gguf(tiny_checkpoint, "q8_0") == first and first.stat().st_mtime_ns == stamp
    assert cached_gguf(tiny_checkpoint, "f16") != first
    copy = tmp_path / "copy"
    shutil.copytree(tiny_checkpoint, copy)
    assert cached_gguf(copy, "q8_0").name == first.name  # same weights, same file
    from safetensors.torch import load_file, save_file

    weights = load_file(str(copy / "model.safetensors"))
    weights["model.norm.weight"] = weights["model.norm.weight"] * 2
    save_file(weights, str(copy / "model.safetensors"), metadata={"format": "pt"})
    assert cached_gguf(copy, "q8_0").name != first.name  # new weights, new file
    assert not list((cache_dir() / "gguf").glob(".*.tmp"))


@needs_llama_cpp
@pytest.mark.parametrize(("outtype", "tolerance"), [("f32", 1e-3), ("f16", 2e-3), ("bf16", 1e-2), ("q8_0", 3e-2)])
def test_llama_cpp_logits_match_the_lean_forward(
    exported: dict[str, Path], tiny_checkpoint: Path, outtype: str, tolerance: float
) -> None:
    from fabula.engine.llamacpp_runtime import LlamaCppRuntime

    expected = load_lean_llama(tiny_checkpoint, torch.float32).forward(torch.tensor([IDS]), None, all_logits=True)[0]
    runtime = LlamaCppRuntime(exported[outtype])
    try:
        got = runtime.sequence_logits(IDS)
    finally:
        runtime.close()
    assert got.shape == expected.shape and got.dtype == torch.float32
    assert (got - expected).abs().max().item() < tolerance
    assert torch.equal(got.argmax(-1), expected.argmax(-1)) or outtype != "f32"
