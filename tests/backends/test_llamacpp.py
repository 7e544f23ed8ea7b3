"""llama.cpp under Fabula's engine: GGUF export, logits, decoding, errors."""

from pathlib import Path

import pytest
import torch

pytest.importorskip("llama_cpp", reason="needs llama.cpp: pip install 'fabula[llamacpp]'")

from fabula.backends import GenerationOptions, resolve  # noqa: E402
from fabula.engine.constraints import TokenFilter  # noqa: E402
from fabula.errors import CorruptCheckpoint, ModelNotFound  # noqa: E402
from fabula.modeling.gguf_export import cached_gguf, export_gguf  # noqa: E402
from fabula.modeling.llama import load_lean_llama  # noqa: E402


@pytest.fixture(scope="module")
def gguf_f32(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_gguf(tiny_checkpoint, tmp_path_factory.mktemp("gguf") / "tiny-f32.gguf", "f32")


IDS = [5, 17, 99, 3, 250, 8, 42, 7]


def test_f32_logits_match_the_checkpoint(gguf_f32: Path, tiny_checkpoint: Path) -> None:
    backend = resolve(f"llamacpp:{gguf_f32}")
    got = backend.runtime.sequence_logits(IDS)
    expected = load_lean_llama(tiny_checkpoint, torch.float32).forward(torch.tensor([IDS]), None, all_logits=True)[0]
    assert torch.allclose(got, expected, atol=2e-3)


def test_q8_0_stays_close(tiny_checkpoint: Path, tmp_path: Path) -> None:
    q8 = resolve(f"llamacpp:{export_gguf(tiny_checkpoint, tmp_path / 'q8.gguf', 'q8_0')}")
    expected = load_lean_llama(tiny_checkpoint, torch.float32).forward(torch.tensor([IDS]), None, all_logits=True)[0]
    assert (q8.runtime.sequence_logits(IDS) - expected).abs().max() < 0.05


def test_greedy_decoding_matches_transformers(gguf_f32: Path, tiny_checkpoint: Path) -> None:
    from transformers import AutoModelForCausalLM

    backend = resolve(f"llamacpp:{gguf_f32}")
    assert backend.describe()["runtime"] == "llama.cpp"
    ids = backend.tokenizer.encode_prompt("The sea was calm")
    ref = AutoModelForCausalLM.from_pretrained(str(tiny_checkpoint), dtype=torch.float32).generate(
        torch.tensor([ids]), max_new_tokens=10, do_sample=False, eos_token_id=None, pad_token_id=0
    )[0, len(ids):].tolist()
    out = backend.generate("The sea was calm", GenerationOptions(max_tokens=10, temperature=0, n=3))
    assert all(c.token_ids == ref for c in out)


def test_alternatives_stop_strings_and_constraints(gguf_f32: Path) -> None:
    backend = resolve(f"llamacpp:{gguf_f32}")
    options = GenerationOptions(max_tokens=20, n=4, seed=2, temperature=1.0)
    first = backend.generate("Once", options)
    assert [c.token_ids for c in first] == [c.token_ids for c in backend.generate("Once", options)]
    assert len({tuple(c.token_ids) for c in first}) > 1
    letters = set("abcdefghijklmnopqrstuvwxyz ")
    constrained = backend.generate(
        "Once", options, TokenFilter(lambda t: bool(t) and set(t) <= letters, allow_eos=False)
    )
    assert all(set(c.text) <= letters and len(c.token_ids) == 20 for c in constrained)


def test_auto_runtime_converts_a_checkpoint_once(tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABULA_RUNTIME", "auto")
    backend = resolve(f"hf:{tiny_checkpoint}")
    assert backend.describe()["runtime"] == "llamacpp"
    assert backend.generate("Once", GenerationOptions(max_tokens=4, seed=0))[0].token_ids
    path = cached_gguf(tiny_checkpoint)
    stamp = path.stat().st_mtime_ns
    assert cached_gguf(tiny_checkpoint).stat().st_mtime_ns == stamp


def test_bad_files_say_what_they_are(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(ModelNotFound, match="No GGUF file"):
        resolve(f"llamacpp:{tmp_path / 'none.gguf'}")
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(CorruptCheckpoint, match="not a GGUF file"):
        resolve(f"llamacpp:{not_gguf}")
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(export_gguf(tiny_checkpoint, tmp_path / "ok.gguf", "f32").read_bytes()[:5000])
    with pytest.raises(CorruptCheckpoint, match="could not load"):
        resolve(f"llamacpp:{truncated}").generate("x", GenerationOptions(max_tokens=1))
