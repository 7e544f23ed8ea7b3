"""One corpus = one `Corpus` spec; `prepare` turns it into split files and a card, cached.

Each corpus module defines `CORPUS = Corpus(...)`: its `Source`, licence,
cleaning rules and a `documents(root, stats)` generator that parses the
located source folder. `prepare` locates the source, streams the documents
through deduplication and the split, and writes the outputs; a stamp file
(`stamp.json`: source package and version, a hash of the code that made
the corpus, tool versions) lets the next call skip work that would produce
the same files. `force=True` rebuilds anyway.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from tqdm import tqdm

from fabula.atomic import write_text_atomic
from fabula.data.corpus import Document, corpus_dir, write_corpus
from fabula.data.fetch import Source
from fabula.data.split import SPLITS
from fabula.errors import FabulaError

__all__ = ["Corpus", "Status", "prepare", "status", "code_version"]

STAMP = "stamp.json"
_OUTPUTS = (*(f"{s}.jsonl" for s in SPLITS), "card.json", "card.md")


@dataclass(frozen=True)
class Corpus:
    """What `fabula data prepare NAME` needs to know about one corpus."""

    name: str
    description: str
    lang: str
    source: Source
    licence: str
    documents: Callable[[Path, Counter[str]], Iterable[Document]]
    files: str = ""  # which files of the source package are used
    cleaning: tuple[str, ...] = ()
    script: str = ""  # for Chinese: which script `text` is in
    tools: Callable[[], dict[str, str]] | None = None  # versions of conversion tools, part of the stamp

    def card(self) -> dict:
        """The corpus's own part of its data card (counts are added by `write_corpus`)."""
        return {
            "description": self.description,
            "lang": self.lang,
            "source": {**self.source.describe(), **({"files": self.files} if self.files else {})},
            "licence": self.licence,
            "cleaning": list(self.cleaning),
            **({"script": self.script} if self.script else {}),
            **({"tools": self.tools()} if self.tools else {}),
        }


def _data_modules(module: ModuleType) -> list[ModuleType]:
    """The corpus module and every `fabula.data` module it uses (directly), plus the shared core."""
    found = {module.__name__: module}
    for value in vars(module).values():
        owner = value if inspect.ismodule(value) else inspect.getmodule(value)
        if owner is not None and owner.__name__.startswith("fabula.data."):
            found.setdefault(owner.__name__, owner)
    for core in ("fabula.data.corpus", "fabula.data.split", "fabula.data.card", __name__):
        found.setdefault(core, sys.modules[core])
    return [found[name] for name in sorted(found)]


def code_version(corpus: Corpus) -> str:
    """A hash of the code that turns the source into this corpus (changes force a rebuild)."""
    module = inspect.getmodule(corpus.documents)
    if module is None:
        raise FabulaError(f"Cannot find the module of corpus '{corpus.name}'.")
    digest = hashlib.sha256()
    for mod in _data_modules(module):
        digest.update(mod.__name__.encode())
        digest.update(Path(inspect.getfile(mod)).read_bytes())
    return digest.hexdigest()[:16]


def _stamp(corpus: Corpus) -> dict:
    return {
        "corpus": corpus.name,
        "source": corpus.source.describe(),
        "code": code_version(corpus),
        "tools": corpus.tools() if corpus.tools else {},
    }


@dataclass(frozen=True)
class Status:
    name: str
    prepared: bool  # outputs exist
    current: bool  # and were made from the same source version and code
    card: dict | None


def status(corpus: Corpus) -> Status:
    """Whether a corpus is prepared and up to date (never fetches anything)."""
    folder = corpus_dir(corpus.name)
    stamp_file = folder / STAMP
    if not stamp_file.exists() or not all((folder / f).exists() for f in _OUTPUTS):
        return Status(corpus.name, False, False, None)
    card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    try:
        stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
        stamp.pop("seconds", None)
        current = stamp == _stamp(corpus)
    except FabulaError:  # the source package is not installed any more
        current = False
    return Status(corpus.name, True, current, card)


def prepare(corpus: Corpus, force: bool = False) -> tuple[dict, bool]:
    """Build (or reuse) a corpus; returns (card, rebuilt)."""
    if not force:
        current = status(corpus)
        if current.current and current.card is not None:
            return current.card, False
    stamp = _stamp(corpus)  # fails early, naming the install command, if the source is missing
    start = time.perf_counter()
    folder = corpus_dir(corpus.name)
    (folder / STAMP).unlink(missing_ok=True)
    source_root = corpus.source.locate()
    stats: Counter[str] = Counter()
    docs = tqdm(
        corpus.documents(source_root, stats),
        desc=f"prepare {corpus.name}",
        unit=" docs",
        disable=None,
        leave=False,
        file=sys.stderr,
    )
    card = write_corpus(corpus.name, docs, corpus.card(), stats)
    write_text_atomic(
        folder / STAMP,
        json.dumps({**stamp, "seconds": round(time.perf_counter() - start, 1)}, indent=2, ensure_ascii=False)
        + "\n",
    )
    return card, True
