"""Suites as data files: the built-in folder, entry points, and clear errors for bad files."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from fabula.errors import FabulaError
from fabula.eval import suites
from fabula.eval.suites import UnknownSuite, all_suites, load_suite


@pytest.fixture(autouse=True)
def _fresh_catalogue() -> None:
    all_suites.cache_clear()


def test_the_default_suite_is_built_in_and_runs_on_the_house_models() -> None:
    suite = load_suite("default")
    assert {t.kind for t in suite.tasks} == {"continue-prose", "poem", "story-premise"}
    assert {suite.model_for(t) for t in suite.tasks} == {"house:en", "house:zh-poetry"}
    assert len(suite.temperatures) >= 3 and suite.seeds and suite.samples >= 2
    poem = next(t for t in suite.tasks if t.kind == "poem")
    assert "form_compliance" in {m.metric for m in suite.metrics_for(poem)}
    assert "premise_similarity" not in {m.metric for m in suite.metrics_for(poem)}  # prose-only metric


def test_a_suite_file_is_read_with_its_hash_and_options(tiny_suite_path: Path) -> None:
    suite = load_suite(tiny_suite_path)
    assert suite.name == "tiny" and len(suite.hash) == 64
    options = suite.options(suite.task("prose"), 1.3, 3)
    assert (options.temperature, options.seed, options.n, options.max_tokens, options.top_p) == (1.3, 3, 2, 12, 0.95)
    assert suite.model_for(suite.task("poem"), {"*": "hf:x"}) == "hf:x"
    with pytest.raises(FabulaError, match="no model"):
        suite.model_for(suite.task("poem"))  # the tiny suite names no zh model


def test_suites_registered_by_entry_point_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    tiny_suite_path: Path) -> None:
    folder = tmp_path / "plugin_suites"
    folder.mkdir()
    (folder / "mine.toml").write_text(tiny_suite_path.read_text().replace('name = "tiny"', 'name = "mine"'))
    (tmp_path / "my_eval_plugin.py").write_text(f"from pathlib import Path\nFOLDER = Path({str(folder)!r})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = EntryPoint(name="mine", value="my_eval_plugin:FOLDER", group=suites.ENTRY_POINT_GROUP)
    monkeypatch.setattr("fabula.plugins.entry_points", lambda group: [ep] if group == suites.ENTRY_POINT_GROUP else [])
    assert next(iter(all_suites())) == "default"  # the built-in folder first
    assert all_suites()["mine"] == folder / "mine.toml"
    assert load_suite("mine").task("prose").prompts[0].startswith("The rain")


def test_an_unknown_suite_names_the_known_ones() -> None:
    with pytest.raises(UnknownSuite, match="default"):
        load_suite("no-such-suite")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('kind = "continue-prose"', 'kind = "essay"'), "kind"),
        (('metric = "distinct_n"', 'metric = "bleurt"'), "metric"),
        (("temperatures = [0.7, 1.3]", "temperatures = []"), "temperatures"),
        (('form = "五言绝句"', 'form = "no such form"'), "No poem form"),
        (("top_p = 0.95", "top_q = 0.95"), "GenerationOptions"),
        (("words = 8", "wrods = 8"), "Unknown key wrods"),
        (("samples = 2", "samples = 0"), "samples"),
    ],
)
def test_bad_suite_files_say_what_to_fix(tmp_path: Path, tiny_suite_path: Path, edit: tuple[str, str],
                                         message: str) -> None:
    bad = tmp_path / "bad.toml"
    text = tiny_suite_path.read_text()
    assert edit[0] in text
    bad.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(FabulaError, match=message):
        load_suite(bad)


def test_a_name_used_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_suite_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text(tiny_suite_path.read_text())
    monkeypatch.setattr(suites, "builtin_suites", lambda: tmp_path)
    with pytest.raises(FabulaError, match="already used"):
        all_suites()
