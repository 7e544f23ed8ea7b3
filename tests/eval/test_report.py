"""Reports of a real run on the tiny model: files, embedded plot, intervals, escaped samples."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from fabula.eval.compare import bootstrap_mean_ci
from fabula.eval.report import PLOT, build_report, write_report
from fabula.eval.runner import run_suite
from fabula.eval.runs import run_samples, run_values
from fabula.eval.suites import load_suite
from fabula.store import Store, open_store

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint: Path) -> tuple[str, int]:
    """One run of the tiny suite (its prompts hold `<had>` and `&`, to be escaped), shared by the tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'store.db'}"
    suite = load_suite(Path(__file__).parent / "fixtures" / "tiny.toml")
    with open_store(url) as store:
        run = run_suite(suite, store, {"*": f"hf:{tiny_checkpoint}"}, progress=False)
    return url, run.id


@pytest.fixture
def store(tiny_run: tuple[str, int]) -> Store:
    with open_store(tiny_run[0]) as opened:
        yield opened  # type: ignore[misc]


def test_report_files_hold_the_plot_and_escaped_samples(store: Store, tiny_run: tuple[str, int],
                                                        tmp_path: Path) -> None:
    written = write_report(store, tiny_run[1], tmp_path / "out")
    assert {p.name for p in written} == {"report.md", "report.html", "quality-diversity.png"}
    png = (tmp_path / "out" / PLOT).read_bytes()
    assert png.startswith(PNG)
    page = (tmp_path / "out" / "report.html").read_text()
    (embedded,) = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert base64.b64decode(embedded) == png  # self-contained: the same image inside the page
    assert "The rain &lt;had&gt; not stopped" in page and "<had>" not in page
    assert "the door &amp; ran" in page
    md = (tmp_path / "out" / "report.md").read_text()
    assert f"![quality-diversity curves]({PLOT})" in md and "The rain &lt;had&gt;" in md
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temporary file


def test_tables_hold_the_mean_and_bootstrap_interval_of_each_temperature(store: Store,
                                                                         tiny_run: tuple[str, int]) -> None:
    report = build_report(store, tiny_run[1])
    words = [v.value for v in run_values(store, tiny_run[1]) if v.metric == "words" and v.task == "prose"
             and v.temperature == 1.3]
    cell = report.tables["prose"]["words"][1.3]
    assert (cell.mean, cell.low, cell.high) == bootstrap_mean_ci(words) and cell.n == len(words) == 4
    assert report.curves["prose"] == ("distinct_2", "perplexity")  # the tiny suite names no [curve]
    assert report.curves["poem"] == ("distinct_2", "form_compliance")
    outputs = {s.output for s in run_samples(store, tiny_run[1]) if s.sample_index == 0}
    md_samples = {s.output for s in report.samples if s.sample_index == 0}
    assert md_samples == outputs
