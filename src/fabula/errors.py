"""Errors that tell the user what to do next.

Every error Fabula raises on purpose is a `FabulaError`; the CLI prints its
message (which should name the next command to run) without a traceback.
"""


class FabulaError(Exception):
    """An error with a message written for the user."""


class UnknownModelSpec(FabulaError):
    """A model spec names no registered backend or no known model."""


class ModelNotFound(FabulaError):
    """A model spec points to a path or model that does not exist."""


class CorruptCheckpoint(FabulaError):
    """A checkpoint exists but cannot be loaded."""


class BackendUnavailable(FabulaError):
    """A backend needs an optional extra, a server, or a key that is missing."""


class PromptTooLong(FabulaError):
    """The prompt (plus requested tokens) does not fit the model's context."""


class InvalidOptions(FabulaError):
    """Generation options are out of range or inconsistent."""
