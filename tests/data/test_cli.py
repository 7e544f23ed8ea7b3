"""`fabula data prepare|list|show` through the real CLI (Typer's runner), on fixture sources."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

import fabula.data
from fabula.cli.data import app
from fabula.data import brown
from fabula.data.pipeline import Corpus

runner = CliRunner()


@pytest.fixture
def fixture_registry(brown_root: Path, folder_source: type, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = Corpus(
        name="brown",
        description="Brown fixture",
        lang="en",
        source=folder_source(brown_root),
        licence="test",
        documents=brown.documents,
    )
    real = fabula.data.get_corpus

    def get_corpus(name: str) -> Corpus:
        return corpus if name == "brown" else real(name)

    monkeypatch.setattr(fabula.data, "get_corpus", get_corpus)


def test_prepare_list_show(fixture_registry: None) -> None:
    result = runner.invoke(app, ["prepare", "brown"])
    assert result.exit_code == 0, result.output
    assert "brown: built in" in result.output and "docs" in result.output
    again = runner.invoke(app, ["prepare", "brown"])
    assert "up to date" in again.output
    assert "built in" in runner.invoke(app, ["prepare", "brown", "--force"]).output
    shown = runner.invoke(app, ["show", "brown"])
    assert shown.exit_code == 0 and "# Corpus `brown`" in shown.output and "| adventure |" in shown.output
    listing = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0 and "brown" in listing.output and "tang300" in listing.output


def test_errors_say_what_to_run() -> None:
    unknown = runner.invoke(app, ["prepare", "nosuch"])
    assert unknown.exit_code == 1 and "Known corpora: shakespeare" in unknown.output
    unprepared = runner.invoke(app, ["show", "kjv"])
    assert unprepared.exit_code == 1 and "fabula data prepare kjv" in unprepared.output
