"""Fabula's server in-process, on a loopback port the OS picks (never a fixed one), serving a tiny real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from fabula.backends import Backend, resolve
from fabula.server import create_app, serve_in_background


def load_tiny(checkpoint: Path) -> Backend:
    """The tiny checkpoint on the exact torch runtime (as every test compares against)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FABULA_RUNTIME", "lean")
        backend = resolve(f"hf:{checkpoint}")
        backend.load()
    return backend


@pytest.fixture(scope="module")
def tiny_spec(tiny_checkpoint: Path) -> str:
    return f"hf:{tiny_checkpoint}"


@pytest.fixture(scope="module")
def local(tiny_checkpoint: Path) -> Backend:
    """The same model decoded in the test process, to compare the server's answers with."""
    return load_tiny(tiny_checkpoint)


@pytest.fixture(scope="module")
def server_url(tiny_checkpoint: Path) -> Iterator[str]:
    with serve_in_background(create_app(load_tiny(tiny_checkpoint))) as url:
        yield url


@pytest.fixture
def client(server_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="unused", base_url=server_url, max_retries=0)
