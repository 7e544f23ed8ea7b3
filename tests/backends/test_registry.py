from pathlib import Path

import pytest
import torch

from fabula.backends import GenerationOptions, available_models, resolve
from fabula.backends.registry import backend_kinds
from fabula.errors import CorruptCheckpoint, InvalidOptions, ModelNotFound, UnknownModelSpec


def test_built_in_backends_register_through_entry_points() -> None:
    assert {"house", "hf", "openai", "llamacpp"} <= set(backend_kinds())


@pytest.mark.parametrize("spec", ["nonsense", "house:", ":x"])
def test_malformed_spec(spec: str) -> None:
    with pytest.raises(UnknownModelSpec, match="fabula models"):
        resolve(spec)


def test_unknown_backend_kind_lists_known_ones() -> None:
    with pytest.raises(UnknownModelSpec, match="Known backends: .*hf"):
        resolve("mystery:model")


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="No checkpoint at"):
        resolve(f"hf:{tmp_path / 'absent'}")


def test_file_instead_of_folder(tmp_path: Path) -> None:
    f = tmp_path / "model.gguf"
    f.write_bytes(b"GGUF")
    with pytest.raises(CorruptCheckpoint, match="llamacpp:"):
        resolve(f"hf:{f}")


def test_corrupt_weights(tiny_checkpoint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (broken / name).write_bytes((tiny_checkpoint / name).read_bytes())
    (broken / "model.safetensors").write_bytes(b"\x00" * 100)
    backend = resolve(f"hf:{broken}")
    with pytest.raises(CorruptCheckpoint, match="damaged"):
        backend.generate("x", GenerationOptions(max_tokens=2))


def test_unknown_house_model_lists_house_models() -> None:
    with pytest.raises(UnknownModelSpec, match="house:en"):
        resolve("house:does-not-exist")


def test_locally_trained_house_model_is_found(tiny_checkpoint: Path, fabula_home: Path) -> None:
    import shutil

    shutil.copytree(tiny_checkpoint, fabula_home / "house" / "mine")
    backend = resolve("house:mine")
    assert backend.generate("Once", GenerationOptions(max_tokens=3, seed=0))[0].token_ids
    assert "house:mine" in {m.spec for m in available_models()}


def test_other_architectures_run_through_transformers(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FABULA_RUNTIME", "auto")
    from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel

    tok = AutoTokenizer.from_pretrained(str(tiny_checkpoint))
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_embd=64, n_layer=2, n_head=1, n_positions=64))
    model.save_pretrained(str(tmp_path / "gpt2"))
    tok.save_pretrained(str(tmp_path / "gpt2"))
    backend = resolve(f"hf:{tmp_path / 'gpt2'}")
    assert backend.describe()["runtime"] == "transformers"
    monkeypatch.setenv("FABULA_RUNTIME", "lean")
    with pytest.raises(InvalidOptions, match="FABULA_RUNTIME=transformers"):
        _ = resolve(f"hf:{tmp_path / 'gpt2'}").runtime
    greedy = GenerationOptions(max_tokens=6, temperature=0)
    out = backend.generate("The sea", greedy.model_copy(update={"n": 2}))
    assert len(out[0].token_ids) == 6 and out[0].token_ids == out[1].token_ids
    ids = tok.encode("The sea")
    loaded = AutoModelForCausalLM.from_pretrained(str(tmp_path / "gpt2"), dtype=torch.bfloat16)
    ref = loaded.generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False, pad_token_id=0)
    assert out[0].token_ids == ref[0, len(ids) :].tolist()


def test_score_returns_per_token_logprobs(tiny_checkpoint: Path) -> None:
    backend = resolve(f"hf:{tiny_checkpoint}")
    score = backend.score("The sea", " was calm")
    assert len(score.logprobs) == len(score.token_ids) > 0
    assert all(lp < 0 for lp in score.logprobs)
    assert "".join(score.tokens) == " was calm"
