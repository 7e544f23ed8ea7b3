"""Corpus splits tokenised once into cached memmaps, and seeded random training windows.

`token_file(corpus, split, tokenizer_dir, formatter)` formats every document
(`formatting.Formatter`), tokenises it and writes the ids, end to end, to
`cache_dir()/tokens/<corpus>/<split>-<key>.bin` (uint16 when the vocabulary
fits, else uint32) with a JSON card beside it. The key hashes the split file,
the tokenizer and the formatting settings, so a change to any of them
re-tokenises and nothing else does.

`WindowSampler` draws (input, target) windows of `context` tokens: for each
row a corpus by weight, then a start offset, all from one NumPy generator whose
state is part of every checkpoint.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fabula.atomic import write_text_atomic
from fabula.data.corpus import Document, corpus_dir, read_split
from fabula.errors import FabulaError
from fabula.paths import cache_dir
from fabula.train.formatting import Formatter, Part
from fabula.train.tokenizer import load_tokenizer, tokenizer_hash

__all__ = ["TokenFile", "WindowSampler", "encode_sequences", "fixed_windows", "token_file"]

FORMAT_VERSION = 1  # bump when the way documents become ids changes
_BATCH_DOCS = 256


@dataclass(frozen=True)
class TokenFile:
    path: Path
    dtype: str
    tokens: int
    documents: int
    characters: int

    def array(self) -> np.ndarray:
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=(self.tokens,))


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def encode_sequences(tok, sequences: list[list[Part]]) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """Token ids of formatted sequences: special parts by id, text parts tokenised as plain text.

    Text that happens to contain a special token's spelling (say "<title>") stays text.
    """
    tok.encode_special_tokens = True
    texts = [p.text for seq in sequences for p in seq if not p.special]
    encoded = iter(tok.encode_batch(texts, add_special_tokens=False)) if texts else iter(())
    out = []
    for seq in sequences:
        ids: list[int] = []
        for part in seq:
            if part.special:
                tid = tok.token_to_id(part.text)
                if tid is None:
                    raise FabulaError(f"The tokenizer has no special token {part.text}; train it again.")
                ids.append(tid)
            else:
                ids.extend(next(encoded).ids)
        out.append(ids)
    return out


def _documents(corpus: str, split: str, lang: str | None) -> Iterator[Document]:
    for doc in read_split(corpus, split):
        if lang is None or doc.meta.get("lang", lang) == lang:
            yield doc


def token_file(
    corpus: str, split: str, tokenizer_dir: Path, formatter: Formatter, lang: str | None = None
) -> TokenFile:
    """The cached token ids of one corpus split, tokenising it first if needed."""
    source = corpus_dir(corpus) / f"{split}.jsonl"
    if not source.exists():
        raise FabulaError(f"Corpus '{corpus}' has no {split} split. Run `fabula data prepare {corpus}`.")
    settings = {
        k: sorted(v) if isinstance(v, frozenset) else v for k, v in dataclasses.asdict(formatter).items()
    }
    key_text = json.dumps(
        {
            "v": FORMAT_VERSION,
            "corpus": _file_sha(source),
            "tokenizer": tokenizer_hash(tokenizer_dir),
            "format": settings,
            "lang": lang,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    folder = cache_dir() / "tokens" / corpus
    path, card_path = folder / f"{split}-{key}.bin", folder / f"{split}-{key}.json"
    if path.exists() and card_path.exists():
        card = json.loads(card_path.read_text(encoding="utf-8"))
        return TokenFile(path, card["dtype"], card["tokens"], card["documents"], card["characters"])

    tok = load_tokenizer(tokenizer_dir)
    dtype = "uint16" if tok.get_vocab_size(with_added_tokens=True) <= 1 << 16 else "uint32"
    folder.mkdir(parents=True, exist_ok=True)
    tokens = documents = characters = 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{split}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            batch: list[Document] = []
            for doc in itertools.chain(_documents(corpus, split, lang), [None]):
                if doc is not None:
                    batch.append(doc)
                    documents += 1
                    characters += len(doc.text)
                if batch and (doc is None or len(batch) == _BATCH_DOCS):
                    sequences = [seq for d in batch for seq in formatter.sequences(d)]
                    for ids in encode_sequences(tok, sequences):
                        np.asarray(ids, dtype=dtype).tofile(handle)
                        tokens += len(ids)
                    batch = []
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    card = {
        "corpus": corpus,
        "split": split,
        "dtype": dtype,
        "tokens": tokens,
        "documents": documents,
        "characters": characters,
        "key": json.loads(key_text),
    }
    write_text_atomic(card_path, json.dumps(card, indent=1, ensure_ascii=False))
    return TokenFile(path, dtype, tokens, documents, characters)


class WindowSampler:
    """Seeded random windows over one or more token arrays, mixed by weight."""

    def __init__(
        self,
        arrays: list[np.ndarray],
        weights: list[float] | None,
        context: int,
        seed: int,
        names: list[str] | None = None,
    ) -> None:
        names = names or [str(i) for i in range(len(arrays))]
        for name, array in zip(names, arrays, strict=True):
            if len(array) < context + 1:
                raise FabulaError(
                    f"Corpus '{name}' has only {len(array)} tokens in this split, fewer than one window of "
                    f"{context + 1}: use a shorter model.context or a bigger corpus."
                )
        raw = np.asarray(weights if weights is not None else [len(a) for a in arrays], dtype=np.float64)
        self.arrays = arrays
        self.names = names
        self.probs = raw / raw.sum()
        self.context = context
        self.rng = np.random.default_rng(seed)

    def sample(self, batch: int) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
        """(inputs, targets) of shape (batch, context) and each row's corpus index."""
        which = self.rng.choice(len(self.arrays), size=batch, p=self.probs)
        highs = np.asarray([len(a) - self.context for a in self.arrays])[which]
        starts = self.rng.integers(0, highs)
        rows = np.stack(
            [self.arrays[w][s : s + self.context + 1] for w, s in zip(which, starts, strict=True)]
        )
        rows = torch.from_numpy(rows.astype(np.int64))
        return rows[:, :-1], rows[:, 1:], which

    def state_dict(self) -> dict:
        return self.rng.bit_generator.state

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state


def fixed_windows(
    sampler: WindowSampler, batches: int, batch_size: int
) -> list[tuple[torch.Tensor, torch.Tensor, np.ndarray]]:
    """The same evaluation windows every time: drawn once from a sampler with its own seed."""
    return [sampler.sample(batch_size) for _ in range(batches)]
