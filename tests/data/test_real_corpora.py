"""The real prepare on the real packages (`make test-all` / `pytest -m corpora`).

Skipped with the reason when a source is not available here (a Debian
package not installed, a registry not reachable). Sources already fetched
into the FABULA_HOME of the shell running pytest are reused (symlinked), the
outputs go to a temporary home shared by the session.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from fabula.data import get_corpus, read_split
from fabula.data.pipeline import prepare
from fabula.data.split import SPLITS
from fabula.errors import FabulaError

pytestmark = pytest.mark.corpora
_OUTER_HOME = os.environ.get("FABULA_HOME")


@pytest.fixture(scope="session")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("corpora-home")
    outer_sources = Path(_OUTER_HOME, "cache", "sources") if _OUTER_HOME else None
    if outer_sources is not None and outer_sources.is_dir():
        (home / "cache").mkdir()
        (home / "cache" / "sources").symlink_to(outer_sources)
    return home


@pytest.fixture
def real(shared_home: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FABULA_HOME", str(shared_home))

    def build(name: str) -> tuple[dict, dict[str, list]]:
        corpus = get_corpus(name)
        try:
            corpus.source.version()
            corpus.source.locate()
            if corpus.tools:
                corpus.tools()
        except FabulaError as exc:
            pytest.skip(f"{name}: source not available here: {exc}")
        card, _ = prepare(corpus)
        assert not prepare(corpus)[1]  # cached the second time
        return card, {s: list(read_split(name, s)) for s in SPLITS}

    return build


def _check_disjoint(parts: dict[str, list]) -> None:
    ids = [d.id for docs in parts.values() for d in docs]
    assert len(ids) == len(set(ids))
    for split, docs in parts.items():
        assert docs, f"empty {split} split"


def test_shakespeare(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("shakespeare")
    _check_disjoint(parts)
    forms = Counter(d.meta["form"] for docs in parts.values() for d in docs)
    assert forms["sonnet"] == 154 and forms["play"] > 700 and forms["poem"] >= 4
    titles = {d.meta["title"] for docs in parts.values() for d in docs}
    assert "Hamlet" in titles and len({d.id.split("/")[1] for d in parts["train"]}) >= 37


def test_austen(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("austen")
    _check_disjoint(parts)
    assert card["splits"]["total"]["documents"] == 269
    assert len({d.meta["title"] for docs in parts.values() for d in docs}) == 6
    assert not any("_" in d.text or "CHAPTER" in d.text for docs in parts.values() for d in docs)


def test_brown(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("brown")
    _check_disjoint(parts)
    assert card["splits"]["total"]["documents"] == 126
    genres = Counter(d.meta["genre"] for docs in parts.values() for d in docs)
    assert genres == {
        "adventure": 29,
        "romance": 29,
        "mystery": 24,
        "science_fiction": 6,
        "humor": 9,
        "fiction": 29,
    }
    assert not any("/" in d.text.split()[0] or "``" in d.text for docs in parts.values() for d in docs)


def test_kjv(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("kjv")
    _check_disjoint(parts)
    assert card["splits"]["total"]["documents"] == 1189 and card["stats"]["verses"] == 31102


def test_fortunes(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("fortunes")
    _check_disjoint(parts)
    assert card["splits"]["total"]["documents"] > 900
    assert {d.meta["form"] for docs in parts.values() for d in docs} == {"poem", "quotation"}


def test_tang_song_shi(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("tang_song_shi")
    _check_disjoint(parts)
    assert card["splits"]["total"]["documents"] > 290_000
    forms = {form for counts in card["labels"]["form"].values() for form in counts}
    assert {"五言绝句", "七言绝句", "五言律诗", "七言律诗", "五言古体", "七言古体", "杂言古体"} <= forms
    assert all(d.meta["script"] == "zh-Hans" and d.meta["text_hant"] for d in parts["test"][:100])


def test_song_ci(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("song_ci")
    _check_disjoint(parts)
    assert card["splits"]["total"]["documents"] > 19_000
    assert len({t for counts in card["labels"]["tune"].values() for t in counts}) > 1000


def test_tang300_agrees_with_its_tags_and_shares_splits(real) -> None:  # type: ignore[no-untyped-def]
    card, parts = real("tang300")
    _check_disjoint(parts)
    assert card["splits"]["total"]["documents"] >= 345  # 366 in the file, some twice under two titles
    agree = card["stats"]["form check: agrees with the anthology's tag"]
    assert agree / (agree + card["stats"].get("form check: differs from the anthology's tag", 0)) > 0.95
    _, shi = real("tang_song_shi")
    train_texts = {d.text for d in shi["train"]}
    assert not any(d.text in train_texts for d in parts["test"] + parts["validation"])
