"""`fabula project` and `fabula log`, run through Typer on both databases."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabula.cli.log import app as log_app
from fabula.cli.project import ExportFormat
from fabula.cli.project import app as project_app
from fabula.store import EXPORT_FORMATS, GenerationRecord, NotFound, Passage, open_store

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FABULA_DATABASE_URL", store_url)
    return store_url


def _ok(app, args: list[str]) -> str:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _seed_moonfall(url: str) -> int:
    with open_store(url) as store:
        project = store.create_project("moonfall", "A [bold]lunar[/] mystery")
        gid = store.log_generation(
            GenerationRecord(
                prompt="The tide",
                model="house:en",
                options={"seed": 7, "temperature": 0.8},
                outputs=[" turned [/oops] silver.", " fell."],
                prompt_tokens=2,
                completion_tokens=6,
                started_at=datetime.now(timezone.utc),
                ttft_ms=11.0,
                duration_ms=42.0,
                project_id=project.id,
            )
        )
        chapter = store.create_document(project, "Ch1")
        store.commit_version(chapter, [Passage("Draft.")])
        store.commit_version(
            chapter,
            [
                Passage("The tide"),
                Passage(" turned [/oops] silver.", "generated", model="house:en", generation_id=gid),
            ],
        )
        return gid


def test_new_and_list() -> None:
    assert "No projects yet" in _ok(project_app, ["list"])
    assert "Created project moonfall (id 1)" in _ok(project_app, ["new", "moonfall", "-d", "lunar"])
    listing = _ok(project_app, ["list"])
    assert "moonfall" in listing and "lunar" in listing
    again = runner.invoke(project_app, ["new", "moonfall"])
    assert again.exit_code == 1 and "exists already" in str(again.exception)


def test_show_lists_documents_versions_and_an_excerpt(database: str) -> None:
    _seed_moonfall(database)
    shown = " ".join(_ok(project_app, ["show", "moonfall"]).split())
    assert "A [bold]lunar[/] mystery" in shown  # user text is printed as is, not as markup
    assert "│ Ch1 │ prose │ 2 │ v2" in shown and "generated 1, written 1" in shown
    assert "Ch1, v2: The tide turned [/oops] silver." in shown


def test_unknown_project_raises_an_error_that_says_what_to_do() -> None:
    result = runner.invoke(project_app, ["show", "sunrise"])
    assert result.exit_code == 1 and isinstance(result.exception, NotFound)
    assert "fabula project new sunrise" in str(result.exception)


def test_the_main_cli_prints_store_errors_without_a_traceback() -> None:
    from fabula.cli import app

    result = runner.invoke(app, ["project", "export", "sunrise"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No project named 'sunrise'.") and "Traceback" not in result.stderr


def test_export_to_stdout_and_atomically_to_a_file(database: str, tmp_path: Path) -> None:
    _seed_moonfall(database)
    assert _ok(project_app, ["export", "moonfall"]).startswith("# moonfall\n")
    out = tmp_path / "exports" / "moonfall.json"
    out.parent.mkdir()
    out.write_text("an older export")
    assert "Wrote" in _ok(project_app, ["export", "moonfall", "--format", "json", "-o", str(out)])
    data = json.loads(out.read_text())
    assert data["project"]["name"] == "moonfall" and len(data["documents"][0]["versions"]) == 2
    assert [p.name for p in out.parent.iterdir()] == ["moonfall.json"]  # no temporary file left behind
    bad = runner.invoke(project_app, ["export", "moonfall", "--format", "docx"])
    assert bad.exit_code == 2 and "docx" in bad.output
    assert tuple(f.value for f in ExportFormat) == EXPORT_FORMATS


def test_log_lists_filters_and_shows(database: str) -> None:
    assert "No generations logged yet" in _ok(log_app, [])
    gid = _seed_moonfall(database)
    with open_store(database) as store:
        store.log_generation(
            GenerationRecord(
                prompt="Other",
                model="hf:gpt2",
                options={},
                outputs=["x"],
                started_at=datetime.now(timezone.utc),
            )
        )
    table = _ok(log_app, [])
    assert "house:en" in table and "hf:gpt2" in table and "2→6" in table and "(+1)" in table
    rows = [json.loads(line) for line in _ok(log_app, ["--json", "-n", "5"]).splitlines()]
    assert [r["prompt"] for r in rows] == ["Other", "The tide"]
    assert rows[1]["options"] == {"seed": 7, "temperature": 0.8} and rows[1]["project_id"] == 1
    assert [json.loads(line)["prompt"] for line in _ok(log_app, ["--json", "-m", "house"]).splitlines()] == [
        "The tide"
    ]
    assert [json.loads(line)["id"] for line in _ok(log_app, ["--json", "-s", "SILVER"]).splitlines()] == [gid]
    assert [json.loads(line)["id"] for line in _ok(log_app, ["--json", "-p", "moonfall"]).splitlines()] == [
        gid
    ]
    assert "No generations match" in _ok(log_app, ["-s", "nothing like this"])
    shown = _ok(log_app, ["show", str(gid)])
    assert "The tide" in shown and " turned [/oops] silver." in shown and "output 2 of 2" in shown
    assert "first token 11.0 ms" in shown and '"seed": 7' in shown
    assert json.loads(_ok(log_app, ["show", str(gid), "--json"]))["outputs"][1] == " fell."
    missing = runner.invoke(log_app, ["show", "999"])
    assert missing.exit_code == 1 and "`fabula log`" in str(missing.exception)
