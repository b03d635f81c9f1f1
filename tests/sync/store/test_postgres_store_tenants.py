"""Tenants: one database, many namespaces, and no store ever sees or touches another's rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from finlink import SyncError
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.sync import SyncEngine
from tests.postgres import PgSchema
from tests.sync.engine_helpers import crm_relation

ADM = "exact:1"
REL = "relation"
TABLES = (
    "finlink_links",
    "finlink_intents",
    "finlink_cursors",
    "finlink_outbox",
    "finlink_errors",
    "finlink_reviews",
    "finlink_runs",
)


def _rows_of(schema: PgSchema, namespace: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a tenant has, table by table, in a stable order."""
    import psycopg

    found: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(schema.options_dsn, autocommit=True) as conn:
        for table in TABLES:
            rows = conn.execute(
                f"SELECT * FROM {table} WHERE namespace = %s".encode(),
                (namespace,),
            ).fetchall()
            found[table] = sorted(rows, key=repr)
    return found


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def tenants(pg_schema: PgSchema, clock: SimulatedClock) -> Iterator[tuple[Any, Any]]:
    from finlink.sync.store import PostgresStore

    with PostgresStore(pg_schema.options_dsn, namespace="tenant-a", clock=clock) as a:
        b = a.for_namespace("tenant-b")
        try:
            yield a, b
        finally:
            b.close()


def test_one_tenants_store_never_reads_or_changes_anothers_rows(
    pg_schema: PgSchema, tenants: tuple[Any, Any], clock: SimulatedClock
) -> None:
    a, b = tenants
    a.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"fingerprint": "f1"})
    a.begin_intent(ADM, REL, "C-2", reference="ref-2", operation="create", payload_hash="h")
    a.record_failure(ADM, REL, "C-3", kind="refused", message="bad iban", retriable=False)
    a.set_cursor(ADM, "open_items", "42")
    held = a.enqueue(REL, "C-4", {"v": 1}, [ADM])
    [claimed] = a.claim(10, "worker-a", lease_seconds=60)
    waiting = a.enqueue(REL, "C-5", {"v": 1})
    review = a.add_review(ADM, REL, "C-6", reason="two matches", candidates=[], payload={})
    a.record_run(ADM, "push", started_at=clock.now(), finished_at=clock.now(), ok=True, counts={})
    before = _rows_of(pg_schema, "tenant-a")
    assert all(before[table] for table in TABLES)  # the tenant has a row in every table

    # Reads: tenant B sees none of it.
    assert b.get_link(ADM, REL, "C-1") is None
    assert b.get_link_by_remote(ADM, REL, "R-1") is None
    assert list(b.links(ADM, REL)) == []
    assert list(b.link_fingerprints(ADM, REL)) == []
    assert b.get_intent(ADM, REL, "C-2") is None
    assert b.pending_intents() == []
    assert b.get_error(ADM, REL, "C-3") is None
    assert b.errors() == []
    assert b.get_cursor(ADM, "open_items") is None
    assert b.get_outbox_entry(held.entry_id) is None
    assert b.get_outbox_entry(waiting.entry_id) is None
    assert b.outbox_depth() == 0
    assert b.outbox_depth(ADM) == 0
    assert b.get_review(review.review_id) is None
    assert b.reviews(open_only=False) == []
    assert b.last_run(ADM, ok=None) is None
    status = b.status(ADM)
    assert (status.outbox_depth, status.failed, status.review_open, status.pending_intents) == (
        0,
        0,
        0,
        0,
    )

    # Writes by entry or review id, or by the same keys: nothing of tenant A's moves.
    clock.advance(120)  # A's lease has run out: only A's own workers may take it over
    assert b.claim(10, "worker-b", lease_seconds=60) == []
    assert b.ack(claimed.entry_id, "worker-a") is False
    assert b.release(claimed.entry_id, "worker-a", error="x") is False
    assert b.extend_lease(claimed.entry_id, "worker-a", lease_seconds=60) is False
    with pytest.raises(SyncError, match="no review item"):
        b.resolve_review(review.review_id, "dismiss")
    assert b.delete_link(ADM, REL, "C-1") is False
    assert b.clear_intent(ADM, REL, "C-2") is False
    assert b.clear_error(ADM, REL, "C-3") is False
    b.set_cursor(ADM, "open_items", None)
    # The same keys and remote ids are the other tenant's own business.
    b.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"fingerprint": "other"})
    b.begin_intent(ADM, REL, "C-2", reference="ref-2", operation="update", payload_hash="x")
    b.record_failure(ADM, REL, "C-3", kind="k", message="m", retriable=True)
    b.set_cursor(ADM, "open_items", "7")
    mine = b.enqueue(REL, "C-4", {"v": 2})
    assert mine.entry_id != held.entry_id
    assert mine.revision == 1
    b.enqueue(REL, "C-5", {"v": 2}, ["other"])
    b.add_review(ADM, REL, "C-6", reason="mine", candidates=[], payload={})
    b.record_run(ADM, "push", started_at=clock.now(), finished_at=clock.now(), ok=False, counts={})
    assert [e.crm_key for e in b.claim(10, "worker-b", lease_seconds=60)] == ["C-4", "C-5"]

    assert _rows_of(pg_schema, "tenant-a") == before
    assert a.get_link(ADM, REL, "C-1").snapshot == {"fingerprint": "f1"}
    assert b.get_link(ADM, REL, "C-1").snapshot == {"fingerprint": "other"}
    # A's expired entry is still A's to hand out.
    assert [e.entry_id for e in a.claim(10, "worker-a2", lease_seconds=60)] == [
        held.entry_id,
        waiting.entry_id,
    ]


