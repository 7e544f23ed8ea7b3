"""Fabula's HTTP API: OpenAI-compatible endpoints over any Fabula backend.

    from fabula.server import create_app, serve_in_background
    app = create_app("house:en")            # uvicorn can serve this directly

Endpoints, chat template and limits: docs/serving.md.
"""

from fabula.server.app import create_app
from fabula.server.running import serve, serve_in_background

__all__ = ["create_app", "serve", "serve_in_background"]
