import json
from pathlib import Path

from typer.testing import CliRunner

from fabula.cli import app

runner = CliRunner()


def test_generate_streams_reproducibly(tiny_checkpoint: Path) -> None:
    args = ["generate", "--model", f"hf:{tiny_checkpoint}", "--max-tokens", "8", "--seed", "4", "--no-log", "The sea"]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout and first.stdout.strip()


def test_generate_several_alternatives_when_piped(tiny_checkpoint: Path) -> None:
    result = runner.invoke(
        app, ["generate", "-m", f"hf:{tiny_checkpoint}", "-n", "3", "--max-tokens", "4", "--no-log", "Once"]
    )
    assert result.exit_code == 0, result.output
    assert [line for line in result.stdout.splitlines() if line.startswith("--- alternative")] == [
        "--- alternative 1 ---", "--- alternative 2 ---", "--- alternative 3 ---"
    ]


def test_generate_reads_prompt_from_stdin(tiny_checkpoint: Path) -> None:
    result = runner.invoke(
        app, ["generate", "-m", f"hf:{tiny_checkpoint}", "--max-tokens", "3", "--no-log"], input="Once upon"
    )
    assert result.exit_code == 0, result.output


def test_bad_options_and_specs_are_one_line_errors(tiny_checkpoint: Path) -> None:
    bad = runner.invoke(app, ["generate", "-m", f"hf:{tiny_checkpoint}", "--top-p", "2", "x"])
    assert bad.exit_code == 1
    assert "--top-p" in bad.stderr and "Traceback" not in bad.output
    missing = runner.invoke(app, ["generate", "-m", "hf:/no/such/model", "x"])
    assert missing.exit_code == 1 and "No checkpoint at /no/such/model" in missing.stderr


def test_models_lists_house_catalogue() -> None:
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert listing["default"] == "house:en"
    assert {"house:en", "house:zh-poetry"} <= {m["spec"] for m in listing["models"]}
    assert "hf" in listing["backends"]
