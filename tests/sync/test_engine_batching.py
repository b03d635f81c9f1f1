"""Fewer commits, the same guarantees: intents per chunk, outcomes deferred to the next commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import attrs
import pytest

from finlink.backends.memory import InMemoryBackend
from finlink.backends.records import RemoteRecord
from finlink.clock import SimulatedClock
from finlink.model.relation import Relation
from finlink.sync import SQLiteStore, SyncEngine
from finlink.sync._intents import INTENT_BATCH
from finlink.sync.store import StateStore
from tests.sync.engine_helpers import crm_relation

ADM = "exact:1"


class WatchingBackend(InMemoryBackend):
    """Notes, at every create, which intents another connection sees committed."""

    def __init__(self, db: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.committed_at_create: list[set[str]] = []

    def create_relation(self, relation: Relation, *, reference: str) -> RemoteRecord[Relation]:
        with SQLiteStore(self.db) as other:
            keys = {i.crm_key for i in other.pending_intents(ADM)}
            linked = {link.crm_key for link in other.links(ADM, "relation")}
        self.committed_at_create.append(keys | linked)
        return super().create_relation(relation, reference=reference)


def _engine(tmp_path: Path) -> tuple[SyncEngine, WatchingBackend, SQLiteStore]:
    clock = SimulatedClock()
    db = tmp_path / "state.db"
    backend = WatchingBackend(db, administration=ADM, clock=clock)
    store = SQLiteStore(db, clock=clock)
    return SyncEngine(store=store, backends=[backend], clock=clock), backend, store


def test_every_create_has_its_intent_committed_before_it_goes_out(tmp_path: Path) -> None:
    engine, backend, store = _engine(tmp_path)
    relations = [crm_relation(i) for i in range(INTENT_BATCH + 5)]
    report = engine.sync_relations(relations)
    assert report.ok
    assert len(backend.committed_at_create) == len(relations)
    for relation, committed in zip(relations, backend.committed_at_create, strict=True):
        assert relation.id in committed  # its intent (or, never, its link) was on disk
    # The whole first chunk's intents were durable before its first create.
    first_chunk = {r.id for r in relations[:INTENT_BATCH]}
    assert first_chunk <= backend.committed_at_create[0]
    # ... and contacts' intents with them: nothing is left pending at the end.
    assert store.pending_intents() == []
    assert len(list(store.links(ADM, "contact"))) == 2 * len(relations)
    store.close()


def test_outcomes_are_committed_once_the_run_ends(tmp_path: Path) -> None:
    engine, _, store = _engine(tmp_path)
    engine.sync_relations([crm_relation(i) for i in range(3)])
    store.close()
    with SQLiteStore(tmp_path / "state.db") as reopened:
        links = list(reopened.links(ADM, "relation"))
        assert [link.crm_key for link in links] == ["crm-0", "crm-1", "crm-2"]
        assert all((link.snapshot or {}).get("fingerprint") for link in links)
        assert reopened.pending_intents() == []


def test_a_read_sees_a_deferred_outcome_of_the_same_record() -> None:
    store = SQLiteStore(":memory:")
    engine = SyncEngine(store=store, backends=[InMemoryBackend(administration=ADM)])
    run = engine._run()
    run.defer_outcome(ADM, "relation", "crm-1", remote_id="R1", snapshot={"a": 1})
    assert store.get_link(ADM, "relation", "crm-1") is None  # not committed yet
    link = run.get_link(ADM, "relation", "crm-1")
    assert link is not None
    assert link.remote_id == "R1"
    assert run.deferred == []


def test_a_later_outcome_of_a_record_supersedes_the_deferred_one() -> None:
    store = SQLiteStore(":memory:")
    engine = SyncEngine(store=store, backends=[InMemoryBackend(administration=ADM)])
    run = engine._run()
    run.defer_outcome(ADM, "relation", "crm-1", remote_id="R1", snapshot={"v": 1})
    run.defer_outcome(ADM, "contact", "crm-1/c1", remote_id="C1", snapshot={"crm": {}})
    run.defer_outcome(ADM, "relation", "crm-1", remote_id="R1", snapshot={"v": 2})
    run.flush()
    link = store.get_link(ADM, "relation", "crm-1")
    assert link is not None
    assert link.snapshot == {"v": 2}
    assert store.get_link(ADM, "contact", "crm-1/c1") is not None


def test_a_refused_deferred_outcome_stops_the_ones_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = SQLiteStore(":memory:")
    engine = SyncEngine(store=store, backends=[InMemoryBackend(administration=ADM)])
    store.record_outcome(ADM, "relation", "crm-1", remote_id="R1", snapshot=None)
    for key in ("crm-2", "crm-3", "crm-4"):
        store.begin_intent(ADM, "relation", key, reference=key, operation="create", payload_hash="")
    run = engine._run()
    run.defer_outcome(ADM, "relation", "crm-2", remote_id="R2", snapshot=None)
    run.defer_outcome(ADM, "relation", "crm-3", remote_id="R1", snapshot=None)  # crm-1's
    run.defer_outcome(ADM, "relation", "crm-4", remote_id="R4", snapshot=None)
    run.flush()
    assert store.get_link(ADM, "relation", "crm-2") is not None
    assert store.get_link(ADM, "relation", "crm-3") is None
    assert store.get_link(ADM, "relation", "crm-4") is None  # never out of order
    # The two not recorded keep their intents: the next run probes for them.
    assert [i.crm_key for i in store.pending_intents(ADM)] == ["crm-3", "crm-4"]
    assert "1 later one(s)" in caplog.text


def test_an_intent_reserved_for_a_record_that_links_instead_is_cleared(tmp_path: Path) -> None:
    engine, backend, store = _engine(tmp_path)
    existing = crm_relation(1)
    InMemoryBackend.create_relation(backend, existing, reference="someone-else")
    relations = [crm_relation(i) for i in range(INTENT_BATCH)]
    report = engine.sync_relations(relations)
    assert report.counts("relation")[ADM].get("linked") == 1
    assert store.pending_intents() == []
    store.close()


class CountingPerRecordStore:
    """A vendor's own store: the per-record methods only (no batches), calls counted."""

    def __init__(self, inner: SQLiteStore) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        if name in ("begin_intents", "record_outcomes", "get_links", "latest_review"):
            raise AttributeError(name)
        self.calls[name] = self.calls.get(name, 0) + 1
        return getattr(self.inner, name)


