"""The decode benchmark runs end to end (structure only: speed is never asserted in tests)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from fabula.bench.decode import BASELINE, LLAMA_CPP, run
from fabula.cli import app


def test_benchmark_measures_every_contender(tiny_checkpoint: Path) -> None:
    report = run(tiny_checkpoint, tokens=4, prompt_tokens=4, batches=(1, 2), repeats=1)
    names = {(r["contender"], r["batch"]) for r in report["results"]}
    assert (BASELINE, 1) in names and (BASELINE, 2) in names
    assert ("Fabula engine, lean torch bf16", 2) in names
    assert any(r["contender"] == LLAMA_CPP for r in report["results"])
    assert all(r["tokens_per_s"] is None or r["tokens_per_s"] > 0 for r in report["results"])
    base = next(r for r in report["ratios"] if r["contender"] == BASELINE and r["batch"] == 1)
    assert base["vs_generate"] == 1.0
    assert report["bandwidth_gbs"] > 0 and report["batch1_bound_tok_s"]


def test_bench_cli_writes_markdown(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    result = CliRunner().invoke(app, ["bench", "decode", "-m", f"hf:{tiny_checkpoint}", "--tokens", "3",
                                      "--prompt-tokens", "3", "--repeats", "1", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tokens"] == 3
    assert out.read_text().startswith("| contender | batch | tok/s")
