import hashlib
import inspect

import pytest
from sqlalchemy import inspect as inspect_db
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fabula.store import Store, StoreError, migrations, open_store
from fabula.store.migrations import MIGRATIONS, apply_migrations
from fabula.store.schema import metadata

# A fingerprint per shipped migration: databases in the wild have run these exact
# steps, so they never change. A new schema change is a new number (and a new line here).
SHIPPED = {1: "791c36017984b3f9", 2: "d087fb58291e9b66", 3: "9210c25a7fb5eca8", 4: "6659d3b99f363be0", 5: "a8575f09ecaa6b99"}


def _fingerprint(migration: migrations.Migration) -> str:
    number, name, steps = migration
    # A function step is pinned by its source (its repr holds a memory address).
    spelled = [step if isinstance(step, str) else inspect.getsource(step) for step in steps]
    return hashlib.sha256(repr((number, name, spelled)).encode()).hexdigest()[:16]


def test_shipped_migrations_are_never_edited() -> None:
    assert {m[0]: _fingerprint(m) for m in MIGRATIONS if m[0] in SHIPPED} == SHIPPED
    assert [m[0] for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_migrations_apply_in_order_once(store: Store, store_url: str) -> None:
    with store.engine.begin() as conn:
        assert apply_migrations(conn) == []
        recorded = conn.execute(text("SELECT number FROM _migrations ORDER BY number")).scalars().all()
    assert recorded == [m[0] for m in MIGRATIONS]
    with open_store(store_url) as again, again.engine.begin() as conn:  # reopening applies nothing
        assert migrations.applied(conn) == recorded


def test_schema_module_matches_migrated_database(store: Store) -> None:
    found = inspect_db(store.engine)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in found.get_columns(table.name)} == set(table.columns.keys()), table.name


def test_a_failing_migration_leaves_no_trace(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(store_url):
        pass
    broken = (len(MIGRATIONS) + 1, "broken", ["CREATE TABLE half_done (x INTEGER)", "CREATE TABLE oops ("])
    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(DBAPIError, match="oops"):  # a syntax error, on either database
        open_store(store_url)
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    with open_store(store_url) as store, store.engine.connect() as conn:
        assert not inspect_db(conn).has_table("half_done")  # the DDL was rolled back with the failure
        assert migrations.applied(conn)[-1] == len(MIGRATIONS)


def test_later_migrations_run_on_an_older_database(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
    with open_store(store_url) as old:
        old.create_project("kept")
    calls = []
    data_step = (len(MIGRATIONS) + 1, "a data step", [lambda conn: calls.append(conn.dialect.name)])
    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, data_step])
    with open_store(store_url) as new, new.engine.connect() as conn:
        assert migrations.applied(conn) == list(range(1, len(MIGRATIONS) + 2))
        assert [p.name for p in new.list_projects()] == ["kept"]
    assert len(calls) == 1


def test_a_database_from_a_newer_fabula_is_refused(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(store_url):
        pass
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:-1])
    with pytest.raises(StoreError, match="newer Fabula"):
        open_store(store_url)


def test_misnumbered_migrations_are_refused(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", [MIGRATIONS[1], MIGRATIONS[0]])
    with pytest.raises(StoreError, match="numbered"):
        open_store(store_url)
