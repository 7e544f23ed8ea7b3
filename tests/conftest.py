"""Shared fixtures: a private FABULA_HOME per test and tiny real checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from fabula.backends import Backend, resolve
from fabula.house.tiny import build_tiny_checkpoint


@pytest.fixture(autouse=True)
def fabula_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "fabula-home"
    monkeypatch.setenv("FABULA_HOME", str(home))
    monkeypatch.delenv("FABULA_MODEL", raising=False)
    monkeypatch.delenv("FABULA_DATABASE_URL", raising=False)
    # Tests compare decoding with `transformers` token for token, so they use the
    # exact bf16 torch runtime unless a test chooses another (tests/backends/test_llamacpp.py).
    monkeypatch.setenv("FABULA_RUNTIME", "lean")
    return home


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer random Llama (head size 64) with a small byte-level BPE."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "tiny-llama", seed=0)


def load_tiny(checkpoint: Path) -> Backend:
    """The tiny checkpoint on the exact torch runtime, so server and test process decode alike."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FABULA_RUNTIME", "lean")
        backend = resolve(f"hf:{checkpoint}")
        backend.load()
    return backend


@pytest.fixture(scope="module")
def local(tiny_checkpoint: Path) -> Backend:
    """The tiny model decoded in the test process, to compare a server's answers with."""
    return load_tiny(tiny_checkpoint)


@pytest.fixture(scope="module")
def server_url(tiny_checkpoint: Path) -> Iterator[str]:
    """Fabula's OpenAI-compatible server over the tiny model, on a loopback port the OS picks."""
    from fabula.server import create_app, serve_in_background

    with serve_in_background(create_app(load_tiny(tiny_checkpoint))) as url:
        yield url


@pytest.fixture(autouse=True)
def _deterministic_threads() -> None:
    torch.set_num_threads(1)


POEM_FORMS = ["五言绝句", "七言绝句", "五言律诗", "七言律诗"]
POEM_HEADS = "春江花月山中东白"


def _poem_characters() -> str:
    """A few characters of every 平水韵 group (Simplified), the test heads and the corpus punctuation."""
    from fabula.forms.chinese import lexicon

    by_group: dict[str, list[str]] = {}
    for ch, rs in lexicon._table().items():
        simple = lexicon.to_simplified(ch)
        for r in rs:
            chars = by_group.setdefault(r.group, [])
            if len(simple) == 1 and simple not in chars:
                chars.append(simple)
    picked = [c for g, cs in by_group.items() for c in cs[: 8 if g[1] == "平" else 3]]
    return "".join(dict.fromkeys(picked)) + POEM_HEADS + "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"


@pytest.fixture(scope="session")
def char_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with a character-level tokenizer and the four shi forms as controls."""
    from fabula.house.tiny import build_tiny_char_checkpoint

    folder = tmp_path_factory.mktemp("zh") / "tiny-zh"
    return build_tiny_char_checkpoint(folder, _poem_characters(), [f"<form={f}>" for f in POEM_FORMS], seed=0)
