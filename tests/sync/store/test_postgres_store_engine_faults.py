"""The sync engine on PostgreSQL when the database goes away in the middle of a run."""

from __future__ import annotations

from typing import Any

import pytest

from finlink._errors import StoreUnavailableError
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.model.relation import Relation
from finlink.sync import SyncEngine
from tests.postgres import PgSchema
from tests.sync.engine_helpers import crm_relation

ADM = "exact:1"


def _kill_sessions(schema: PgSchema) -> None:
    import psycopg

    with psycopg.connect(schema.dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND application_name = %s",
            (schema.name,),
        )


class _LosesTheDatabase(InMemoryBackend):
    """Kills the store's connections right after its ``at``-th relation is created: the vendor
    has the record, and the store learns of it on a connection that is gone."""

    def __init__(self, schema: PgSchema, at: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._schema = schema
        self._at = at
        self._created = 0

    def create_relation(self, relation: Relation, *, reference: str) -> Any:
        made = super().create_relation(relation, reference=reference)
        self._created += 1
        if self._created == self._at:
            _kill_sessions(self._schema)
        return made


def test_a_database_lost_mid_run_stops_the_run_retriably_and_the_next_run_converges(
    pg_schema: PgSchema,
) -> None:
    from finlink.sync.store import PostgresStore

    clock = SimulatedClock()
    backend = _LosesTheDatabase(pg_schema, at=3, administration=ADM, clock=clock)
    crm = [crm_relation(i) for i in range(6)]
    with PostgresStore(pg_schema.options_dsn, clock=clock, max_size=1) as store:
        engine = SyncEngine(store=store, backends=[backend], clock=clock)
        # The store went away after the vendor made the third relation: the run stops with
        # a retriable error rather than writing to the vendor what it cannot record.
        with pytest.raises(StoreUnavailableError) as lost:
            engine.sync_relations(crm)
        assert lost.value.retriable
        assert len(backend.stored_relations()) == 3  # nothing more was sent
        # Every link the store holds points at a record the vendor has: nothing half-written;
        # the ones it could not record are still reserved by their intents.
        remote = {r.remote_id for r in backend.stored_relations()}
        assert {link.remote_id for link in store.links(ADM, "relation")} <= remote
        linked = {link.crm_key for link in store.links(ADM, "relation")}
        pending = {intent.crm_key for intent in store.pending_intents(ADM)}
        assert {r.id for r in crm[:3]} <= linked | pending

        second = engine.sync_relations(crm)
        assert second.ok, [o.error for o in second.outcomes if o.error]
        links = list(store.links(ADM, "relation"))
        assert sorted(link.crm_key for link in links) == sorted(r.id for r in crm)
        assert len(backend.stored_relations()) == len(crm)  # no duplicate at the vendor
        assert store.pending_intents() == []


class _FailsOnce(InMemoryBackend):
    """Raises the store's own error from one create, after the vendor made the record."""

    def __init__(self, at: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._at = at
        self._created = 0

    def create_relation(self, relation: Relation, *, reference: str) -> Any:
        made = super().create_relation(relation, reference=reference)
        self._created += 1
        if self._created == self._at:
            raise StoreUnavailableError("the state store's database is unavailable: test")
        return made


def test_a_store_error_inside_a_record_keeps_its_intent_so_it_is_never_created_twice(
    pg_schema: PgSchema,
) -> None:
    from finlink.sync.store import PostgresStore

    clock = SimulatedClock()
    backend = _FailsOnce(2, administration=ADM, clock=clock)
    crm = [crm_relation(i) for i in range(4)]
    with PostgresStore(pg_schema.options_dsn, clock=clock) as store:
        engine = SyncEngine(store=store, backends=[backend], clock=clock)
        with pytest.raises(StoreUnavailableError):
            engine.sync_relations(crm)
        # The vendor holds the second relation; its intent survived the error.
        assert crm[1].id in {intent.crm_key for intent in store.pending_intents(ADM)}
        engine.sync_relations(crm)
        assert len(backend.stored_relations()) == len(crm)
        assert store.pending_intents() == []
