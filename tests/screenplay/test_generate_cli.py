"""`fabula screenplay new|plan|lock|edit|draft|alternatives|endings|show|export` on the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fabula.cli import FabulaGroup
from fabula.cli.screenplay import app as screenplay_app
from fabula.screenplay import Character, parse
from fabula.screenplay.fdx import from_fdx

from .test_independent_parsers import _fountain_py, _ours

LOGLINE = "A retired thief named Otto is asked to steal back the painting he once sold."
runner = CliRunner()
root = typer.Typer(cls=FabulaGroup)
root.add_typer(screenplay_app, name="screenplay")


def run(*args: str) -> typer.testing.Result:  # type: ignore[name-defined]
    return runner.invoke(root, ["screenplay", *args])


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path) -> str:
    return f"hf:{tiny_checkpoint}"


def test_new_prints_fountain_and_writes_the_pdf(model: str, tmp_path: Path) -> None:
    pdf = tmp_path / "otto.pdf"
    args = ("new", LOGLINE, "--model", model, "--scenes", "3", "--words", "15", "--turns", "2",
            "--draft-date", "2026-12-03", "--pdf", str(pdf))
    result = run(*args)
    assert result.exit_code == 0, result.output
    sp = parse(result.stdout)
    assert len(sp.scenes()) == 3 and _fountain_py(result.stdout) == _ours(sp)
    assert "OTTO" in {e.name for e in sp if isinstance(e, Character)} or sp.title_page.get("title")
    assert "scene c1s1" in result.stderr and pdf.read_bytes().startswith(b"%PDF")
    bad = run("new", LOGLINE, "--model", model, "-o", str(tmp_path / "otto.txt"))  # refused before any work
    assert bad.exit_code == 1 and "name the file otto.fountain" in bad.output
    assert not (tmp_path / "otto.txt").exists()


def test_a_named_screenplay_is_edited_level_by_level(model: str, tmp_path: Path) -> None:
    common = ("--model", model, "--words", "15", "--turns", "2")
    out = tmp_path / "heist.fountain"
    made = run("new", LOGLINE, "--name", "heist", "--scenes", "3", "--draft-date", "2026-12-03", "-o", str(out),
               *common)
    assert made.exit_code == 0, made.output
    assert made.stdout == "" and f"Wrote {out}" in made.stderr
    shown = run("show", "heist")
    assert shown.exit_code == 0 and shown.stdout == out.read_text(encoding="utf-8")
    outline = run("show", "heist", "--plan").stdout
    assert "c1s1 " in outline and "(written;" in outline
    assert run("lock", "heist", "c1s1").exit_code == 0
    first = run("show", "heist", "c1s1").stdout
    replanned = run("plan", "heist", "--scenes", "3", "--seed", "4", "--model", model)
    assert replanned.exit_code == 0 and "locked" in replanned.stdout
    redrafted = run("draft", "heist", "--redraft", "--seed", "5", *common)
    assert redrafted.exit_code == 0 and "c1s1" not in redrafted.stdout.split(":")[-1]
    assert run("show", "heist", "c1s1").stdout == first
    scene = tmp_path / "c2s1.fountain"
    scene.write_text("EXT. ROOFTOP - NIGHT\n\nOtto looks down at the gallery.\n\nOTTO\nOne last time.\n")
    assert run("edit", "heist", "c2s1", "--file", str(scene)).exit_code == 0
    assert "EXT. ROOFTOP - NIGHT" in run("show", "heist").stdout
    alts = run("alternatives", "heist", "c3s1", "-n", "2", *common)
    assert alts.exit_code == 0 and alts.stdout.count("[[alternative ") == 2
    assert run("alternatives", "heist", "c3s1", "--choose", "1").exit_code == 0
    ends = run("endings", "heist", "--kind", "twist", *common)
    assert ends.exit_code == 0 and "[[ending twist]]" in ends.stdout
    fdx = tmp_path / "heist.fdx"
    exported = run("export", "heist", "-o", str(fdx), "--ending", "twist")
    assert exported.exit_code == 0, exported.output
    assert len(from_fdx(fdx.read_text(encoding="utf-8")).scenes()) == 3
    checked = run("check", "heist")
    assert checked.exit_code in (0, 1) and checked.stdout.splitlines()[-1].startswith("heist: 3 scenes written; 0 errors")
    missing = run("show", "nobody")
    assert missing.exit_code == 1 and "fabula screenplay new" in missing.output
