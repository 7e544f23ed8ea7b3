"""Where Fabula keeps its files.

`FABULA_HOME` overrides everything (tests point it at a temporary folder);
otherwise the platform's user data directory is used.
"""

import os
from pathlib import Path

import platformdirs

PACKAGE_DIR = Path(__file__).resolve().parent


def home() -> Path:
    """The root of Fabula's per-user files; created on first use."""
    root = os.environ.get("FABULA_HOME")
    path = Path(root).expanduser() if root else Path(platformdirs.user_data_dir("fabula"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Derived files that can be rebuilt (converted models, prepared corpora)."""
    path = home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
