"""Bookings: dependencies first, routing, refusals, attachments, read-back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from finlink import (
    Attachment,
    Booking,
    BookingKind,
    BookingLine,
    PaymentStatus,
    Project,
    RelationRole,
    VatCategory,
)
from finlink.backends import Capabilities
from finlink.sync import AdministrationSettings, CrmLookup, EngineHooks, OutcomeStatus
from tests.sync.engine_helpers import World, crm_relation

PDF = Attachment(file_name="F1.pdf", content=b"%PDF-1.4\n%%EOF\n")


def invoice(n: int = 1, **overrides: Any) -> Booking:
    fields: dict[str, Any] = {
        "id": f"inv-{n}",
        "kind": BookingKind.SALES_INVOICE,
        "relation_id": "crm-0",
        "invoice_number": f"F2026-{n:04d}",
        "invoice_date": date(2026, 3, 1),
        "payment_term_days": 30,
        "lines": (
            BookingLine(
                ledger_account="8000", amount=Decimal("100.00"), vat_category=VatCategory.HIGH
            ),
        ),
        "administration": "exact:1",
    }
    fields.update(overrides)
    return Booking(**fields)


def test_booking_creates_its_relation_first_from_the_lookup() -> None:
    relation = crm_relation(0)
    world = World(lookup=CrmLookup(relations={relation.id: relation}))
    report = world.engine.sync_bookings([invoice(attachment=PDF)])
    assert report.ok
    assert [o.operation.entity for o in report.outcomes if o.status is OutcomeStatus.DONE] == [
        "relation",
        "contact",
        "contact",
        "booking",
        "document",
    ]
    (stored,) = world.exact.stored_bookings()
    assert stored.crm_key == "F2026-0001"
    assert len(world.exact.stored_documents()) == 1
    assert world.snel.total_calls == 0  # the booking names exact:1 only


def test_booking_for_an_unknown_relation_fails_in_plain_words() -> None:
    world = World(single=True)
    report = world.engine.sync_bookings([invoice()])
    (outcome,) = report.outcomes
    assert outcome.status is OutcomeStatus.FAILED
    assert "relation 'crm-0' is not in" in (outcome.error or "")
    (error,) = world.store.errors("exact:1")
    assert error.rule == "relation_unknown"


def test_booking_is_never_sent_where_its_relation_was_refused() -> None:
    relation = crm_relation(0, name="X" * 60)
    world = World(
        lookup=CrmLookup(relations={relation.id: relation}),
        exact_capabilities=Capabilities(field_max_lengths={"relation.name": 50}),
    )
    world.engine.sync_relations([relation])
    report = world.engine.sync_bookings([invoice()])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "booking"]
    assert outcome.status is OutcomeStatus.FAILED
    assert "was refused by" in (outcome.error or "")
    assert world.exact.calls["create_booking"] == 0


def test_purchase_goes_to_the_supplier_half_where_relations_are_split() -> None:
    relation = crm_relation(0, roles=frozenset(RelationRole))
    world = World(lookup=CrmLookup(relations={relation.id: relation}))
    world.engine.sync_relations([relation])
    purchase = invoice(
        kind=BookingKind.PURCHASE_INVOICE,
        administration="snelstart:2",
        lines=(
            BookingLine(
                ledger_account="4000", amount=Decimal("50.00"), vat_category=VatCategory.HIGH
            ),
        ),
    )
    sale = invoice(2, administration="snelstart:2")
    report = world.engine.sync_bookings([purchase, sale])
    assert report.ok
    half = {r.remote_id: r.crm_key for r in world.snel.stored_relations()}
    booked = {
        b.data.kind: half[_relation_of(world, b.remote_id)] for b in world.snel.stored_bookings()
    }
    assert booked == {
        BookingKind.PURCHASE_INVOICE: "crm-0#supplier",
        BookingKind.SALES_INVOICE: "crm-0",
    }


def _relation_of(world: World, booking_remote_id: str) -> str:
    items = world.snel.read_open_items().records
    return next(i.data.remote_relation_id for i in items if i.remote_id == booking_remote_id)


def test_projects_are_created_before_the_booking_that_uses_them() -> None:
    relation = crm_relation(0, roles=frozenset({RelationRole.SUPPLIER}))
    project = Project(id="p-1", number="2026001", description="Verbouwing")
    world = World(
        single=True,
        lookup=CrmLookup(relations={relation.id: relation}, projects={project.id: project}),
    )
    purchase = invoice(
        kind=BookingKind.PURCHASE_INVOICE,
        lines=(
            BookingLine(
                ledger_account="4500",
                amount=Decimal("80.00"),
                vat_category=VatCategory.HIGH,
                project_id="p-1",
            ),
        ),
    )
    report = world.engine.sync_bookings([purchase])
    assert report.ok
    costs = world.engine.project_costs("p-1")
    assert [(c.project_id, c.amount, c.relation_id) for c in costs] == [
        ("p-1", Decimal("80.00"), "crm-0")
    ]


def test_a_booked_invoice_is_never_changed_and_the_change_is_reported() -> None:
    relation = crm_relation(0)
    world = World(single=True, lookup=CrmLookup(relations={relation.id: relation}))
    world.engine.sync_bookings([invoice()])
    world.reset_calls()
    changed = invoice(
        lines=(
            BookingLine(
                ledger_account="8000", amount=Decimal("90.00"), vat_category=VatCategory.HIGH
            ),
        )
    )
    report = world.engine.sync_bookings([changed])
    assert world.writes(world.exact) == 0
    (outcome,) = report.outcomes
    assert "book a credit note" in outcome.operation.notes[0]


def test_ledger_codes_are_mapped_per_administration() -> None:
    relation = crm_relation(0)
    settings = {"exact:1": AdministrationSettings(ledger_map={"REV": "8000"})}
    world = World(
        single=True, lookup=CrmLookup(relations={relation.id: relation}), settings=settings
    )
    booking = invoice(
        lines=(
            BookingLine(
                ledger_account="REV", amount=Decimal("10.00"), vat_category=VatCategory.HIGH
            ),
        )
    )
    assert world.engine.sync_bookings([booking]).ok
    assert world.exact.stored_bookings()[0].data.lines[0].ledger_account == "8000"


def test_invalid_booking_is_reported_with_its_problems() -> None:
    world = World(single=True)
    bad = invoice(
        lines=(
            BookingLine(
                ledger_account="8000", amount=Decimal("-5.00"), vat_category=VatCategory.HIGH
            ),
        )
    )
    (outcome,) = world.engine.sync_bookings([bad]).outcomes
    assert outcome.status is OutcomeStatus.INVALID
    assert [p.rule for p in outcome.operation.problems] == ["sign"]


def test_booking_without_administration_among_several_is_invalid() -> None:
    world = World()
    (outcome,) = world.engine.sync_bookings([invoice(administration=None)]).outcomes[:1]
    assert outcome.status is OutcomeStatus.INVALID
    assert outcome.operation.problems[0].rule == "administration_required"


def test_open_items_carry_crm_keys_and_payment_changes_reach_the_hook() -> None:
    relation = crm_relation(0)
    seen: list[tuple[str, str | None, str]] = []
    hooks = EngineHooks(
        on_payment_status_change=lambda item, before: seen.append(
            (item.invoice_number, before, item.status.value)
        )
    )
    world = World(single=True, lookup=CrmLookup(relations={relation.id: relation}), hooks=hooks)
    world.engine.sync_bookings([invoice()])
    (item,) = world.engine.pull_open_items()
    assert (item.relation_id, item.booking_id, item.status) == (
        "crm-0",
        "inv-1",
        PaymentStatus.OPEN,
    )
    (booked,) = world.exact.stored_bookings()
    world.exact.record_payment(booked.remote_id, Decimal("21.00"))
    (item,) = world.engine.pull_open_items()
    assert item.status is PaymentStatus.PARTIALLY_PAID
    world.exact.record_payment(booked.remote_id, Decimal("100.00"))
    (item,) = world.engine.pull_open_items()
    assert item.status is PaymentStatus.PAID
    assert world.engine.pull_open_items() == []
    assert seen == [
        ("F2026-0001", None, "open"),
        ("F2026-0001", "open", "partially_paid"),
        ("F2026-0001", "partially_paid", "paid"),
    ]


def test_project_sync_links_creates_updates_and_skips() -> None:
    world = World(single=True)
    world.exact.create_project(Project(id="x", number="100", description="Bestaand"))
    world.reset_calls()
    projects = [
        Project(id="p-1", number="100", description="Bestaand"),
        Project(id="p-2", number="200", description="Nieuw"),
    ]
    report = world.engine.sync_projects(projects)
    assert [o.operation.kind.value for o in report.outcomes] == ["link", "create"]
    world.reset_calls()
    assert {o.status for o in world.engine.sync_projects(projects).outcomes} == {
        OutcomeStatus.SKIPPED
    }
    assert world.exact.total_calls == 0
    closed = attrs.evolve(projects[1], description="Nieuw (afgerond)", active=False)
    report = world.engine.sync_projects([closed])
    assert report.outcomes[0].operation.kind.value == "update"
    found = world.exact.find_project("200")
    assert found is not None
    assert not found.active
    assert found.data.description == "Nieuw (afgerond)"


def test_booking_waits_while_its_relation_is_in_review() -> None:
    relation = crm_relation(0, coc_number=None)
    world = World(single=True, lookup=CrmLookup(relations={relation.id: relation}))
    twin = crm_relation(0, coc_number=None, email=None, contacts=())
    world.exact.add_existing_relation(attrs.evolve(twin, id="a"))
    world.exact.add_existing_relation(attrs.evolve(twin, id="b"))
    report = world.engine.sync_bookings([invoice()])
    (booking,) = report.of(entity="booking")
    assert booking.status is OutcomeStatus.REVIEW
    assert "in the review queue" in booking.operation.notes[0]
    assert world.exact.calls["create_booking"] == 0
    assert world.store.errors() == []  # nothing failed: it waits for a person


def test_a_lost_upload_is_never_repeated_blindly() -> None:
    from finlink.backends.faults import LoseResponse

    relation = crm_relation(0)
    world = World(single=True, lookup=CrmLookup(relations={relation.id: relation}))
    world.exact.inject("attach_document", LoseResponse())
    world.engine.sync_bookings([invoice(attachment=PDF)])
    assert len(world.exact.stored_documents()) == 1  # it landed; the answer did not
    report = world.engine.sync_bookings([invoice(attachment=PDF)])
    (document,) = report.of(entity="document")
    assert document.status is OutcomeStatus.REVIEW
    assert world.exact.calls["attach_document"] == 1
    (review,) = world.store.reviews()
    assert "may already be attached" in review.reason
    world.engine.resolve_review(review.review_id, dismiss=True)
    world.engine.sync_bookings([invoice(attachment=PDF)])
    world.engine.sync_bookings([invoice(attachment=PDF)])
    assert world.exact.calls["attach_document"] == 1
    assert world.store.get_link("exact:1", "document", "inv-1") is not None


def test_a_person_may_have_a_lost_upload_sent_again() -> None:
    from finlink import OutcomeUnknownError
    from finlink.backends.faults import FailWith

    relation = crm_relation(0)
    world = World(single=True, lookup=CrmLookup(relations={relation.id: relation}))
    # the upload never arrived, but finlink cannot know that
    world.exact.inject("attach_document", FailWith(OutcomeUnknownError("timeout")))
    world.engine.sync_bookings([invoice(attachment=PDF)])
    world.engine.sync_bookings([invoice(attachment=PDF)])
    (review,) = world.store.reviews()
    world.engine.resolve_review(review.review_id, create=True)
    report = world.engine.sync_bookings([invoice(attachment=PDF)])
    assert [o.status for o in report.of(entity="document")] == [OutcomeStatus.DONE]
    assert len(world.exact.stored_documents()) == 1
