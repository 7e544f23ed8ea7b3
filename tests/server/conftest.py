"""Fabula's server in-process, on a loopback port the OS picks (never a fixed one), serving a tiny real model."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest


@pytest.fixture(scope="module")
def tiny_spec(tiny_checkpoint: Path) -> str:
    return f"hf:{tiny_checkpoint}"


@pytest.fixture
def client(server_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="unused", base_url=server_url, max_retries=0)