def test_a_store_without_batch_methods_gets_one_call_per_record(tmp_path: Path) -> None:
    clock = SimulatedClock()
    db = tmp_path / "state.db"
    backend = WatchingBackend(db, administration=ADM, clock=clock)
    store = CountingPerRecordStore(SQLiteStore(db, clock=clock))
    engine = SyncEngine(store=cast("StateStore", store), backends=[backend], clock=clock)
    relations = [crm_relation(i) for i in range(INTENT_BATCH + 5)]
    report = engine.sync_relations(relations)
    assert report.ok
    for relation, committed in zip(relations, backend.committed_at_create, strict=True):
        assert relation.id in committed  # intents durable before the creates, as with batches
    # Each relation and each of its two contacts: one intent, one outcome.
    assert store.calls["begin_intent"] == 3 * len(relations)
    assert store.calls["record_outcome"] == 3 * len(relations)
    assert len(list(store.inner.links(ADM, "relation"))) == len(relations)
    assert len(list(store.inner.links(ADM, "contact"))) == 2 * len(relations)
    assert store.inner.pending_intents() == []
    store.inner.close()


def test_the_engine_writes_a_chunk_in_a_few_batch_calls(tmp_path: Path) -> None:
    clock = SimulatedClock()
    inner = SQLiteStore(tmp_path / "state.db", clock=clock)
    calls: dict[str, int] = {}

    class Counting(CountingPerRecordStore):
        def begin_intents(self, requests: Any) -> Any:
            calls["begin_intents"] = calls.get("begin_intents", 0) + 1
            return self.inner.begin_intents(requests)

        def record_outcomes(self, outcomes: Any) -> None:
            calls["record_outcomes"] = calls.get("record_outcomes", 0) + 1
            self.inner.record_outcomes(outcomes)

        def get_links(self, administration: str, entity: str, crm_keys: Any) -> Any:
            calls[f"get_links {entity}"] = calls.get(f"get_links {entity}", 0) + 1
            return self.inner.get_links(administration, entity, crm_keys)

    store = Counting(inner)
    backend = InMemoryBackend(administration=ADM, clock=clock)
    engine = SyncEngine(store=cast("StateStore", store), backends=[backend], clock=clock)
    relations = [crm_relation(i) for i in range(2 * INTENT_BATCH)]
    assert engine.sync_relations(relations).ok
    # One batch of intents per chunk, the outcomes of each chunk in one batch (with the next
    # chunk's intents, and at the end): no per-record calls.
    # The links of a chunk's contacts are read once per chunk, too; each relation's own
    # link is read as its turn comes (which notices at once a store that went away).
    assert calls == {"begin_intents": 2, "record_outcomes": 2, "get_links contact": 2}
    assert store.calls.get("begin_intent", 0) == 0
    assert store.calls.get("record_outcome", 0) == 0
    assert store.calls.get("get_link", 0) == len(relations)
    assert len(list(inner.links(ADM, "contact"))) == 2 * len(relations)
    inner.close()


