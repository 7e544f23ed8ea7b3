"""Shared fixtures: a private FABULA_HOME per test and tiny real checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

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


@pytest.fixture(autouse=True)
def _deterministic_threads() -> None:
    torch.set_num_threads(1)
