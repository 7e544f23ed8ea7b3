"""`fabula screenplay check|export|stats`, run through Fabula's own command group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fabula.cli import FabulaGroup
from fabula.cli.screenplay import app as screenplay_app
from fabula.screenplay import parse
from fabula.screenplay.fdx import from_fdx

from .conftest import FIXTURES

FERRY = FIXTURES / "last_ferry.fountain"
runner = CliRunner()
root = typer.Typer(cls=FabulaGroup)
root.add_typer(screenplay_app, name="screenplay")


def run(*args: str) -> typer.testing.Result:  # type: ignore[name-defined]
    return runner.invoke(root, ["screenplay", *args])


def test_check_a_clean_file() -> None:
    result = run("check", str(FERRY))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{FERRY}: 6 scenes, 4 pages; 0 errors, 0 warnings"


def test_check_reports_problems_by_line_and_fails_on_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.fountain"
    bad.write_text("INT. A - DAY\n\nROSA\n\n/* never closed\n", encoding="utf-8")
    result = run("check", str(bad))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{bad}:3: warning: 'ROSA' looks like a character cue")
    assert lines[1].startswith(f"{bad}:5: error: `/*` opens a boneyard")
    assert lines[2] == f"{bad}: 1 scene, 1 page; 1 error, 1 warning"


@pytest.mark.parametrize("suffix", [".pdf", ".fdx", ".fountain"])
def test_export_by_suffix(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"ferry{suffix}"
    result = run("export", str(FERRY), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Wrote {out} (6 scenes, 4 pages)"
    data = out.read_bytes()
    if suffix == ".pdf":
        pdfium = pytest.importorskip("pypdfium2")
        doc = pdfium.PdfDocument(data)
        assert len(doc) == 5  # the title page and four pages
        doc.close()
    elif suffix == ".fdx":
        assert from_fdx(data.decode()).scenes() == parse(FERRY.read_text()).scenes()
    else:
        assert parse(data.decode()) == parse(FERRY.read_text())


def test_export_from_final_draft(tmp_path: Path) -> None:
    run("export", str(FERRY), "-o", str(tmp_path / "f.fdx"))
    result = run("export", str(tmp_path / "f.fdx"), "-o", str(tmp_path / "f.pdf"))
    assert result.exit_code == 0 and (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF-")


def test_stats_text_and_json() -> None:
    text = run("stats", str(FERRY))
    assert text.exit_code == 0 and "speaking parts 4" in text.stdout
    data = json.loads(run("stats", str(FERRY), "--json").stdout)
    assert data["pages"] == 4 and [c["name"] for c in data["characters"]] == ["MARA", "OTIS", "VOSS", "GRETA"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.fountain"], "No screenplay at missing.fountain"),
        (["export", str(FERRY), "-o", "out.docx"], "choose an output ending in .pdf, .fdx, .fountain"),
        (["stats", "notes.md"], "screenplays are read from"),
        (["stats", "latin1.fountain"], "is not UTF-8 text"),
    ],
)
def test_mistakes_are_one_line_errors(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin1.fountain").write_bytes("INT. CAFÉ - DAY\n".encode("latin-1"))
    result = run(*args)
    assert result.exit_code == 1 and message in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