def test_a_changed_linked_relation_reads_its_contacts_links_with_its_chunk(
    tmp_path: Path,
) -> None:
    clock = SimulatedClock()
    inner = SQLiteStore(tmp_path / "state.db", clock=clock)
    batched: list[tuple[str, int]] = []

    class Counting(CountingPerRecordStore):
        def get_links(self, administration: str, entity: str, crm_keys: Any) -> Any:
            batched.append((entity, len(crm_keys)))
            return self.inner.get_links(administration, entity, crm_keys)

    store = Counting(inner)
    backend = InMemoryBackend(administration=ADM, clock=clock)
    engine = SyncEngine(store=cast("StateStore", store), backends=[backend], clock=clock)
    relations = [crm_relation(i) for i in range(INTENT_BATCH + 10)]
    assert engine.sync_relations(relations).ok
    store.calls.clear()
    batched.clear()
    # Every relation changed in the CRM; one of each's two contacts too.
    changed = [
        attrs.evolve(
            r,
            phone="030 123 4567",
            contacts=(attrs.evolve(r.contacts[0], job_title="Directeur"), r.contacts[1]),
        )
        for r in relations
    ]
    report = engine.sync_relations(changed)
    assert report.ok
    # The contacts' links came with their chunk (one query each), not one read per contact;
    # each relation's own link is still read as its turn comes.
    assert batched == [("contact", 2 * INTENT_BATCH), ("contact", 2 * 10)]
    assert store.calls.get("get_link", 0) == len(relations)
    contacts = report.counts("contact")[ADM]
    assert contacts == {"updated": len(relations), "unchanged": len(relations)}
    titles = {
        c.data.job_title
        for r in backend.stored_relations()
        for c in backend.list_contacts(r.remote_id)
    }
    assert titles == {"Directeur", None}
    inner.close()


@pytest.mark.parametrize("gap", [1, INTENT_BATCH + 1])
def test_a_relation_given_twice_is_created_once(tmp_path: Path, gap: int) -> None:
    # The second time, its link (written by this run) must be seen, whether the first was in
    # the same chunk (a deferred outcome) or an earlier one (links read ahead are replaced).
    engine, backend, store = _engine(tmp_path)
    relations = [crm_relation(i) for i in range(gap + 3)]
    twice = [*relations[:gap], relations[0], *relations[gap:]]
    report = engine.sync_relations(twice)
    assert report.ok
    assert len(backend.stored_relations()) == len(relations)
    assert len(list(store.links(ADM, "contact"))) == 2 * len(relations)
    assert store.pending_intents() == []
    store.close()
