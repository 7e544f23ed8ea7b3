"""The store suite runs on SQLite and on a real, throwaway PostgreSQL server.

PostgreSQL listens only on a Unix socket inside a temporary folder (no TCP
port) and runs as the unprivileged user `nobody`, since it refuses root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fabula.store import Store, open_store


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _as_nobody(args: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_socket_dir() -> Iterator[Path]:
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found: run `bash scripts/setup-postgres.sh`")
    root = Path(tempfile.mkdtemp(prefix="fabula-pg-"))
    os.chmod(root, 0o755)
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        shutil.chown(sock, "nobody")
    subprocess.run(
        _as_nobody([str(bindir / "initdb"), "-D", str(data), "-U", "fabula", "--auth=trust", "-E", "UTF8"]),
        check=True, capture_output=True,
    )
    options = f"-c listen_addresses='' -k {sock} -c fsync=off"
    subprocess.run(
        _as_nobody([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]),
        check=True, capture_output=True,
    )
    try:
        yield sock
    finally:
        subprocess.run(_as_nobody([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _postgres_url(sock: Path) -> str:
    """A fresh database per test, so tests never see each other's rows."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"host={sock} user=fabula dbname=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://fabula@/{name}?host={sock}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fabula.db'}"
    return _postgres_url(request.getfixturevalue("postgres_socket_dir"))


@pytest.fixture
def store(store_url: str) -> Store:
    return open_store(store_url)
