from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from fabula.house.tiny import build_tiny_tokenizer
from fabula.modeling.llama import lean_support_problem, load_lean_llama, read_config


def make_llama(path: Path, **overrides) -> Path:
    build_tiny_tokenizer(path)
    shape = dict(
        vocab_size=384, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
    )
    config = LlamaConfig(**{**shape, **overrides})
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(str(path))
    return path


@pytest.mark.parametrize("overrides", [{}, {"num_key_value_heads": 1}, {"tie_word_embeddings": True}])
def test_logits_match_transformers(tmp_path: Path, overrides: dict) -> None:
    path = make_llama(tmp_path / "m", **overrides)
    ref = LlamaForCausalLM.from_pretrained(str(path), dtype=torch.float32).eval()
    ids = torch.tensor([[5, 17, 99, 3, 250, 8, 42]])
    with torch.no_grad():
        expected = ref(ids).logits[0]
    lean = load_lean_llama(path, torch.float32)
    got = lean.forward(ids, None, all_logits=True)[0]
    assert torch.allclose(got, expected, atol=1e-4)


def test_cached_steps_equal_full_forward(tmp_path: Path) -> None:
    lean = load_lean_llama(make_llama(tmp_path / "m"), torch.float32)
    ids = torch.tensor([[5, 17, 99, 3, 250, 8, 42, 7]])
    full = lean.forward(ids, None, all_logits=True)[0]
    cache = lean.new_cache(1)
    lean.forward(ids[:, :4], cache)
    chunk = lean.forward(ids[:, 4:6], cache, all_logits=True)[0]  # multi-token step after a prefix
    step = lean.forward(ids[:, 6:7], cache)[0]
    assert torch.allclose(chunk, full[4:6], atol=1e-5)
    assert torch.allclose(step, full[6], atol=1e-5)


def test_bf16_stays_close_to_fp32(tmp_path: Path) -> None:
    path = make_llama(tmp_path / "m")
    ids = torch.tensor([[5, 17, 99, 3]])
    fp32 = load_lean_llama(path, torch.float32).forward(ids, None)
    bf16 = load_lean_llama(path, torch.bfloat16).forward(ids, None)
    assert torch.allclose(fp32, bf16, atol=0.05)


def test_unsupported_configs_are_named() -> None:
    assert lean_support_problem({"model_type": "gpt2"}) == "model_type is 'gpt2', not 'llama'"
    assert "rope scaling" in lean_support_problem(
        {"model_type": "llama", "rope_scaling": {"rope_type": "llama3"}}
    )
    assert lean_support_problem({"model_type": "llama"}) is None


def test_read_config_of_missing_folder_says_what_to_do(tmp_path: Path) -> None:
    from fabula.errors import CorruptCheckpoint

    with pytest.raises(CorruptCheckpoint, match="save_pretrained"):
        read_config(tmp_path)
