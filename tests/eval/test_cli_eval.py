"""`fabula eval ...` end to end on the tiny model, through the same error handling as `fabula`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fabula.cli import FabulaGroup
from fabula.cli.eval import app as eval_app
from fabula.cli.eval import run_shorthand

runner = CliRunner()


@pytest.fixture
def cli() -> typer.Typer:
    """`fabula` with the eval group registered as cli/__init__.py registers groups."""
    top = typer.Typer(cls=FabulaGroup, pretty_exceptions_enable=False)
    top.add_typer(eval_app, name="eval")
    return top


def _ok(cli: typer.Typer, *args: str, stdin: str | None = None) -> str:
    done = runner.invoke(cli, ["eval", *args], input=stdin)
    assert done.exit_code == 0, done.output
    return done.stdout


def test_run_list_show_and_report(cli: typer.Typer, tiny_suite_path: Path, tiny_checkpoint: Path,
                                  tmp_path: Path) -> None:
    out = _ok(cli, "run", str(tiny_suite_path), "--model", f"hf:{tiny_checkpoint}", "--quiet", "--out", str(tmp_path))
    assert out.startswith("Eval run 1: suite tiny") and "distinct_2" in out and "T=1.3" in out
    assert (tmp_path / "report.html").is_file() and (tmp_path / "img" / "quality-diversity.png").is_file()
    listed = _ok(cli, "list")
    assert "default:" in listed and "tiny" in listed and "done" in listed
    shown = _ok(cli, "show", "1")
    assert "tasks done: prose, premise, poem" in shown
    record = json.loads(_ok(cli, "show", "1", "--json"))
    assert record["run"]["suite"] == "tiny" and {v["metric"] for v in record["values"]} >= {"words", "perplexity"}
    _ok(cli, "report", "1", "--out", str(tmp_path / "again"))
    assert (tmp_path / "again" / "report.md").read_text() == (tmp_path / "report.md").read_text()


def test_compare_and_ab_of_two_runs(cli: typer.Typer, tiny_suite_path: Path, tiny_checkpoint: Path) -> None:
    for _ in range(2):
        _ok(cli, "run", str(tiny_suite_path), "-m", f"hf:{tiny_checkpoint}", "-q")
    table = _ok(cli, "compare", "1", "2")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "metric" not in line]
    assert rows and all("no clear difference" in r or "no verdict" in r for r in rows)  # seeded: the same outputs
    session = _ok(cli, "ab", "1", "2", "--n", "2", stdin="1\ntie\n")
    assert "--- 1 ---" in session and "This session:" in session and "ties 1" in session
    again = _ok(cli, "ab", "1", "2", "--n", "1", "--seed", "4", stdin="skip\n")
    assert "All judgements of these runs:" in again and "skipped 1" in again


def test_bad_input_is_a_one_line_error(cli: typer.Typer) -> None:
    done = runner.invoke(cli, ["eval", "run", "no-such-suite"])
    assert done.exit_code == 1 and "Error: No eval suite called 'no-such-suite'" in done.output
    done = runner.invoke(cli, ["eval", "compare", "1", "2"])
    assert done.exit_code == 1 and "fabula eval list" in done.output
    done = runner.invoke(cli, ["eval", "run"])
    assert done.exit_code == 1 and "--resume" in done.output


def test_eval_suite_is_short_for_eval_run_suite() -> None:
    assert run_shorthand(["eval", "default", "-m", "x"]) == ["eval", "run", "default", "-m", "x"]
    assert run_shorthand(["eval", "compare", "1", "2"]) == ["eval", "compare", "1", "2"]
    assert run_shorthand(["eval", "--help"]) == ["eval", "--help"]
    assert run_shorthand(["poem", "default"]) == ["poem", "default"]
