"""llama.cpp under Fabula's engine: runtime, backend, tokenizers, the auto runtime choice, errors."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch

pytest.importorskip("llama_cpp", reason="needs llama.cpp: pip install 'fabula[llamacpp]'")

from fabula.backends import GenerationOptions, resolve
from fabula.backends.registry import available_models
from fabula.engine import llamacpp_runtime
from fabula.engine.constraints import TokenFilter
from fabula.engine.decode import decode
from fabula.engine.llamacpp_runtime import LlamaCppModel, LlamaCppRuntime, LlamaCppTokenizer
from fabula.engine.runtime import LeanRuntime
from fabula.errors import BackendUnavailable, CorruptCheckpoint, InvalidOptions, ModelNotFound
from fabula.modeling.gguf_export import cached_gguf, export_gguf
from fabula.modeling.llama import load_lean_llama
from fabula.modeling.tokenizer import HFTokenizer

IDS = [5, 17, 99, 3, 250, 8, 42, 7]


@pytest.fixture(scope="module")
def gguf_f32(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_gguf(tiny_checkpoint, tmp_path_factory.mktemp("gguf") / "tiny-f32.gguf", "f32")


@pytest.fixture(scope="module")
def lean_f32(tiny_checkpoint: Path) -> LeanRuntime:
    return LeanRuntime(load_lean_llama(tiny_checkpoint, torch.float32))


@pytest.fixture(scope="module")
def cpp_model(gguf_f32: Path) -> LlamaCppModel:
    return LlamaCppModel(gguf_f32)


def test_runtime_steps_match_the_lean_forward_through_keep(cpp_model: LlamaCppModel, lean_f32: LeanRuntime) -> None:
    """Prefill + steps at batch 4, then rows leave (and one is kept twice): logits agree throughout."""
    runtime = LlamaCppRuntime(cpp_model)
    a, b = runtime.prefill(IDS, 4), lean_f32.prefill(IDS, 4)
    assert a.shape == (4, cpp_model.n_vocab) and a.dtype == torch.float32
    assert (a - b).abs().max() < 1e-3
    tokens = torch.tensor([3, 9, 27, 81])
    for i in range(12):
        a, b = runtime.step(tokens), lean_f32.step(tokens)
        assert a.shape == b.shape and (a - b).abs().max() < 1e-3, i
        tokens = b.argmax(-1)
        if i == 4:
            keep = torch.tensor([3, 1])
        elif i == 8:
            keep = torch.tensor([0, 0, 1])
        else:
            continue
        runtime.keep(keep)
        lean_f32.keep(keep)
        tokens = tokens[keep]
    assert len(runtime.rows) == 3 and len(set(runtime.rows)) == 3
    runtime.close()


def test_kv_cache_grows_and_replays_the_live_rows(
    cpp_model: LlamaCppModel, lean_f32: LeanRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llamacpp_runtime, "GROW_TOKENS", 2)
    runtime = LlamaCppRuntime(cpp_model)
    runtime.prefill(IDS, 8)
    lean_f32.prefill(IDS, 8)
    first = runtime.capacity
    tokens = torch.arange(8) + 10
    for _ in range(60):  # 8 rows x 60 tokens overflow the first context: it grows and replays
        a, b = runtime.step(tokens), lean_f32.step(tokens)
        assert (a - b).abs().max() < 1e-3
        tokens = b.argmax(-1)
    assert runtime.capacity > first
    # scoring in the middle of a generation leaves the generation intact
    scored = runtime.sequence_logits(IDS)
    assert (scored - lean_f32.sequence_logits(IDS)).abs().max() < 1e-3
    assert (runtime.step(tokens) - lean_f32.step(tokens)).abs().max() < 1e-3
    runtime.close()


def test_greedy_decoding_matches_the_lean_runtime(gguf_f32: Path, lean_f32: LeanRuntime, tiny_checkpoint: Path) -> None:
    backend = resolve(f"llamacpp:{gguf_f32}")
    assert backend.describe()["runtime"] == "llama.cpp"
    tokenizer = HFTokenizer(tiny_checkpoint)
    ids = tokenizer.encode_prompt("The sea was calm")
    options = GenerationOptions(max_tokens=24, temperature=0, n=3)
    lean_tokens = [[] for _ in range(3)]
    for chunk in decode(lean_f32, tokenizer, ids, options):
        lean_tokens[chunk.index].extend(chunk.token_ids)
    out = backend.generate("The sea was calm", options)
    assert [c.token_ids for c in out] == lean_tokens
    assert all(c.finish_reason in ("length", "stop") for c in out)
    assert backend.last_usage is not None and backend.last_usage.prompt_tokens == len(ids)


def test_alternatives_are_seeded_and_distinct(gguf_f32: Path) -> None:
    backend = resolve(f"llamacpp:{gguf_f32}")
    options = GenerationOptions(max_tokens=16, n=4, seed=2, temperature=1.0)
    first = backend.generate("Once", options)
    assert [c.token_ids for c in first] == [c.token_ids for c in backend.generate("Once", options)]
    assert len({tuple(c.token_ids) for c in first}) > 1
    assert all(len(c.token_ids) == 16 or c.finish_reason == "stop" for c in first)


def test_stop_strings_end_an_alternative(gguf_f32: Path) -> None:
    backend = resolve(f"llamacpp:{gguf_f32}")
    greedy = GenerationOptions(max_tokens=30, temperature=0)
    text = backend.generate("Once", greedy)[0].text
    stop = text[8:11]
    assert len(stop) == 3 and stop.strip()
    out = backend.generate("Once", greedy.model_copy(update={"stop": (stop,)}))[0]
    assert out.finish_reason == "stop"
    assert stop not in out.text and text.startswith(out.text)
    assert len(out.text) == text.index(stop)


def test_constraints_shape_the_distribution(gguf_f32: Path) -> None:
    backend = resolve(f"llamacpp:{gguf_f32}")
    assert backend.supports_constraints
    letters = set("abcdefghijklmnopqrstuvwxyz ")
    options = GenerationOptions(max_tokens=20, n=4, seed=2, temperature=1.0)
    constrained = backend.generate("Once", options, TokenFilter(lambda t: bool(t) and set(t) <= letters, allow_eos=False))
    assert all(set(c.text) <= letters and len(c.token_ids) == 20 for c in constrained)


def test_score_matches_the_lean_runtime(gguf_f32: Path, tiny_checkpoint: Path) -> None:
    cpp = resolve(f"llamacpp:{gguf_f32}").score("The sea was", " calm that night")
    lean = resolve(f"hf:{tiny_checkpoint}")  # FABULA_RUNTIME=lean in tests (conftest)
    expected = lean.score("The sea was", " calm that night")
    assert cpp.token_ids == expected.token_ids
    assert cpp.total == pytest.approx(expected.total, abs=0.05)


def test_tokenizer_comes_from_the_source_checkpoint_or_the_gguf(tiny_checkpoint: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, copy)
    gguf = export_gguf(copy, tmp_path / "models" / "tiny.gguf", "f32")
    with_source = resolve(f"llamacpp:{gguf}")
    assert isinstance(with_source.tokenizer, HFTokenizer)
    assert with_source.describe()["tokenizer"] == f"hf:{copy.resolve()}"
    shutil.rmtree(copy)  # source gone, nothing beside the file: llama.cpp's own tokenizer
    own = resolve(f"llamacpp:{gguf}")
    assert isinstance(own.tokenizer, LlamaCppTokenizer)
    hf = HFTokenizer(tiny_checkpoint)
    for text in ["The sea was calm that night.", "Shall I compare thee?  Yes!\n\"Twelve\" 13 bells", "<|eos|>x"]:
        assert own.tokenizer.encode(text) == hf.encode(text)  # gpt2 vocab + gpt-2 pre-tokenizer = byte-level BPE
        assert own.tokenizer.decode(hf.encode(text)) == text
    assert own.tokenizer.eos_token_ids == hf.eos_token_ids
    assert own.generate("Once", GenerationOptions(max_tokens=5, temperature=0))[0].token_ids


def test_available_lists_gguf_files_in_home(gguf_f32: Path, fabula_home: Path) -> None:
    assert not [m for m in available_models() if m.spec.startswith("llamacpp:")]
    (fabula_home / "models").mkdir(parents=True)
    shutil.copy(gguf_f32, fabula_home / "models" / "story.gguf")
    specs = [m.spec for m in available_models() if m.spec.startswith("llamacpp:")]
    assert specs == [f"llamacpp:{fabula_home / 'models' / 'story.gguf'}"]


def test_auto_runtime_runs_checkpoints_on_llama_cpp(tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABULA_RUNTIME", "auto")
    backend = resolve(f"hf:{tiny_checkpoint}")
    assert backend.describe()["runtime"] == "llamacpp"
    assert isinstance(backend.runtime, LlamaCppRuntime)
    assert backend.generate("Once", GenerationOptions(max_tokens=4, seed=0))[0].token_ids
    assert cached_gguf(tiny_checkpoint).exists()
    monkeypatch.setenv("FABULA_RUNTIME", "lean")
    assert resolve(f"hf:{tiny_checkpoint}").describe()["runtime"] == "lean"
    monkeypatch.setenv("FABULA_RUNTIME", "llamacpp")
    assert resolve(f"hf:{tiny_checkpoint}").describe()["runtime"] == "llamacpp"
    monkeypatch.setenv("FABULA_RUNTIME", "fast")
    with pytest.raises(InvalidOptions, match="auto, llamacpp, lean, transformers"):
        resolve(f"hf:{tiny_checkpoint}").describe()


def test_auto_runtime_without_llama_cpp_is_lean(tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABULA_RUNTIME", "auto")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    assert resolve(f"hf:{tiny_checkpoint}").describe()["runtime"] == "lean"


def test_bad_files_say_what_they_are(tmp_path: Path, gguf_f32: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelNotFound, match="No GGUF file"):
        resolve(f"llamacpp:{tmp_path / 'none.gguf'}")
    with pytest.raises(CorruptCheckpoint, match="folder"):
        resolve(f"llamacpp:{tmp_path}")
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(CorruptCheckpoint, match="not a GGUF file"):
        resolve(f"llamacpp:{not_gguf}")
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(gguf_f32.read_bytes()[:5000])
    with pytest.raises(CorruptCheckpoint, match="could not load"):
        resolve(f"llamacpp:{truncated}").generate("x", GenerationOptions(max_tokens=1))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    with pytest.raises(BackendUnavailable, match=r"pip install 'fabula\[llamacpp\]'"):
        resolve(f"llamacpp:{gguf_f32}")
