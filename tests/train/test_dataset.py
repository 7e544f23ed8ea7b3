"""Token memmaps cached by corpus, tokenizer and formatting; seeded windows that resume exactly."""

from pathlib import Path

import numpy as np
import pytest

from fabula.errors import FabulaError
from fabula.paths import cache_dir
from fabula.train.config import TokenizerConfig
from fabula.train.dataset import WindowSampler, token_file
from fabula.train.formatting import Formatter
from fabula.train.tokenizer import load_tokenizer, train_tokenizer

from .conftest import SENTENCES, english_docs, write_split


@pytest.fixture
def tokenizer_dir(tmp_path: Path) -> Path:
    return train_tokenizer(
        TokenizerConfig(vocab_size=400),
        SENTENCES * 3,
        ["<genre=mystery>", "<genre=romance>"],
        tmp_path / "tok",
    )


def test_token_file_holds_formatted_documents_end_to_end(en_corpus: str, tokenizer_dir: Path) -> None:
    fmt = Formatter(control_keys=("genre",), known_controls=frozenset({"<genre=mystery>", "<genre=romance>"}))
    tf = token_file(en_corpus, "validation", tokenizer_dir, fmt)
    ids = tf.array()
    assert ids.dtype == np.uint16 and len(ids) == tf.tokens and tf.documents == 4
    tok = load_tokenizer(tokenizer_dir)
    assert (
        int((ids == tok.token_to_id("<|bos|>")).sum()) == 4 == int((ids == tok.token_to_id("<|eos|>")).sum())
    )
    first = tok.decode(ids[: list(ids).index(1) + 1].tolist(), skip_special_tokens=False)
    doc = english_docs(4, 1, "val-")[0]
    assert first == f"<|bos|><genre={doc['meta']['genre']}>\n{doc['text']}<|eos|>"


def test_token_files_are_cached_and_rebuilt_when_an_input_changes(
    en_corpus: str, tokenizer_dir: Path
) -> None:
    fmt = Formatter(known_controls=frozenset())
    first = token_file(en_corpus, "validation", tokenizer_dir, fmt)
    mtime = first.path.stat().st_mtime_ns
    assert token_file(en_corpus, "validation", tokenizer_dir, fmt).path.stat().st_mtime_ns == mtime
    assert (
        token_file(en_corpus, "validation", tokenizer_dir, Formatter(known_controls=frozenset(), seed=1)).path
        != first.path
    )
    write_split(en_corpus, "validation", english_docs(5, 9, "v-"))
    changed = token_file(en_corpus, "validation", tokenizer_dir, fmt)
    assert changed.path != first.path and changed.documents == 5
    assert first.path.parent.parent == cache_dir() / "tokens"


def test_a_missing_corpus_says_how_to_prepare_it(fabula_home: Path, tokenizer_dir: Path) -> None:
    with pytest.raises(FabulaError, match="fabula data prepare nothing"):
        token_file("nothing", "train", tokenizer_dir, Formatter())


def test_windows_are_shifted_pairs_seeded_and_resumable() -> None:
    data = np.arange(1000, dtype=np.uint16)
    sampler = WindowSampler([data], None, context=16, seed=7)
    x, y, _ = sampler.sample(4)
    assert x.shape == y.shape == (4, 16) and x.dtype.is_floating_point is False
    assert (y[:, :-1] == x[:, 1:]).all() and (y[:, 0] == x[:, 0] + 1).all()
    saved = sampler.state_dict()
    after = [sampler.sample(4)[0] for _ in range(3)]
    again = WindowSampler([data], None, context=16, seed=999)
    again.load_state_dict(saved)
    assert all((a == b).all() for a, b in zip(after, [again.sample(4)[0] for _ in range(3)], strict=True))
    assert (WindowSampler([data], None, 16, seed=7).sample(4)[0] == x).all()


def test_windows_mix_corpora_by_weight() -> None:
    a, b = np.zeros(5000, dtype=np.uint16), np.ones(500, dtype=np.uint16)
    by_size = WindowSampler([a, b], None, context=8, seed=0).sample(2000)[2]
    assert 0.85 < (by_size == 0).mean() < 0.95
    equal = WindowSampler([a, b], [1.0, 1.0], context=8, seed=0)
    x, _, which = equal.sample(2000)
    assert 0.45 < (which == 0).mean() < 0.55
    assert (x[which == 1] == 1).all()


def test_a_corpus_shorter_than_a_window_is_refused() -> None:
    with pytest.raises(FabulaError, match="fewer than one window"):
        WindowSampler([np.arange(10)], None, context=16, seed=0, names=["small"])
