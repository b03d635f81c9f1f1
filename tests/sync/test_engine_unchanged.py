"""The unchanged path of a large batch: fingerprints read a chunk at a time, memory bounded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import attrs
import pytest

from finlink import RelationRole
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.model.relation import Relation
from finlink.sync import SQLiteStore, SyncEngine
from finlink.sync._intents import INTENT_BATCH
from finlink.sync._unchanged import PRELOAD_THRESHOLD
from finlink.sync.store import StateStore
from tests.sync.engine_helpers import SNELSTART_LIKE, crm_relation

BOTH = frozenset({RelationRole.CUSTOMER, RelationRole.SUPPLIER})


class CountingStore(SQLiteStore):
    """Notes the fingerprint reads the engine makes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chunk_reads: list[tuple[str, str, int]] = []
        self.whole_reads = 0

    def link_fingerprints_for(
        self, administration: str, entity: str, crm_keys: Iterable[str]
    ) -> list[tuple[str, str, str | None, str | None]]:
        keys = list(crm_keys)
        self.chunk_reads.append((administration, entity, len(keys)))
        return super().link_fingerprints_for(administration, entity, keys)

    def link_fingerprints(
        self, administration: str, entity: str
    ) -> Iterator[tuple[str, str, str | None, str | None]]:
        self.whole_reads += 1
        return super().link_fingerprints(administration, entity)


class VendorStore:
    """A store written before ``link_fingerprints_for`` existed: everything else delegated."""

    def __init__(self, inner: SQLiteStore) -> None:
        self.inner = inner
        self.whole_reads = 0

    def link_fingerprints(
        self, administration: str, entity: str
    ) -> Iterator[tuple[str, str, str | None, str | None]]:
        self.whole_reads += 1
        return self.inner.link_fingerprints(administration, entity)

    def __getattr__(self, name: str) -> Any:
        if name == "link_fingerprints_for":
            raise AttributeError(name)
        return getattr(self.inner, name)


def _relations(count: int) -> list[Relation]:
    # Every third relation is customer and supplier: SnelStart-like splits it in two halves.
    return [crm_relation(i, roles=BOTH) if i % 3 == 0 else crm_relation(i) for i in range(count)]


def _engine(
    store: Any, clock: SimulatedClock
) -> tuple[SyncEngine, InMemoryBackend, InMemoryBackend]:
    exact = InMemoryBackend(administration="exact:1", clock=clock)
    snel = InMemoryBackend(administration="snelstart:2", clock=clock, capabilities=SNELSTART_LIKE)
    engine = SyncEngine(store=store, backends=[exact, snel], clock=clock)
    return engine, exact, snel


def _settle(engine: SyncEngine, relations: list[Relation]) -> None:
    # The second run reads back finlink's own contact writes and compares in full; from the
    # third on, the fingerprint alone says "unchanged".
    assert engine.sync_relations(relations).ok
    assert engine.sync_relations(relations).ok


def test_a_large_unchanged_batch_reads_fingerprints_a_chunk_at_a_time() -> None:
    clock = SimulatedClock()
    store = CountingStore(":memory:", clock=clock)
    engine, exact, snel = _engine(store, clock)
    relations = _relations(2 * INTENT_BATCH + 7)
    _settle(engine, relations)
    store.chunk_reads.clear()
    exact.calls.clear()
    snel.calls.clear()
    report = engine.sync_relations(iter(relations))
    assert report.outcomes == []
    halves = sum(1 for r in relations if r.roles == BOTH)
    assert report.unchanged == {
        ("exact:1", "relation"): len(relations),
        ("snelstart:2", "relation"): len(relations),
        ("snelstart:2", "relation.supplier"): halves,
    }
    assert dict(exact.calls) == {"read_relations": 1}
    assert dict(snel.calls) == {"read_relations": 1}
    # Never every link of an administration at once; a read per chunk and link kind, each
    # for at most one chunk's keys (supplier halves only where a relation is split).
    assert store.whole_reads == 0
    assert all(count <= INTENT_BATCH for _, _, count in store.chunk_reads)
    asked = {(adm, entity): 0 for adm, entity, _ in store.chunk_reads}
    for adm, entity, count in store.chunk_reads:
        asked[(adm, entity)] += count
    assert asked == {
        ("exact:1", "relation"): len(relations),
        ("snelstart:2", "relation"): len(relations),
        ("snelstart:2", "relation.supplier"): halves,
    }
    store.close()


def test_a_change_in_a_large_batch_is_found_and_written() -> None:
    clock = SimulatedClock()
    store = CountingStore(":memory:", clock=clock)
    engine, exact, _ = _engine(store, clock)
    relations = _relations(INTENT_BATCH + 50)
    _settle(engine, relations)
    changed = list(relations)
    changed[INTENT_BATCH + 3] = attrs.evolve(relations[INTENT_BATCH + 3], email="nieuw@x.nl")
    exact.calls.clear()
    report = engine.sync_relations(changed)
    assert report.ok
    assert report.unchanged[("exact:1", "relation")] == len(relations) - 1
    assert exact.calls["update_relation"] == 1
    (record,) = [r for r in exact.stored_relations() if r.crm_key == relations[INTENT_BATCH + 3].id]
    assert record.data.email == "nieuw@x.nl"
    store.close()


@pytest.mark.parametrize("vendor", [False, True], ids=["chunk reads", "whole reads"])
def test_a_record_twice_in_a_batch_is_compared_with_its_latest_outcome(vendor: bool) -> None:
    """The second copy of a key, a chunk later, sees the outcome the first copy wrote."""
    clock = SimulatedClock()
    inner = CountingStore(":memory:", clock=clock)
    store = VendorStore(inner) if vendor else inner
    engine, exact, _ = _engine(store, clock)
    # Large enough that a store without chunk reads would read every fingerprint up front.
    relations = _relations(PRELOAD_THRESHOLD + 10)
    _settle(engine, relations)
    first = attrs.evolve(relations[0], email="eerst@x.nl")
    batch = [first, *relations[1:], relations[0]]  # back to the old value a chunk later
    exact.calls.clear()
    report = engine.sync_relations(batch)
    assert report.ok
    assert exact.calls["update_relation"] == 2  # changed, then changed back: both written
    (record,) = [r for r in exact.stored_relations() if r.crm_key == relations[0].id]
    assert record.data.email == relations[0].email
    inner.close()


def test_a_store_without_chunk_reads_still_skips_the_unchanged() -> None:
    clock = SimulatedClock()
    inner = SQLiteStore(":memory:", clock=clock)
    store = VendorStore(inner)
    assert not hasattr(store, "link_fingerprints_for")
    engine, exact, snel = _engine(store, clock)
    relations = _relations(INTENT_BATCH + 80)
    _settle(engine, relations)
    exact.calls.clear()
    snel.calls.clear()
    report = engine.sync_relations(relations)
    assert report.outcomes == []
    assert report.unchanged[("exact:1", "relation")] == len(relations)
    assert dict(exact.calls) == {"read_relations": 1}
    assert dict(snel.calls) == {"read_relations": 1}
    assert store.whole_reads > 0  # the earlier way: every fingerprint at once
    plan = engine.plan(relations=relations)
    assert plan.operations == ()
    assert plan.unchanged[("snelstart:2", "relation")] == len(relations)
    inner.close()


def test_both_stores_in_the_repository_read_chunks() -> None:
    from finlink.sync.store import PostgresStore

    for cls in (SQLiteStore, PostgresStore):
        assert callable(getattr(cls, "link_fingerprints_for", None))
    store: StateStore = SQLiteStore(":memory:")
    assert isinstance(store, StateStore)
    store.close()
