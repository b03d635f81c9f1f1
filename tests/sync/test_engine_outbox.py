"""The real-time outbox, resync and duplicate detection."""

from __future__ import annotations

from pathlib import Path

import attrs

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.sync import OutcomeStatus, SQLiteStore, SyncEngine
from tests.sync.engine_helpers import World, crm_relation


def test_notify_survives_a_crash_before_processing(tmp_path: Path) -> None:
    clock = SimulatedClock()
    backend = InMemoryBackend(administration="exact:1", clock=clock)
    path = tmp_path / "state.db"
    with SQLiteStore(path, clock=clock) as store:
        SyncEngine(store=store, backends=[backend], clock=clock).notify(crm_relation(0))
    # The process that called notify() is gone; a worker starts on the same file.
    with SQLiteStore(path, clock=clock) as store:
        worker = SyncEngine(store=store, backends=[backend], clock=clock, worker_id="worker-2")
        assert worker.status()["exact:1"].outbox_depth == 1
        report = worker.process_outbox()
        assert report.ok
        assert store.outbox_depth() == 0
    assert len(backend.stored_relations()) == 1


def test_rapid_edits_coalesce_into_one_write_of_the_last_version() -> None:
    world = World(single=True)
    relation = crm_relation(0)
    world.engine.notify(relation)
    world.engine.notify(attrs.evolve(relation, email="tweede@firma0.nl"))
    world.engine.notify(attrs.evolve(relation, email="derde@firma0.nl"))
    assert world.store.outbox_depth() == 1
    world.engine.process_outbox()
    assert world.exact.calls["create_relation"] == 1
    assert world.exact.calls["update_relation"] == 0
    (stored,) = world.exact.stored_relations()
    assert stored.data.email == "derde@firma0.nl"


def test_outbox_of_an_unchanged_record_costs_no_write() -> None:
    world = World(single=True)
    relation = crm_relation(0)
    world.engine.sync_relations([relation])
    world.reset_calls()
    world.engine.notify(relation)
    report = world.engine.process_outbox()
    assert world.writes(world.exact) == 0
    assert {o.status for o in report.outcomes} == {OutcomeStatus.SKIPPED}
    assert world.store.outbox_depth() == 0


def test_bookings_and_projects_go_through_the_outbox_too() -> None:
    from datetime import date
    from decimal import Decimal

    from finlink import Booking, BookingKind, BookingLine, Project, VatCategory
    from finlink.sync import CrmLookup

    relation = crm_relation(0)
    world = World(lookup=CrmLookup(relations={relation.id: relation}))
    world.engine.notify(Project(id="p", number="1", description="Project"))
    world.engine.notify(
        Booking(
            id="b",
            kind=BookingKind.SALES_INVOICE,
            relation_id="crm-0",
            invoice_number="F-1",
            invoice_date=date(2026, 3, 1),
            lines=(
                BookingLine(
                    ledger_account="8000", amount=Decimal(10), vat_category=VatCategory.HIGH
                ),
            ),
            administration="snelstart:2",
        )
    )
    assert world.engine.process_outbox().ok
    assert world.exact.find_project("1") is not None
    assert world.snel.find_project("1") is not None
    assert len(world.snel.stored_bookings()) == 1
    assert world.exact.stored_bookings() == []


def test_a_malformed_outbox_payload_is_reported_and_dropped() -> None:
    world = World(single=True)
    world.store.enqueue("relation", "crm-x", {"id": "crm-x", "name": 5, "roles": []})
    report = world.engine.process_outbox()
    (outcome,) = report.outcomes
    assert outcome.status is OutcomeStatus.INVALID
    assert "name" in [p.path for p in outcome.operation.problems]
    assert world.store.outbox_depth() == 0


def test_resync_relinks_and_repairs_drift_without_duplicates() -> None:
    world = World(single=True)
    relations = [crm_relation(i) for i in range(3)]
    world.engine.sync_relations(relations)
    lost = world.store.get_link("exact:1", "relation", "crm-1")
    assert lost is not None
    # The state store lost a link (restored from an old backup), and the accountant changed a
    # relation while the cursor was not looking.
    world.store.delete_link("exact:1", "relation", "crm-1")
    world.store.set_cursor("exact:1", "relation", None)
    drifted = world.store.get_link("exact:1", "relation", "crm-2")
    assert drifted is not None
    world.exact.edit_relation(drifted.remote_id, email="fout@firma2.nl")
    world.reset_calls()
    report = world.engine.resync("exact:1", relations)
    assert world.exact.calls["create_relation"] == 0
    relinked = world.store.get_link("exact:1", "relation", "crm-1")
    assert relinked is not None
    assert relinked.remote_id == lost.remote_id
    # Neither side changed since the last snapshot as far as the CRM knows: the accountant's
    # e-mail is offered to the host, not overwritten.
    assert [c.fields for c in report.inbound] == [{"email": "fout@firma2.nl"}]
    assert len(world.exact.stored_relations()) == 3


def test_resync_drops_links_to_deleted_records() -> None:
    world = World(single=True)
    relations = [crm_relation(0)]
    world.engine.sync_relations(relations)
    (remote,) = world.exact.stored_relations()
    world.exact.delete_relation(remote.remote_id)
    world.engine.resync("exact:1", relations)
    assert len(world.exact.stored_relations()) == 1
    link = world.store.get_link("exact:1", "relation", "crm-0")
    assert link is not None
    assert link.remote_id != remote.remote_id


def test_deletion_by_the_accountant_goes_to_review() -> None:
    world = World(single=True)
    relations = [crm_relation(0)]
    world.engine.sync_relations(relations)
    (remote,) = world.exact.stored_relations()
    world.exact.delete_relation(remote.remote_id)
    report = world.engine.sync_relations(relations)
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.status is OutcomeStatus.REVIEW
    assert world.exact.calls["create_relation"] == 1  # not re-created behind the accountant's back
    (review,) = world.store.reviews()
    assert "deleted in the administration" in review.reason
    report = world.engine.sync_relations(relations)  # still waiting, at no cost
    assert world.exact.calls["create_relation"] == 1
    world.engine.resolve_review(review.review_id, create=True)
    world.engine.sync_relations(relations)
    assert world.exact.calls["create_relation"] == 2
    assert len(world.exact.stored_relations()) == 1


def test_find_duplicates_in_the_crm_data() -> None:
    world = World(single=True)
    a = crm_relation(0)
    groups = world.engine.find_duplicates([a, attrs.evolve(a, id="crm-0-b"), crm_relation(1)])
    assert [g.record_ids for g in groups] == [("crm-0", "crm-0-b")]
    assert groups[0].evidence
