"""prepare(): caching by stamp, --force, rebuild on code or source change; fetching sources once."""

import io
import json
import shutil
import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from fabula.data import brown, pipeline
from fabula.data.corpus import Document, corpus_dir, read_split
from fabula.data.fetch import DebianPackage, NpmPackage, Source
from fabula.data.pipeline import Corpus, prepare, status
from fabula.data.split import SPLITS
from fabula.errors import FabulaError


def _corpus(source: Source) -> Corpus:
    return Corpus(
        name="fixture_brown",
        description="test",
        lang="en",
        source=source,
        licence="test",
        documents=brown.documents,
        cleaning=("none",),
    )


def test_prepare_writes_everything_and_is_cached(brown_root: Path, folder_source: type) -> None:
    source = folder_source(brown_root)
    corpus = _corpus(source)
    assert not status(corpus).prepared
    card, rebuilt = prepare(corpus)
    assert rebuilt and len(source.located) == 1
    folder = corpus_dir("fixture_brown")
    assert {p.name for p in folder.iterdir()} == {
        "train.jsonl",
        "validation.jsonl",
        "test.jsonl",
        "card.json",
        "card.md",
        "stamp.json",
    }
    assert card["source"] == {"kind": "fixture", "package": "fixture", "version": "1.0"}
    assert card["splits"]["total"]["documents"] == 2 and card["cleaning"] == ["none"]
    ids = sorted(d.id for s in SPLITS for d in read_split("fixture_brown", s))
    assert ids == ["brown/cl01", "brown/cn01"]
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "stamp.json"}

    again, rebuilt = prepare(corpus)
    assert not rebuilt and len(source.located) == 1 and again == card  # nothing located, nothing written
    assert status(corpus).current

    forced, rebuilt = prepare(corpus, force=True)
    assert rebuilt and len(source.located) == 2
    assert {
        p.name: p.read_bytes() for p in folder.iterdir() if p.name != "stamp.json"
    } == before  # reproducible


def test_a_new_source_version_or_new_code_rebuilds(
    brown_root: Path, folder_source: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = folder_source(brown_root)
    prepare(_corpus(source))
    source.pinned = "1.1"
    assert not status(_corpus(source)).current
    assert prepare(_corpus(source))[1]
    monkeypatch.setattr(pipeline, "code_version", lambda corpus: "changed")
    assert not status(_corpus(source)).current
    assert prepare(_corpus(source))[1]
    assert not prepare(_corpus(source))[1]


def test_an_interrupted_build_is_not_taken_as_cached(brown_root: Path, folder_source: type) -> None:
    source = folder_source(brown_root)
    prepare(_corpus(source))

    def broken(root: Path, stats: Counter[str]) -> Iterator[Document]:
        yield Document("x", "x")
        raise RuntimeError("disk full")

    corpus = Corpus(
        name="fixture_brown", description="", lang="en", source=source, licence="", documents=broken
    )
    with pytest.raises(RuntimeError):
        prepare(corpus, force=True)
    assert not status(_corpus(source)).prepared
    assert prepare(_corpus(source))[1]


def test_code_version_covers_the_helpers_a_corpus_uses() -> None:
    from fabula.data import shakespeare

    modules = {m.__name__ for m in pipeline._data_modules(shakespeare)}
    assert {
        "fabula.data.shakespeare",
        "fabula.data.text",
        "fabula.data.corpus",
        "fabula.data.split",
        "fabula.data.card",
        "fabula.data.pipeline",
    } <= modules
    assert len(pipeline.code_version(shakespeare.CORPUS)) == 16


def test_missing_debian_package_names_the_install_command() -> None:
    source = DebianPackage(
        "fabula-no-such-package", Path("/nonexistent"), requires=("fabula-no-such-package", "x2")
    )
    with pytest.raises(FabulaError, match=r"apt-get install -y fabula-no-such-package x2.*make corpora"):
        source.version()


def test_debian_export_runs_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("fabula.data.fetch.debian_version", lambda package: "1.0-1")
    calls = []

    def export(dest: Path) -> None:
        calls.append(dest)
        (dest / "data.txt").write_text("exported")

    source = DebianPackage("somepkg", tmp_path, export=export)
    first = source.locate()
    assert (first / "data.txt").read_text() == "exported" and first.name == "somepkg-1.0-1"
    assert source.locate() == first and len(calls) == 1


def test_npm_package_is_packed_and_unpacked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_npm_pack(cmd: list[str], what: str, cwd: Path | None = None) -> None:
        calls.append(cmd)
        dest = Path(cmd[cmd.index("--pack-destination") + 1])
        payload = json.dumps({"name": "demo"}).encode()
        with tarfile.open(dest / "demo-1.0.0.tgz", "w:gz") as tar:
            info = tarfile.TarInfo("package/package.json")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))

    monkeypatch.setattr("fabula.data.fetch._run", fake_npm_pack)
    monkeypatch.setattr("fabula.data.fetch.shutil.which", lambda name: "/usr/bin/" + name)
    source = NpmPackage("demo", "1.0.0")
    root = source.locate()
    assert (root / "package.json").exists() and root.name == "package"
    assert source.locate() == root and len(calls) == 1
    assert calls[0][:3] == ["npm", "pack", "demo@1.0.0"]
    shutil.rmtree(root.parent)
