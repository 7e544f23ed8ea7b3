"""A tiny real model with room for a judge's prompt, served by Fabula's OpenAI-compatible server.

The shared tiny checkpoint holds 128 tokens; a HANNA rubric prompt is about 550 of its tokens, so
the judge tests use the same tiny random Llama built with a 1024-token context.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import load_tiny  # the lean runtime, as the server decodes
from fabula.backends import Backend
from fabula.house.tiny import build_tiny_checkpoint
from fabula.store import Store


@pytest.fixture(scope="session")
def wide_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("wide") / "tiny-llama-1k", seed=0, context=1024)


@pytest.fixture(scope="module")
def wide(wide_checkpoint: Path) -> Backend:
    return load_tiny(wide_checkpoint)


@pytest.fixture(scope="module")
def wide_server_url(wide_checkpoint: Path) -> Iterator[str]:
    from fabula.server import create_app, serve_in_background

    with serve_in_background(create_app(load_tiny(wide_checkpoint))) as url:
        yield url


@pytest.fixture(scope="session")
def minilm() -> None:
    """Load the MiniLM embedder once (a few seconds) before the tests that embed text."""
    from fabula.story.embeddings import embed

    embed(["warm up"])


# --- eval runs: suites on the tiny model, stored on SQLite and PostgreSQL -------------------------
# The store suite's fixtures (tests/store/conftest.py): `store_url` is one URL per database kind.
from store.conftest import postgres_socket_dir, store_url  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def tiny_suite_path() -> Path:
    return FIXTURES / "tiny.toml"


@pytest.fixture
def tiny_models(tiny_checkpoint: Path) -> dict[str, str]:
    """Every task of a suite on the tiny random Llama."""
    return {"*": f"hf:{tiny_checkpoint}"}


@pytest.fixture
def eval_store(store_url: str) -> Iterator[Store]:  # noqa: F811 (the fixture imported above)
    from fabula.store import open_store

    with open_store(store_url) as opened:
        yield opened
