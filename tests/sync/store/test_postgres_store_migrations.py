"""PostgresStore's schema: made on first use, forward migrations, a newer one refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from finlink import SyncError
from tests.postgres import PgSchema


def _query(schema: PgSchema, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(schema.options_dsn, autocommit=True) as conn:
        cursor = conn.execute(statement.encode(), params or None)
        return cursor.fetchall() if cursor.description else []


def _version(schema: PgSchema) -> int:
    [(version,)] = _query(schema, "SELECT version FROM finlink_schema_version")
    return int(version)


def _tables(schema: PgSchema) -> set[str]:
    found = _query(
        schema,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        schema.name,
    )
    return {row[0] for row in found}


def _latest() -> int:
    from finlink.sync.store._postgres_schema import MIGRATIONS

    return MIGRATIONS[-1].version


def test_first_use_creates_the_tables_in_the_search_path_schema_at_the_latest_version(
    pg_schema: PgSchema,
) -> None:
    from finlink.sync.store import PostgresStore

    PostgresStore(pg_schema.options_dsn).close()
    assert _version(pg_schema) == _latest()
    assert {
        "finlink_schema_version",
        "finlink_links",
        "finlink_intents",
        "finlink_cursors",
        "finlink_outbox",
        "finlink_errors",
        "finlink_reviews",
        "finlink_runs",
    } <= _tables(pg_schema)


def test_migrations_are_numbered_one_up_from_one() -> None:
    pytest.importorskip("psycopg")
    from finlink.sync.store._postgres_schema import MIGRATIONS

    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_upgrade_creates_the_schema_and_schema_version_reports_it(pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    assert PostgresStore.schema_version(pg_schema.options_dsn) == (0, _latest())
    assert PostgresStore.upgrade(pg_schema.options_dsn) == _latest()
    assert PostgresStore.upgrade(pg_schema.options_dsn) == _latest()  # again: nothing to do
    assert PostgresStore.schema_version(pg_schema.options_dsn) == (_latest(), _latest())


def test_without_migrate_a_missing_schema_is_refused_and_nothing_is_made(
    pg_schema: PgSchema,
) -> None:
    from finlink.sync.store import PostgresStore

    with pytest.raises(SyncError, match="finlink db upgrade"):
        PostgresStore(pg_schema.options_dsn, migrate=False)
    assert _tables(pg_schema) == set()
    PostgresStore.upgrade(pg_schema.options_dsn)
    PostgresStore(pg_schema.options_dsn, migrate=False).close()


def test_an_older_database_is_migrated_forward_keeping_its_data(
    pg_schema: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finlink.sync.store import PostgresStore
    from finlink.sync.store import _postgres_schema as schema

    with PostgresStore(pg_schema.options_dsn) as store:
        store.record_outcome("adm", "relation", "C-1", remote_id="R-1", snapshot={"v": 1})
    latest = _latest()
    step = schema.Migration(
        version=latest + 1,
        description="a note on every link",
        statements=("ALTER TABLE finlink_links ADD COLUMN note text",),
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, step))
    with pytest.raises(SyncError, match="finlink db upgrade"):
        PostgresStore(pg_schema.options_dsn, migrate=False)
    with PostgresStore(pg_schema.options_dsn) as store:
        link = store.get_link("adm", "relation", "C-1")
    assert link is not None
    assert link.snapshot == {"v": 1}
    assert _version(pg_schema) == latest + 1
    columns = _query(
        pg_schema,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = 'finlink_links'",
        pg_schema.name,
    )
    assert ("note",) in columns


def test_version_2_gives_the_links_of_a_version_1_database_their_fingerprints(
    pg_schema: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finlink.sync.store import PostgresStore
    from finlink.sync.store import _postgres_schema as schema

    full = schema.MIGRATIONS
    monkeypatch.setattr(schema, "MIGRATIONS", full[:1])
    with PostgresStore(pg_schema.options_dsn) as store:
        store.record_outcome("adm", "relation", "C-1", remote_id="R-1", snapshot={"v": 1})
        store.record_outcome(
            "adm", "relation", "C-2", remote_id="R-2", snapshot={"fingerprint": "F2"}
        )
        store.record_outcome("adm", "relation", "C-3", remote_id="R-3", snapshot={"fingerprint": 3})
    assert _version(pg_schema) == 1
    monkeypatch.setattr(schema, "MIGRATIONS", full)
    with PostgresStore(pg_schema.options_dsn) as store:
        found = sorted(store.link_fingerprints_for("adm", "relation", ["C-1", "C-2", "C-3"]))
        link = store.get_link("adm", "relation", "C-2")
    assert _version(pg_schema) == _latest()
    assert found == [
        ("C-1", "R-1", None, None),
        ("C-2", "R-2", None, "F2"),
        ("C-3", "R-3", None, None),
    ]
    assert link is not None
    assert link.snapshot == {"fingerprint": "F2"}


def test_a_failed_migration_is_rolled_back_and_the_database_keeps_its_version(
    pg_schema: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finlink.sync.store import PostgresStore
    from finlink.sync.store import _postgres_schema as schema

    PostgresStore(pg_schema.options_dsn).close()
    latest = _latest()
    broken = schema.Migration(
        version=latest + 1,
        description="broken",
        statements=("CREATE TABLE half_done (x text)", "ALTER TABLE no_such_table ADD x text"),
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    with pytest.raises(SyncError, match="no_such_table"):
        PostgresStore(pg_schema.options_dsn)
    assert _version(pg_schema) == latest
    assert "half_done" not in _tables(pg_schema)


def test_a_database_from_a_newer_finlink_is_refused_untouched(pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    PostgresStore(pg_schema.options_dsn).close()
    _query(pg_schema, "UPDATE finlink_schema_version SET version = %s", _latest() + 5)
    for migrate in (True, False):
        with pytest.raises(SyncError, match="newer finlink") as caught:
            PostgresStore(pg_schema.options_dsn, migrate=migrate)
        assert f"schema version {_latest() + 5}" in str(caught.value)
    with pytest.raises(SyncError, match="newer finlink"):
        PostgresStore.upgrade(pg_schema.options_dsn)
    assert _version(pg_schema) == _latest() + 5


def test_a_damaged_version_table_is_refused(pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    PostgresStore(pg_schema.options_dsn).close()
    _query(pg_schema, "INSERT INTO finlink_schema_version (version) VALUES (1)")
    with pytest.raises(SyncError, match="damaged"):
        PostgresStore(pg_schema.options_dsn)


def test_several_openers_of_an_empty_database_migrate_it_once(pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            PostgresStore(pg_schema.options_dsn).close()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _version(pg_schema) == _latest()
