"""Errors raised by the store; each message names the command or fix to try next."""

from __future__ import annotations

from fabula.errors import FabulaError


class StoreError(FabulaError):
    """The store cannot do what was asked."""


class NotFound(StoreError):
    """No project, document, version or generation with that name or id."""


class AlreadyExists(StoreError):
    """A project name or document title is taken."""


class InvalidRecord(StoreError):
    """A passage or log record is inconsistent (e.g. generated text without a model)."""


class DatabaseUnavailable(StoreError):
    """The database URL is wrong, its driver is missing, or the server cannot be reached."""
