"""Worker on PostgresStore: tenants kept apart, and the database going away mid-run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SystemClock
from finlink.sync import SyncEngine, Worker
from finlink.sync.store.postgres import PostgresStore
from finlink.testing.datasets import relations
from tests.postgres import PgSchema

TENANTS = ("acme", "globex", "initech")
PER_TENANT = 25


@pytest.fixture
def backends() -> dict[str, InMemoryBackend]:
    # 10 ms a call: the run lasts long enough for the database to go away in the middle.
    return {
        t: InMemoryBackend(administration=f"{t}:books", clock=SystemClock(), latency=0.01)
        for t in TENANTS
    }


@pytest.fixture
def queued(pg_schema: PgSchema, backends: dict[str, InMemoryBackend]) -> None:
    for number, tenant in enumerate(TENANTS):
        with PostgresStore(pg_schema.options_dsn, namespace=tenant) as store:
            engine = SyncEngine(store=store, backends=[backends[tenant]])
            for relation in relations(PER_TENANT, seed=number, id_prefix=f"{tenant}-"):
                engine.notify(relation)


def _engine_for(dsn: str, backends: dict[str, InMemoryBackend]) -> Callable[[str], SyncEngine]:
    def engine_for(tenant: str) -> SyncEngine:
        store = PostgresStore(dsn, namespace=tenant, max_size=2)
        return SyncEngine(store=store, backends=[backends[tenant]], worker_id=f"w-{tenant}")

    return engine_for


@pytest.mark.usefixtures("queued")
def test_the_worker_serves_every_tenant_in_its_own_namespace(
    pg_schema: PgSchema, backends: dict[str, InMemoryBackend]
) -> None:
    worker = Worker(
        _engine_for(pg_schema.options_dsn, backends),
        lambda: PostgresStore.namespaces_with_work(pg_schema.options_dsn),
        batch=5,
        threads=2,
        idle_seconds=0.1,
    )
    worker.run(until_idle=True, handle_signals=False)
    for tenant in TENANTS:
        stored = backends[tenant].stored_relations()
        assert len(stored) == PER_TENANT
        assert {r.data.id.split("-")[0] for r in stored} == {tenant}
    assert {t.tenant: t.processed for t in worker.health().tenants} == dict.fromkeys(
        TENANTS, PER_TENANT
    )


@pytest.mark.usefixtures("queued")
def test_the_worker_backs_off_and_reconnects_when_the_database_goes_away(
    pg_schema: PgSchema, backends: dict[str, InMemoryBackend]
) -> None:
    worker = Worker(
        _engine_for(pg_schema.options_dsn, backends),
        list(TENANTS),
        batch=3,
        idle_seconds=0.1,
        backoff=(0.05, 0.5),
        # The entry in hand when its connection dies stays leased until the lease runs out;
        # a short lease brings it back within the test.
        lease_seconds=2.0,
    )
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False})
    thread.start()
    killed = 0
    try:
        with psycopg.connect(pg_schema.dsn, autocommit=True) as admin:
            for _ in range(3):
                while worker.health().processed < 10 * (killed + 1):
                    time.sleep(0.01)
                # Every session of the test's schema: the worker's pooled connections.
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s AND pid <> pg_backend_pid()",
                    (pg_schema.name,),
                ).fetchall()
                killed += 1
                assert rows, "no connection of the worker was found to kill"
        deadline = time.monotonic() + 60
        while sum(len(b.stored_relations()) for b in backends.values()) < 3 * PER_TENANT:
            assert time.monotonic() < deadline, worker.health()
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(timeout=30)
    for tenant in TENANTS:
        assert len(backends[tenant].stored_relations()) == PER_TENANT  # none twice, none lost
        with PostgresStore(pg_schema.options_dsn, namespace=tenant) as store:
            assert store.outbox_depth() == 0
    assert worker.health().state == "stopped"
