"""`fabula train` through the real command line."""

import json
from pathlib import Path

from typer.testing import CliRunner

from fabula.cli import app


def test_tokenizer_run_and_eval_commands(tmp_path: Path, en_corpus: str) -> None:
    runner = CliRunner()
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", "tokenizer", "tiny-test.toml", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["control_tokens"] == [
        "<source=fabula-tests>",
        "<genre=mystery>",
        "<genre=romance>",
    ]

    result = runner.invoke(
        app, ["train", "run", "tiny-test.toml", "--out", str(out), "--max-steps", "10", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"] == 10
    result = runner.invoke(app, ["train", "run", "tiny-test.toml", "--out", str(out), "--no-progress"])
    assert result.exit_code == 1 and "--resume" in result.output
    result = runner.invoke(
        app, ["train", "run", "tiny-test.toml", "--out", str(out), "--resume", "--no-progress"]
    )
    assert result.exit_code == 0, result.output

    result = runner.invoke(app, ["train", "eval", str(out / "model"), "--corpus", "tiny", "--split", "test"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["corpora"]["tiny"]["tokens"] > 0


def test_configs_command_lists_shipped_configs() -> None:
    result = CliRunner().invoke(app, ["train", "configs"])
    assert result.exit_code == 0 and "tiny-test.toml" in result.output
