"""Fabula's HTTP API: OpenAI-compatible endpoints over any Fabula backend."""

from fabula.server.app import create_app

__all__ = ["create_app"]
