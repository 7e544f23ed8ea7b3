"""Did a poem copy its training corpus? A compact index of the corpus's verse lines.

A generated line that is, word for word, a line of the training corpus is a copy (a small model
recites famous lines: 白日依山尽, "Shall I compare thee to a summer's day?"). Shipping the corpus
with the model is not an option, so the index is a Bloom filter over the corpus's lines, keyed by
`line_key` (Simplified characters; lower-case English words): no false negatives — every
training line is found — and a false-positive rate set at build time (1 % by default: one novel
line in a hundred is taken for a copy and resampled, which costs a little time and loses nothing).
Lines shorter than `MIN_CHARS` Chinese characters or `MIN_WORDS` English words are not indexed
or looked up: short phrases (知否, "I know not") are shared by all poetry, not copied.

    fabula poem index tang_song_shi song_ci -o src/fabula/house/models/zh-poetry/lines.bloom

`index_for(backend)` finds the `lines.bloom` in a local model's folder; `compose` rejects poems
with a line in it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fabula.atomic import write_bytes_atomic
from fabula.errors import FabulaError
from fabula.forms.plans import line_key

__all__ = ["INDEX_FILE", "LineIndex", "build_index", "corpus_lines", "index_for", "indexable"]

INDEX_FILE = "lines.bloom"
MIN_CHARS, MIN_WORDS = 5, 4
_MAGIC = b"FABULA-LINES-1\n"
_CLAUSE = re.compile(r"[,;:.!?]+")


def indexable(key: str) -> bool:
    """Long enough to count as a copy when it matches."""
    if not key:
        return False
    if " " in key or key.isascii():
        return len(key.split()) >= MIN_WORDS
    return len(key) >= MIN_CHARS


def _positions(key: str, hashes: int, bits: int) -> list[int]:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
    h1, h2 = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
    return [(h1 + i * h2) % bits for i in range(hashes)]


@dataclass
class LineIndex:
    """A Bloom filter of line keys; `key in index` for a `line_key`."""

    bits: np.ndarray  # uint8, little-endian bit order
    size: int  # number of bits
    hashes: int
    count: int  # lines indexed
    about: dict

    @classmethod
    def build(cls, keys: Iterable[str], expected: int, fp_rate: float = 0.01, about: dict | None = None) -> LineIndex:
        size = max(64, math.ceil(-expected * math.log(fp_rate) / math.log(2) ** 2))
        hashes = max(1, round(size / max(expected, 1) * math.log(2)))
        flat = np.zeros(size, dtype=bool)
        count = 0
        for key in keys:
            if indexable(key):
                flat[_positions(key, hashes, size)] = True
                count += 1
        if count > expected * 1.5:
            raise FabulaError(f"{count} lines indexed, {expected} expected: rebuild with expected={count}.")
        return cls(np.packbits(flat, bitorder="little"), size, hashes, count, dict(about or {}, fp_rate=fp_rate))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or not indexable(key):
            return False
        return all(self.bits[p >> 3] >> (p & 7) & 1 for p in _positions(key, self.hashes, self.size))

    def save(self, path: Path) -> None:
        meta = {"size": self.size, "hashes": self.hashes, "count": self.count, **self.about}
        head = json.dumps(meta, ensure_ascii=False).encode("utf-8")
        write_bytes_atomic(path, _MAGIC + len(head).to_bytes(4, "little") + head + self.bits.tobytes())

    @classmethod
    def load(cls, path: Path) -> LineIndex:
        data = path.read_bytes()
        if not data.startswith(_MAGIC):
            raise FabulaError(f"{path} is not a Fabula line index; rebuild it with `fabula poem index`.")
        at = len(_MAGIC)
        length = int.from_bytes(data[at : at + 4], "little")
        meta = json.loads(data[at + 4 : at + 4 + length])
        bits = np.frombuffer(data[at + 4 + length :], dtype=np.uint8)
        size, hashes, count = meta.pop("size"), meta.pop("hashes"), meta.pop("count")
        if bits.size * 8 < size:
            raise FabulaError(f"{path} is truncated; rebuild it with `fabula poem index`.")
        return cls(bits, size, hashes, count, meta)


def corpus_lines(names: list[str]) -> Iterator[str]:
    """The line keys of every split of the prepared corpora `names`: each text line, its 句
    (Chinese) or its clauses (English, split at , ; : . ! ?), so a verse line copying a phrase of
    prose is found too."""
    from fabula.data.corpus import read_split
    from fabula.data.split import SPLITS
    from fabula.forms.chinese.shi import _HAN, split_lines

    for name in names:
        for split in SPLITS:
            for doc in read_split(name, split):
                for raw in doc.text.splitlines():
                    if _HAN.search(raw):
                        parts = split_lines([raw])
                    else:
                        parts = [raw, *_CLAUSE.split(raw)]
                    for part in parts:
                        yield line_key(part)


def build_index(names: list[str], fp_rate: float = 0.01, progress: bool = True) -> LineIndex:
    """The line index of the prepared corpora `names` (distinct, indexable keys only)."""
    from tqdm import tqdm

    keys = {k for k in tqdm(corpus_lines(names), desc="lines", unit=" lines", disable=not progress) if indexable(k)}
    return LineIndex.build(keys, expected=len(keys), fp_rate=fp_rate, about={"corpora": names})


def index_for(backend: object) -> LineIndex | None:
    """The line index shipped in a local model's folder (house models ship one), if any."""
    folder = getattr(backend, "path", None)
    if folder is None:
        return None
    path = Path(folder) / INDEX_FILE
    return _load_cached(path) if path.is_file() else None


_CACHE: dict[Path, LineIndex] = {}


def _load_cached(path: Path) -> LineIndex:
    if path not in _CACHE:
        _CACHE[path] = LineIndex.load(path)
    return _CACHE[path]
