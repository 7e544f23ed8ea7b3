from pathlib import Path

import pytest

from fabula.store import DatabaseUnavailable, open_store
from fabula.store.database import parse_url


def test_the_default_store_is_sqlite_in_fabula_home(fabula_home: Path) -> None:
    with open_store() as store:
        store.create_project("moonfall")
        assert store.engine.dialect.name == "sqlite"
    assert (fabula_home / "fabula.db").is_file()
    with open_store() as again:
        assert [p.name for p in again.list_projects()] == ["moonfall"]


def test_the_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fabula_home: Path
) -> None:
    db = tmp_path / "nested" / "elsewhere.db"  # missing folders are created
    monkeypatch.setenv("FABULA_DATABASE_URL", f"sqlite:///{db}")
    with open_store() as store:
        store.create_project("moonfall")
    assert db.is_file() and not (fabula_home / "fabula.db").exists()


def test_an_argument_beats_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABULA_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    with open_store(f"sqlite:///{tmp_path / 'arg.db'}"):
        pass
    assert (tmp_path / "arg.db").exists() and not (tmp_path / "env.db").exists()


def test_bare_postgres_urls_use_psycopg_3() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_bad_urls_say_what_to_use() -> None:
    with pytest.raises(DatabaseUnavailable, match="sqlite:///PATH"):
        open_store("not a url")
    with pytest.raises(DatabaseUnavailable, match="Cannot open database"):
        open_store("nosuchdb://x/y")


def test_an_unreachable_server_is_reported_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://fabula:s3cret@/nodb?host={tmp_path}"  # no server listens in tmp_path
    with pytest.raises(DatabaseUnavailable, match="FABULA_DATABASE_URL") as caught:
        open_store(url)
    assert "s3cret" not in str(caught.value)
