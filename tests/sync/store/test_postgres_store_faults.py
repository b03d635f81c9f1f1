"""PostgresStore when things go wrong: a killed connection, a wrong DSN, a missing extra."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from finlink import ConfigurationError, StoreUnavailableError, SyncError
from tests.postgres import PgSchema

ADM = "acme-bv"
REL = "relation"


def _kill_sessions(schema: PgSchema) -> int:
    """End every session of the store under test (they carry the schema's name), as a DBA or
    a server restart would; return how many."""
    import psycopg

    with psycopg.connect(schema.dsn, autocommit=True) as conn:
        found = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND application_name = %s",
            (schema.name,),
        ).fetchall()
    return len(found)


@pytest.fixture
def store(pg_schema: PgSchema) -> Iterator[Any]:
    from finlink.sync.store import PostgresStore

    with PostgresStore(pg_schema.options_dsn, max_size=1) as made:
        yield made


def test_a_connection_killed_mid_transaction_is_a_retriable_error_and_writes_nothing(
    pg_schema: PgSchema, store: Any
) -> None:
    entry = store.enqueue(REL, "C-1", {"v": 1}, [ADM])
    [claimed] = store.claim(1, "w", lease_seconds=60)

    def outcome_then_lose_the_database() -> None:
        with store.transaction():
            store.record_outcome(
                ADM,
                REL,
                "C-1",
                remote_id="R-1",
                snapshot={},
                outbox_entry=entry.entry_id,
                worker="w",
            )
            store.set_cursor(ADM, "s", "1")
            assert _kill_sessions(pg_schema) >= 1
            store.record_failure(ADM, REL, "C-2", kind="k", message="m", retriable=True)

    with pytest.raises(StoreUnavailableError) as caught:
        outcome_then_lose_the_database()
    assert caught.value.retriable
    assert isinstance(caught.value, SyncError)
    # Nothing of the transaction stayed: no link, the entry still held, no cursor.
    assert store.get_link(ADM, REL, "C-1") is None
    held = store.get_outbox_entry(entry.entry_id)
    assert held is not None
    assert held.claimed_by == "w" == claimed.claimed_by
    assert store.get_cursor(ADM, "s") is None
    assert store.errors() == []
    # The same call again, now that the pool has a new connection, succeeds.
    store.record_outcome(
        ADM, REL, "C-1", remote_id="R-1", snapshot={}, outbox_entry=entry.entry_id, worker="w"
    )
    assert store.outbox_depth() == 0


def test_an_idle_connection_killed_fails_one_call_retriably_then_the_pool_reconnects(
    pg_schema: PgSchema, store: Any
) -> None:
    store.set_cursor(ADM, "s", "1")
    assert _kill_sessions(pg_schema) >= 1
    with pytest.raises(StoreUnavailableError, match="unavailable"):
        store.set_cursor(ADM, "s", "2")
    assert store.get_cursor(ADM, "s") == "1"
    store.set_cursor(ADM, "s", "2")
    assert store.get_cursor(ADM, "s") == "2"


def test_a_server_that_does_not_answer_is_a_configuration_error_without_the_password() -> None:
    pytest.importorskip("psycopg")
    from finlink.sync.store import PostgresStore

    dsn = "postgresql://finlink:s3cret-pw@127.0.0.1:1/finlink"
    with pytest.raises(ConfigurationError) as caught:
        PostgresStore(dsn, connect_timeout=2)
    message = str(caught.value)
    assert "finlink@127.0.0.1:1/finlink" in message
    assert "s3cret-pw" not in message
    assert "server is running" in message


def test_a_missing_database_is_a_configuration_error_naming_it(pg_dsn: str) -> None:
    from psycopg.conninfo import make_conninfo

    from finlink.sync.store import PostgresStore

    with pytest.raises(ConfigurationError, match="finlink_no_such_database"):
        PostgresStore(make_conninfo(pg_dsn, dbname="finlink_no_such_database"))


def test_a_dsn_that_does_not_parse_is_a_configuration_error_without_the_dsn() -> None:
    pytest.importorskip("psycopg")
    from finlink.sync.store import PostgresStore

    with pytest.raises(ConfigurationError, match="DSN is not valid") as caught:
        PostgresStore("host=db password=s3cret-pw dbname")
    assert "s3cret-pw" not in str(caught.value)


def test_an_empty_namespace_is_refused(pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    with pytest.raises(ValueError, match="namespace"):
        PostgresStore(pg_schema.options_dsn, namespace=" ")


def test_a_store_on_a_lent_pool_leaves_the_pool_open(pg_schema: PgSchema) -> None:
    from psycopg_pool import ConnectionPool

    from finlink.sync.store import PostgresStore

    with ConnectionPool(pg_schema.options_dsn, min_size=1, max_size=2) as pool:
        with PostgresStore(pool, namespace="t1") as store:
            store.set_cursor(ADM, "s", "1")
        assert "t1" in repr(store)
        with pytest.raises(SyncError, match="closed"):
            store.get_cursor(ADM, "s")
        # The pool (not in autocommit: the caller's choice) still serves another store.
        with PostgresStore(pool, namespace="t1", migrate=False) as again:
            assert again.get_cursor(ADM, "s") == "1"
            with again.transaction():
                again.set_cursor(ADM, "s", "2")
            assert again.get_cursor(ADM, "s") == "2"
        assert not pool.closed


def test_without_the_postgres_extra_finlink_imports_and_the_store_says_what_to_install() -> None:
    script = (
        "import sys\n"
        "sys.modules['psycopg'] = None\n"
        "sys.modules['psycopg_pool'] = None\n"
        "import finlink.sync\n"
        "from finlink import ConfigurationError\n"
        "try:\n"
        "    from finlink.sync.store import PostgresStore\n"
        "except ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'finlink[postgres]'" in done.stdout
    assert "psycopg" in done.stdout


def test_text_with_a_nul_character_is_refused_with_a_sync_error_and_nothing_written(
    store: Any,
) -> None:
    # PostgreSQL's text cannot hold NUL; SQLite's can. The store says so instead of crashing.
    with pytest.raises(SyncError):
        store.enqueue(REL, "C-1", {"name": "Acme\x00"})
    with pytest.raises(SyncError):
        store.record_outcome(ADM, REL, "C-\x00", remote_id="R-1", snapshot={})
    assert store.outbox_depth() == 0
    assert list(store.links(ADM, REL)) == []


def test_a_tenant_store_on_a_closed_pool_says_it_is_closed(pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    root = PostgresStore(pg_schema.options_dsn)
    tenant = root.for_namespace("t2")
    tenant.set_cursor(ADM, "s", "1")
    root.close()  # it made the pool, so the pool goes with it
    with pytest.raises(SyncError, match="closed") as caught:
        tenant.get_cursor(ADM, "s")
    assert not caught.value.retriable
    tenant.close()