def test_namespaces_with_work_lists_the_tenants_with_claimable_entries(
    pg_schema: PgSchema, tenants: tuple[Any, Any], clock: SimulatedClock
) -> None:
    from finlink.sync.store import PostgresStore

    a, b = tenants
    c = a.for_namespace("tenant-c")
    assert PostgresStore.namespaces_with_work(a.pool, now=clock.now()) == []
    a.enqueue(REL, "C-1", {})
    entry = c.enqueue(REL, "C-1", {})
    b.enqueue(REL, "C-1", {})
    b.claim(1, "w", lease_seconds=60)  # b's only entry is held
    assert PostgresStore.namespaces_with_work(a.pool, now=clock.now()) == ["tenant-a", "tenant-c"]
    c.claim(1, "w", lease_seconds=600)
    c.release(entry.entry_id, "w", retry_at=clock.now() + timedelta(minutes=5))  # backing off
    assert PostgresStore.namespaces_with_work(pg_schema.options_dsn, now=clock.now()) == [
        "tenant-a"
    ]
    clock.advance(minutes=5)
    assert PostgresStore.namespaces_with_work(a.pool, now=clock.now()) == [
        "tenant-a",
        "tenant-b",
        "tenant-c",
    ]
    c.close()


def test_one_tenants_engine_never_reads_or_changes_anothers_rows(
    pg_schema: PgSchema, tenants: tuple[Any, Any], clock: SimulatedClock
) -> None:
    a, b = tenants
    backend_a = InMemoryBackend(administration=ADM, clock=clock)
    backend_b = InMemoryBackend(administration=ADM, clock=clock)
    engine_a = SyncEngine(store=a, backends=[backend_a], clock=clock, worker_id="wa")
    engine_b = SyncEngine(store=b, backends=[backend_b], clock=clock, worker_id="wb")
    assert engine_a.sync_relations([crm_relation(i) for i in range(3)]).ok
    engine_a.notify(crm_relation(3))
    engine_a.notify(crm_relation(4))
    before = _rows_of(pg_schema, "tenant-a")

    # Tenant B's worker finds no work of A's, and its own sync of the same CRM keys makes
    # its own links in its own accounting system.
    assert engine_b.process_outbox().outcomes == []
    assert engine_b.status()[ADM].outbox_depth == 0
    assert engine_b.sync_relations([crm_relation(i) for i in range(2)]).ok
    assert len(backend_b.stored_relations()) == 2
    assert _rows_of(pg_schema, "tenant-a") == before
    assert [link.crm_key for link in b.links(ADM, REL)] == ["crm-0", "crm-1"]

    # A's own worker still has A's two changes waiting.
    assert engine_a.process_outbox().ok
    assert len(backend_a.stored_relations()) == 5
    assert len(backend_b.stored_relations()) == 2
