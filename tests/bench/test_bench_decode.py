"""The decode benchmark runs end to end (structure only: speed is never asserted in tests)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabula.bench.decode import BASELINE, ENGINE_CPP, ENGINE_LEAN, LLAMA_CPP, run
from fabula.cli import app

HAVE_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None


def test_benchmark_measures_every_contender(tiny_checkpoint: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    report = run(tiny_checkpoint, tokens=3, prompt_tokens=4, batches=(1, 2), repeats=1, bandwidth_mb=16,
                 progress=lambda done, total, what: seen.append((done, total, what)))
    results = {(r["contender"], r["batch"]): r for r in report["results"]}
    for name in (BASELINE, "transformers generate bf16", ENGINE_LEAN, ENGINE_CPP):
        assert (name, 1) in results and (name, 2) in results
    assert (LLAMA_CPP, 1) in results
    for r in report["results"]:
        if HAVE_LLAMA_CPP or r["contender"] not in (ENGINE_CPP, LLAMA_CPP):
            assert r["tokens_per_s"] > 0 and r["ttft_ms"] > 0, r
        else:
            assert r["tokens_per_s"] is None and "not installed" in r["note"]
    ratios = {(r["contender"], r["batch"]): r for r in report["ratios"]}
    assert ratios[(BASELINE, 1)]["vs_generate"] == 1.0 and ratios[(BASELINE, 2)]["vs_generate"] == 1.0
    if HAVE_LLAMA_CPP:
        assert ratios[(LLAMA_CPP, 1)]["vs_llamacpp"] == 1.0
        assert ratios[(ENGINE_CPP, 1)]["vs_llamacpp"] > 0
        assert set(report["batch1_bound_tok_s"]) == {"fp32", "bf16", "q8_0"}
    assert ratios[(ENGINE_LEAN, 2)]["vs_llamacpp"] is None  # raw llama.cpp runs at batch 1 only
    assert report["bandwidth_gbs"] > 0 and report["parameters"] > 0
    assert seen[-1][0] == seen[-1][1]  # the progress callback reaches the end


def test_bench_cli_prints_json_and_writes_markdown(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    args = ["bench", "decode", "-m", f"hf:{tiny_checkpoint}", "--tokens", "2", "--prompt-tokens", "3",
            "--repeats", "1", "--bandwidth-mb", "16", "--json", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tokens"] == 2 and report["prompt_tokens"] == 3 and report["batches"] == [1, 8]
    text = out.read_text()
    assert text.startswith("| contender | batch | tok/s | first token ms | × generate fp32 | × llama.cpp q8_0 |")
    assert "Memory bandwidth" in text and BASELINE in text


def test_bench_cli_needs_a_model_when_the_house_model_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fabula.house.catalog.SHIPPED_DIR", tmp_path / "no-models")
    result = CliRunner().invoke(app, ["bench", "decode", "--tokens", "2"])
    assert result.exit_code == 1
    assert "--model" in result.output and "--random-config" in result.output


def test_bench_cli_rejects_unknown_random_configs() -> None:
    result = CliRunner().invoke(app, ["bench", "decode", "--random-config", "huge"])
    assert result.exit_code == 1 and "10m" in result.output


@pytest.mark.slow
def test_random_10m_checkpoint_has_the_documented_shape() -> None:
    from fabula.bench.random_model import random_checkpoint
    from fabula.modeling.llama import LlamaShape, param_count, read_config

    path = random_checkpoint("10m")
    shape = LlamaShape.from_config(read_config(path))
    assert (shape.dim, shape.n_layers, shape.n_heads, shape.head_dim, shape.vocab_size, shape.max_seq_len) == (
        384, 6, 6, 64, 8192, 512)
    assert 9e6 < param_count(shape) < 15e6
    assert random_checkpoint("small") == path
