import json
from pathlib import Path

from typer.testing import CliRunner

from fabula.cli import app

runner = CliRunner()


def test_project_commands_use_the_store_in_fabula_home(fabula_home: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["project", "new", "moonfall", "-d", "lunar"]).exit_code == 0
    assert (fabula_home / "fabula.db").exists()
    listing = runner.invoke(app, ["project", "list"])
    assert "moonfall" in listing.stdout
    again = runner.invoke(app, ["project", "new", "moonfall"])
    assert again.exit_code == 1 and "exists already" in again.stderr
    out = tmp_path / "moonfall.json"
    assert runner.invoke(app, ["project", "export", "moonfall", "-f", "json", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["project"]["description"] == "lunar"


def test_generate_is_logged_and_browsable(tiny_checkpoint: Path) -> None:
    spec = f"hf:{tiny_checkpoint}"
    gen = runner.invoke(app, ["generate", "-m", spec, "--max-tokens", "4", "--seed", "2", "-n", "2", "The sea"])
    assert gen.exit_code == 0, gen.output
    rows = [json.loads(line) for line in runner.invoke(app, ["log", "--json"]).stdout.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["model"] == spec and row["prompt"] == "The sea"
    assert row["options"]["seed"] == 2 and len(row["outputs"]) == 2
    assert row["completion_tokens"] == 8 and row["duration_ms"] > 0
    shown = runner.invoke(app, ["log", "show", str(row["id"])])
    assert "The sea" in shown.stdout
