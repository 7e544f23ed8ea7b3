"""`fabula story`: a premise to an exported book through the CLI, each command a fresh store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fabula.cli import app

runner = CliRunner()


def _run(args: list[str], code: int = 0, **kwargs: str) -> str:
    result = runner.invoke(app, args, **kwargs)
    assert result.exit_code == code, (result.output, result.exception)
    return result.stdout


def test_premise_to_epub(tiny_checkpoint: Path, tmp_path: Path) -> None:
    model = ["--model", f"hf:{tiny_checkpoint}"]
    out = _run(["story", "new", "gull", "--premise", "A keeper finds a letter from her drowned brother.",
                "--character", "Mara: protagonist; red-haired", "--character", "Tom: brother",
                "--place", "the lighthouse: a white tower"])
    assert 'name = "Mara"' in out and 'traits = ["red-haired"]' in out
    plan = _run(["story", "plan", "gull", "--chapters", "2", "--scenes", "1", "--seed", "3", *model])
    assert "c1s1" in plan and "c2s1" in plan and "Structure: three-act" in plan
    drafted = _run(["story", "draft", "gull", "--words", "20", *model])
    assert "## c1s1" in drafted and "## c2s1" in drafted
    assert "[drafted]" in _run(["story", "show", "gull"])
    _run(["story", "lock", "gull", "c1s1"])
    assert "c1s1  [locked]" in _run(["story", "plan", "gull", "--show"])

    # the writer's own prose: facts proposed, accepted, then a contradiction found (exit 1)
    _run(["story", "edit", "gull", "c1s1", "--prose", "-"], input="Her green eyes were tired. Tom died that night.")
    _run(["story", "canon", "gull", "--read", "c1s1"])
    assert "No proposed facts" in _run(["story", "canon", "gull", "--accept", "all"])
    passage = tmp_path / "p.txt"
    passage.write_text("Tom laughed at the door.", encoding="utf-8")
    found = json.loads(_run(["story", "check", "gull", str(passage), "--scene", "c2s1", "--json"], code=1))
    assert [c["kind"] for c in found["c2s1"]] == ["dead-character"]

    book = tmp_path / "gull.epub"
    _run(["story", "export", "gull", "-o", str(book)])
    assert book.read_bytes()[:2] == b"PK"


def test_clear_errors_for_missing_steps() -> None:
    result = runner.invoke(app, ["story", "draft", "nobody"])
    assert result.exit_code == 1 and "fabula story new nobody" in result.stderr
    _run(["story", "new", "bare", "--premise", "p."])
    result = runner.invoke(app, ["story", "draft", "bare"])
    assert result.exit_code == 1 and "fabula story plan bare" in result.stderr
    result = runner.invoke(app, ["story", "new", "nothing"])
    assert result.exit_code == 1 and "--premise" in result.stderr
