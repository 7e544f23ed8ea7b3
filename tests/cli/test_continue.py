"""`fabula continue`: every command opens the store afresh (a restart), so the tree must carry over."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabula.cli import app
from fabula.store import open_store

runner = CliRunner()
CH = "Chapter 1"


def _ok(args: list[str], **kwargs: str) -> str:
    result = runner.invoke(app, args, **kwargs)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _fails(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def spec(tiny_checkpoint: Path) -> str:
    _ok(["project", "new", "moonfall"])
    return f"hf:{tiny_checkpoint}"


@pytest.fixture
def opening(tmp_path: Path) -> Path:
    path = tmp_path / "opening.txt"
    path.write_text("The sea was calm that night.\n", encoding="utf-8")
    return path


def _alternatives(stdout: str) -> list[tuple[int, int]]:
    return [(int(k), int(i)) for k, i in re.findall(r"^--- (\d+) \(#(\d+)\) ---$", stdout, re.M)]


def test_a_session_of_alternatives_choices_and_undo(spec: str, opening: Path) -> None:
    args = ["-m", spec, "-n", "3", "-w", "6", "--seed", "4", "--text", str(opening)]
    out = _ok(["continue", "moonfall", CH, *args])
    assert _alternatives(out) == [(1, 2), (2, 3), (3, 4)]  # #1 is the written opening
    assert "Accepted #3" in _ok(["continue", "choose", "moonfall", CH, "2"])
    again = _ok(["continue", "next", "moonfall", CH, "-m", spec, "-n", "2", "-w", "6", "--seed", "5"])
    assert _alternatives(again) == [(1, 5), (2, 6)]
    assert "Rejected #5" in _ok(["continue", "reject", "moonfall", CH, "1"])
    _ok(["continue", "choose", "moonfall", CH, "#6"])
    tree = _ok(["continue", "tree", "moonfall", CH])
    summary = f"{CH}: 6 passages (accepted 3, candidate 2, rejected 1), head #6."
    assert tree.splitlines()[0].startswith(summary)
    assert re.search(r"#6 \+ hf:\S+ \| .*<- head$", tree, re.M) and re.search(r"#5 x hf:", tree)
    with open_store() as store:  # what the commands left in the store
        document = store.find_document("moonfall", CH)
        path = store.branch_path(store.branch_head(document))  # type: ignore[arg-type]
        logged = store.list_generations()
    assert [n.id for n in path] == [1, 3, 6] and len(logged) == 2
    shown = _ok(["continue", "show", "moonfall", CH])
    assert shown == ("The sea was calm that night." + path[1].text + path[2].text).strip() + "\n"
    assert _ok(["continue", "show", "moonfall", CH, "--passages"]).splitlines()[0] == (
        "[#1 written] The sea was calm that night."
    )
    assert "ends with #3 now" in _ok(["continue", "undo", "moonfall", CH])
    assert "ends with #1 now" in _ok(["continue", "undo", "moonfall", CH])
    assert _ok(["continue", "show", "moonfall", CH]) == "The sea was calm that night.\n"


def test_commit_saves_a_version_with_provenance(spec: str, opening: Path) -> None:
    _ok(["continue", "moonfall", CH, "-m", spec, "-n", "2", "-w", "5", "--seed", "1", "--text", str(opening)])
    _ok(["continue", "choose", "moonfall", CH, "1"])
    out = _ok(["continue", "commit", "moonfall", CH, "-m", "night one", "--author", "ana"])
    assert out == f"Committed version 1 of '{CH}' (2 passages): night one.\n"
    with open_store() as store:
        version = store.current(store.find_document("moonfall", CH))
    assert version is not None and version.author == "ana"
    assert [(p.provenance, p.model) for p in version.passages] == [("written", None), ("generated", spec)]
    assert version.passages[1].generation_id == store.list_generations()[0].id


def test_the_first_passage_can_come_from_stdin_and_write_adds_more(spec: str) -> None:
    _ok(["continue", "write", "moonfall", CH], input="Stdin opening.\n")
    added = _ok(["continue", "write", "moonfall", CH, "--text", "-"], input="More.")
    assert added == "Added #2 (written, 1 word); it ends the current text now.\n"
    out = _ok(["continue", "moonfall", CH, "-m", spec, "-n", "1", "-w", "4", "--seed", "2"])
    assert _alternatives(out) == [(1, 3)]
    assert _ok(["continue", "show", "moonfall", CH]) == "Stdin opening. More.\n"


def test_the_same_seed_gives_the_same_alternatives(spec: str, opening: Path) -> None:
    args = ["-m", spec, "-n", "2", "-w", "8", "--seed", "9", "--text", str(opening)]
    first = _ok(["continue", "moonfall", "A", *args])
    second = _ok(["continue", "moonfall", "B", *args])
    assert re.sub(r"#\d+", "#", first) == re.sub(r"#\d+", "#", second)


def test_mistakes_are_one_line_errors(spec: str, opening: Path, tmp_path: Path) -> None:
    _fails(["continue", "moonfall", CH, "-m", spec], f"has no document '{CH}': start it with")
    _fails(["continue", "nowhere", CH, "-m", spec, "--text", str(opening)], "fabula project new nowhere")
    _fails(["continue", "moonfall", CH, "-m", spec, "--text", str(tmp_path / "missing.txt")], "No file")
    _ok(["continue", "moonfall", CH, "-m", spec, "-n", "2", "-w", "4", "--seed", "1", "--text", str(opening)])
    _fails(["continue", "choose", "moonfall", CH, "7"], "pick 1 to 2")
    _fails(["continue", "choose", "moonfall", CH, "#99"], "No passage #99")
    _fails(["continue", "reject", "moonfall", CH, "#1"], "part of the current text")
    _fails(["continue", "moonfall", CH, "-m", spec, "-w", "500"], "fewer with --words")
    _fails(["continue", "moonfall", CH, "-m", spec, "--top-p", "2"], "--top-p")
    _ok(["continue", "undo", "moonfall", CH])
    _fails(["continue", "undo", "moonfall", CH], "Nothing to undo")


def test_the_tree_survives_a_new_process(spec: str, opening: Path, fabula_home: Path) -> None:
    _ok(["continue", "moonfall", CH, "-m", spec, "-n", "2", "-w", "5", "--seed", "3", "--text", str(opening)])
    _ok(["continue", "choose", "moonfall", CH, "2"])
    fabula = Path(sys.executable).with_name("fabula")
    env = {**os.environ, "FABULA_HOME": str(fabula_home)}
    undo = subprocess.run(
        [fabula, "continue", "undo", "moonfall", CH], env=env, capture_output=True, text=True, check=False
    )
    assert undo.returncode == 0 and "ends with #1 now" in undo.stdout, undo.stderr
    tree = _ok(["continue", "tree", "moonfall", CH])  # and back in this process, the undo is seen
    assert re.search(r"^#1 \+ written \| .*<- head$", tree, re.M)
    assert re.search(r"^├─ 1\) #2 \? ", tree, re.M)
    assert re.search(r"^└─ 2\) #3 \? ", tree, re.M)  # chosen, then undone in the other process
