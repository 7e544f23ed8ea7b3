"""`fabula bench all` runs every benchmark and reads each case's ratio out of its own report."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabula.bench.summary import Settings, markdown, run_all
from fabula.cli import app


@pytest.fixture
def settings(tiny_checkpoint: Path, char_model: Path, fabula_home: Path) -> Settings:
    (fabula_home / "house").mkdir(parents=True)
    (fabula_home / "house" / "tiny-zh").symlink_to(char_model)
    return Settings(decode_model=f"hf:{tiny_checkpoint}", decode_tokens=3, decode_prompt_tokens=4, decode_repeats=1,
                    decode_batches=(1, 2), decode_bandwidth_mb=16, poem_models=(("house:tiny-zh", ("五绝",)),),
                    poem_samples=1, poem_baseline_samples=2)


def test_every_case_is_read_with_its_baseline_from_the_same_run(settings: Settings) -> None:
    summary = run_all(settings)
    rows = summary["rows"]
    decode = [r for r in rows if r["benchmark"] == "decode"]
    report = summary["reports"]["decode"]
    assert len(decode) == len(report["results"]) - 2  # every contender but the baseline, at both batches
    for row in decode:
        assert row["baseline"].startswith("transformers generate fp32, batch ")
        if row["value"] is not None:
            assert row["ratio"] == pytest.approx(row["value"] / row["baseline_value"], abs=0.01)
    [poem] = [r for r in rows if r["benchmark"] == "poem"]
    [form] = summary["reports"]["poem house:tiny-zh"]["results"]
    assert (poem["case"], poem["model"]) == ("五言绝句", "house:tiny-zh")
    assert poem["value"] == form["constrained"]["s_per_valid"] and poem["ratio"] == form["ratio"]
    text = markdown(summary)
    assert text.count("\n| decode |") == len(decode) and "| poem | house:tiny-zh | 五言绝句 |" in text


def test_cli_names_the_missing_house_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fabula.house.catalog.SHIPPED_DIR", tmp_path / "no-models")
    result = CliRunner().invoke(app, ["bench", "all"])
    assert result.exit_code == 1 and "make setup" in result.output, result.output
