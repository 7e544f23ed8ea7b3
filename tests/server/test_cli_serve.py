"""`fabula serve`: the real CLI, with uvicorn's blocking run swapped for a background server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from typer.testing import CliRunner

import fabula.server
from fabula.cli import app
from fabula.server import serve_in_background

runner = CliRunner()


def test_serve_builds_an_app_any_openai_client_can_use(tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def serve_briefly(api: Any, host: str, port: int, log_level: str) -> None:
        seen.update(host=host, port=port)
        with serve_in_background(api) as url:
            client = openai.OpenAI(api_key="sk-cli", base_url=url, max_retries=0)
            seen["models"] = [m.id for m in client.models.list()]
            seen["text"] = client.completions.create(model=seen["models"][0], prompt="Once", max_tokens=3).choices[0].text

    monkeypatch.setattr(fabula.server, "serve", serve_briefly)
    # --port is only passed to the stand-in above; the real server binds an OS-chosen port.
    result = runner.invoke(app, ["serve", "-m", f"hf:{tiny_checkpoint}", "--port", "8123", "--api-key", "sk-cli"])
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8123)
    assert seen["models"] == [f"hf:{tiny_checkpoint}"] and seen["text"]
    assert f"-m openai:hf:{tiny_checkpoint}@http://127.0.0.1:8123/v1" in result.output


def test_serve_reports_a_missing_model_before_starting(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "-m", f"hf:{tmp_path / 'nothing'}"])
    assert result.exit_code == 1
    assert "No checkpoint at" in result.output
