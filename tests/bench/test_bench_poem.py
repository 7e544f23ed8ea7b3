"""The poem benchmark runs end to end on a tiny random character-level model (structure only:
timings are never asserted). Random weights write noise, so rejection sampling finds no poem while
every constrained poem passes the checker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabula.backends.house import HouseBackend
from fabula.bench.poem import FORMS, markdown, run
from fabula.cli import app
from fabula.house.catalog import HouseModel


@pytest.fixture
def house_model(char_model: Path, fabula_home: Path) -> str:
    """The tiny model installed as a locally trained house model."""
    (fabula_home / "house").mkdir(parents=True)
    (fabula_home / "house" / "tiny-zh").symlink_to(char_model)
    return "house:tiny-zh"


def test_constrained_poems_all_pass_and_rejection_sampling_finds_fewer(char_model: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    backend = HouseBackend(HouseModel("tiny-zh", "test", "zh", char_model))
    report = run(backend, forms=("五绝", "七律", "如梦令"), samples=2, baseline_samples=3, seed=1,
                 progress=lambda done, total, what: seen.append((done, total, what)))
    assert report["forms"] == ["五言绝句", "七言律诗", "如梦令"] and report["model"] == "house:tiny-zh"
    assert {"date", "threads", "torch"} <= set(report["machine"])
    assert [r["form"] for r in report["results"]] == ["五言绝句", "七言律诗", "如梦令"]
    for r in report["results"]:
        c, b = r["constrained"], r["baseline"]
        assert (c["samples"], b["samples"]) == (2, 3)
        assert c["compliance"] == 1.0 and c["valid"] == 2 and not c["broken_rules"] and not c["errors"]
        assert b["compliance"] < c["compliance"]
        assert b["failures"] == 3 - b["valid"] and b["broken_rules"]  # a histogram of what the noise broke
        assert all(x["poems"] <= b["failures"] for x in b["broken_rules"])
        assert {"rule", "poems", "of_failures"} == set(b["broken_rules"][0])
        assert c["s_per_valid"] > 0 and b["s_per_valid"] > 0 and r["ratio"] is not None
        if b["valid"] == 0:
            assert b["s_per_valid_is_lower_bound"] and r["ratio_is_lower_bound"]
    assert seen[-1][0] == seen[-1][1]  # the progress reaches the end
    assert backend.header == "<|bos|>\n"  # the conditioning is restored afterwards
    rows = markdown(report).splitlines()[2:5]
    assert rows[0].startswith("| 五言绝句 | 100.0 % (2/2) |") and rows[1].startswith("| 七言律诗 | 100.0 % (2/2) |")
    for row, r in zip(rows, report["results"], strict=True):
        if r["baseline"]["valid"] == 0:
            assert "none in 3 tries, ≥ " in row and "| ≥ " in row


def test_cli_prints_json_and_writes_markdown(house_model: str, tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    args = ["bench", "poem", "-m", house_model, "--form", "五绝", "--samples", "1", "--baseline-samples", "2",
            "--seed", "3", "--temperature", "1.0", "--top-p", "0.9"]
    result = CliRunner().invoke(app, [*args, "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["forms"] == ["五言绝句"] and report["temperature"] == 1.0 and report["top_p"] == 0.9
    [row] = report["results"]
    assert row["constrained"]["compliance"] == 1.0 and row["baseline"]["samples"] == 2
    text = out.read_text(encoding="utf-8")
    header, rule, first = text.splitlines()[:3]
    assert header.startswith("| form | constrained compliance | constrained s/valid | baseline compliance |")
    assert set(rule) <= set("|-:") and first.startswith("| 五言绝句 | 100.0 % (1/1) |")
    assert house_model in text and "threads" in text

    as_json = tmp_path / "x.json"
    again = CliRunner().invoke(app, [*args, "--out", str(as_json)])
    assert again.exit_code == 0, again.output
    assert json.loads(as_json.read_text(encoding="utf-8"))["results"][0]["form"] == "五言绝句"
    assert again.stdout.startswith("| form |")  # without --json: the Markdown table


def test_cli_needs_a_model_when_the_house_model_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fabula.house.catalog.SHIPPED_DIR", tmp_path / "no-models")  # even once it is installed
    result = CliRunner().invoke(app, ["bench", "poem", "--samples", "1"])
    assert result.exit_code == 1 and "--model" in result.output


def test_the_default_forms_follow_the_model_language(char_model: Path) -> None:
    from fabula.bench.poem import ENGLISH_FORMS, default_forms

    assert default_forms(HouseBackend(HouseModel("tiny-zh", "test", "zh", char_model))) == FORMS
    assert default_forms(HouseBackend(HouseModel("tiny-en", "test", "en", char_model))) == ENGLISH_FORMS
