"""The store suite runs on SQLite and on a real, throwaway PostgreSQL server.

`postgres_socket_dir` (once per session) runs `initdb` in a temporary folder
and starts `postgres` listening only on a Unix socket in that folder (no TCP
port, so parallel runs cannot collide). PostgreSQL refuses to run as root, so
under root the server runs as the unprivileged user `nobody`, which owns the
folder. Each test then gets its own database in that cluster.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fabula.store import Store, open_store

SETUP_HINT = "run `bash scripts/setup-postgres.sh` to install PostgreSQL"
_PG_USER = "nobody"
# Server settings for a disposable cluster: no durability, no TCP.
_SERVER_OPTIONS = "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _pg_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else the newest Debian install."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    installs = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: _version_key(p.parts[-3])
    )
    return installs[-1].parent if installs else None


def _version_key(version: str) -> list[int]:
    return [int(part) for part in re.findall(r"\d+", version)]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", _PG_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(_as_server_user(args), check=False, capture_output=True, text=True)
    if done.returncode != 0:
        server_log = log.read_text()[-2000:] if log and log.exists() else ""
        pytest.fail(f"PostgreSQL {what} failed:\n{done.stdout}\n{done.stderr}\n{server_log}")


@pytest.fixture(scope="session")
def postgres_socket_dir() -> Iterator[Path]:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(f"PostgreSQL server binaries (initdb, pg_ctl) not found: {SETUP_HINT}")
    pytest.importorskip("psycopg", reason="the psycopg driver is missing: pip install 'fabula[postgres]'")
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without `runuser` to start PostgreSQL as an unprivileged user")
        try:
            pwd.getpwnam(_PG_USER)
        except KeyError:
            pytest.skip(f"running as root, and there is no user {_PG_USER!r} to run PostgreSQL as")
    # Unix socket paths are limited to ~107 bytes, so stay short whatever $TMPDIR is.
    root = Path(tempfile.mkdtemp(prefix="fabula-pg-", dir="/tmp"))
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        for path in (root, sock):
            shutil.chown(path, _PG_USER)
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "fabula",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        "initdb",
    )
    options = f"{_SERVER_OPTIONS} -k {sock}"
    _run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "30", "start"],
        "start",
        log,
    )
    try:
        yield sock
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def new_postgres_database(sock: Path) -> str:
    """A fresh database, so tests never see each other's rows; returns its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=str(sock), user="fabula", dbname="postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://fabula@/{name}?host={sock}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_socket_dir"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as opened:
        yield opened
