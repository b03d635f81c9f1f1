"""``InMemoryBackend`` beyond the contract: its test side, its refusals, its read-back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest

from finlink import (
    BookingKind,
    ConflictError,
    NotFoundError,
    OpenItemKind,
    OutcomeUnknownError,
    PaymentStatus,
    RelationRole,
    RemoteValidationError,
    ServerError,
)
from finlink.backends import Capabilities, Feature, RelationKeys
from finlink.backends.faults import Delay, FailWith, LoseResponse
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from tests.model.factories import booking, line, relation

SUPPLIER = frozenset({RelationRole.SUPPLIER})


def test_no_arguments_gives_a_ready_backend() -> None:
    backend = InMemoryBackend()
    assert backend.administration == "memory"
    assert "memory" in backend.name
    assert backend.capabilities == Capabilities()
    assert repr(backend) == "InMemoryBackend(administration='memory')"


def test_calls_are_counted_per_operation() -> None:
    backend = InMemoryBackend()
    backend.create_relation(relation(), reference="crm-1")
    backend.read_relations()
    backend.read_relations()
    assert backend.calls["create_relation"] == 1
    assert backend.calls["read_relations"] == 2
    assert backend.total_calls == 3


def test_relation_is_stored_normalised_without_contacts() -> None:
    backend = InMemoryBackend()
    record = backend.create_relation(relation(vat_number="nl 0044.95.445 b01"), reference="crm-1")
    assert record.data.vat_number == "NL004495445B01"
    assert record.data.contacts == ()
    assert record.data.id == "crm-1"
    assert record.crm_key == "crm-1"


def test_duplicate_reference_is_a_conflict() -> None:
    backend = InMemoryBackend()
    backend.create_relation(relation(), reference="crm-1")
    with pytest.raises(ConflictError) as caught:
        backend.create_relation(relation(), reference="crm-1")
    assert caught.value.vendor_code == "MEM-DUPLICATE"


def test_field_lengths_from_capabilities_are_enforced() -> None:
    backend = InMemoryBackend(capabilities=Capabilities(field_max_lengths={"relation.name": 10}))
    with pytest.raises(RemoteValidationError) as caught:
        backend.create_relation(relation(name="Bakkerij De Vries B.V."), reference="r")
    assert caught.value.fields == ("name",)
    assert "longer than 10" in str(caught.value)
    assert backend.stored_relations() == []


def test_blank_name_is_refused() -> None:
    with pytest.raises(RemoteValidationError, match="needs a name"):
        InMemoryBackend().create_relation(relation(name="  "), reference="r")


def test_both_roles_refused_when_the_capabilities_say_so() -> None:
    backend = InMemoryBackend(capabilities=Capabilities(customer_and_supplier=False))
    record = backend.create_relation(relation(), reference="r")
    both = relation(roles=frozenset(RelationRole))
    with pytest.raises(RemoteValidationError, match="both"):
        backend.update_relation(record.remote_id, both, fields=frozenset({"roles"}))


def test_update_refuses_unknown_field_names() -> None:
    backend = InMemoryBackend()
    record = backend.create_relation(relation(), reference="r")
    with pytest.raises(ValueError, match="contacts"):
        backend.update_relation(record.remote_id, relation(), fields=frozenset({"contacts"}))


def test_update_of_active_flag_deactivates() -> None:
    backend = InMemoryBackend()
    record = backend.create_relation(relation(), reference="r")
    backend.update_relation(record.remote_id, relation(active=False), fields=frozenset({"active"}))
    assert not backend.get_relation(record.remote_id).active


def test_accountant_edits_show_in_incremental_reads() -> None:
    clock = SimulatedClock()
    backend = InMemoryBackend(clock=clock)
    record = backend.create_relation(relation(), reference="r")
    cursor = backend.read_relations().cursor
    clock.advance(minutes=5)
    backend.edit_relation(record.remote_id, iban="NL02ABNA0123456789")
    changes = backend.read_relations(cursor)
    assert [r.data.iban for r in changes.records] == ["NL02ABNA0123456789"]
    assert changes.records[0].version == "2"
    assert changes.records[0].modified_at == clock.now()
    assert backend.read_relations(changes.cursor).records == ()


def test_deletions_are_reported_since_a_cursor() -> None:
    backend = InMemoryBackend()
    record = backend.create_relation(relation(), reference="r")
    cursor = backend.read_relations().cursor
    backend.delete_relation(record.remote_id)
    assert backend.read_relations(cursor).deleted == (record.remote_id,)
    assert backend.read_relations().deleted == ()
    with pytest.raises(NotFoundError):
        backend.delete_relation(record.remote_id)


def test_bad_cursor_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cursor"):
        InMemoryBackend().read_relations("yesterday")


def test_existing_relations_are_findable_without_counting_calls() -> None:
    backend = InMemoryBackend()
    remote_id = backend.add_existing_relation(relation(email="Info@Example.nl"))
    assert backend.total_calls == 0
    by_email = backend.find_relations(RelationKeys(email="info@example.nl"))
    assert [r.remote_id for r in by_email] == [remote_id]
    assert by_email[0].crm_key is None
    assert by_email[0].data.contacts[0].first_name == "Jan"
    assert backend.find_relations(RelationKeys(name="bakkerij de vries b.v.", postcode="3511AB"))
    assert not backend.find_relations(
        RelationKeys(name="Bakkerij De Vries B.V.", postcode="1000 AA")
    )
    assert backend.find_relations(RelationKeys(code="none")) == []


def test_contact_limit_and_duplicates() -> None:
    backend = InMemoryBackend(capabilities=Capabilities(max_contacts_per_relation=1))
    record = backend.create_relation(relation(), reference="r")
    contact = relation().contacts[0]
    backend.create_contact(record.remote_id, contact, reference="c-1")
    with pytest.raises(RemoteValidationError, match="at most 1"):
        backend.create_contact(record.remote_id, contact, reference="c-2")
    unlimited = InMemoryBackend()
    other = unlimited.create_relation(relation(), reference="r")
    unlimited.create_contact(other.remote_id, contact, reference="c-1")
    with pytest.raises(ConflictError):
        unlimited.create_contact(other.remote_id, contact, reference="c-1")
    with pytest.raises(NotFoundError):
        unlimited.update_contact(other.remote_id, "con-999", contact)


def test_unsupported_feature_raises_not_implemented() -> None:
    backend = InMemoryBackend(capabilities=Capabilities(features=frozenset({Feature.RELATIONS})))
    with pytest.raises(NotImplementedError, match="projects"):
        backend.find_project("1")
    assert backend.total_calls == 0


def test_faults_fail_lose_and_delay() -> None:
    clock = SimulatedClock()
    backend = InMemoryBackend(clock=clock, latency=0.1)
    backend.inject("read_relations", FailWith(ServerError("503", status_code=503)), on_call=2)
    backend.inject("create_relation", LoseResponse())
    backend.inject("*", Delay(2.0))
    backend.read_relations()
    with pytest.raises(ServerError):
        backend.read_relations()
    with pytest.raises(OutcomeUnknownError) as caught:
        backend.create_relation(relation(), reference="crm-1")
    assert caught.value.reference == "crm-1"
    assert len(backend.stored_relations()) == 1  # the write was committed
    assert clock.monotonic() == pytest.approx(3 * 0.1 + 2.0)


def test_fault_plan_rejects_zero_times_and_can_be_cleared() -> None:
    backend = InMemoryBackend()
    with pytest.raises(ValueError, match="at least 1"):
        backend.inject("read_relations", LoseResponse(), times=0)
    backend.inject("read_relations", FailWith(ServerError("x")), times=2)
    backend.faults.clear()
    backend.read_relations()


def _booked(backend: InMemoryBackend, **overrides: object) -> str:
    customer = backend.create_relation(relation(roles=frozenset(RelationRole)), reference="crm-1")
    record = backend.create_booking(
        booking(**overrides),
        relation_remote_id=customer.remote_id,
        project_numbers={},
        reference="F2026-0001",
    )
    return record.remote_id


def test_booking_refusals_name_the_line() -> None:
    backend = InMemoryBackend()
    customer = backend.create_relation(relation(), reference="crm-1")
    cases = [
        (booking(line(ledger_account="9999")), "MEM-LEDGER", "lines[0].ledger_account"),
        (booking(line(ledger_account="4500")), "MEM-COSTCENTRE-REQUIRED", "lines[0].project_id"),
        (booking(line(project_id="p-x")), "MEM-COSTCENTRE", "lines[0].project_id"),
    ]
    for bad, code, field in cases:
        with pytest.raises(RemoteValidationError) as caught:
            backend.create_booking(
                bad, relation_remote_id=customer.remote_id, project_numbers={}, reference="x"
            )
        assert (caught.value.vendor_code, caught.value.fields) == (code, (field,))


def test_booking_without_vat_code_for_its_category_is_refused() -> None:
    from finlink.backends import ReferenceData, VatCode
    from finlink.backends.memory import DEFAULT_REFERENCE_DATA

    only_high = attrs.evolve(
        DEFAULT_REFERENCE_DATA,
        vat_codes=(VatCode(code="H", description="hoog", rate=Decimal("0.21"), category=None),),
    )
    assert isinstance(only_high, ReferenceData)
    backend = InMemoryBackend(reference_data=only_high)
    customer = backend.create_relation(relation(), reference="crm-1")
    with pytest.raises(RemoteValidationError, match="no VAT code"):
        backend.create_booking(
            booking(), relation_remote_id=customer.remote_id, project_numbers={}, reference="x"
        )


def test_attachment_limits() -> None:
    from finlink import Attachment

    backend = InMemoryBackend(
        capabilities=Capabilities(
            max_attachment_bytes=10, attachment_media_types=frozenset({"application/pdf"})
        )
    )
    remote_id = _booked(backend)
    with pytest.raises(RemoteValidationError, match="larger than 10"):
        backend.attach_document(remote_id, Attachment(file_name="a.pdf", content=b"%PDF-" * 3))
    with pytest.raises(RemoteValidationError, match="not accepted"):
        backend.attach_document(
            remote_id, Attachment(file_name="a.png", media_type="image/png", content=b"x")
        )
    doc = backend.attach_document(remote_id, Attachment(file_name="a.pdf", content=b"%PDF-"))
    assert backend.stored_documents()[doc][0] == remote_id
    with pytest.raises(NotFoundError):
        backend.attach_document("bkg-999", Attachment(file_name="a.pdf", content=b"%PDF-"))


def test_open_items_follow_payments_and_credit_notes() -> None:
    backend = InMemoryBackend()
    remote_id = _booked(backend, due_date=date(2026, 3, 31))
    start = backend.read_open_items()
    (item,) = (r.data for r in start.records)
    assert (item.amount, item.status, item.kind) == (
        Decimal("121.00"),
        PaymentStatus.OPEN,
        OpenItemKind.RECEIVABLE,
    )
    assert item.due_date == date(2026, 3, 31)
    backend.record_payment(remote_id, Decimal("121.00"))
    paid = backend.read_open_items(start.cursor)
    assert [r.data.status for r in paid.records] == [PaymentStatus.PAID]
    assert backend.read_open_items().records == ()  # a full read lists only what is open
    assert backend.read_open_items(paid.cursor).records == ()
    with pytest.raises(NotFoundError):
        backend.record_payment("bkg-404", Decimal(1))


def test_open_items_per_relation_and_credit_note_sign() -> None:
    backend = InMemoryBackend()
    supplier = backend.create_relation(relation(roles=SUPPLIER), reference="sup")
    backend.create_booking(
        booking(line("10.00", ledger_account="4000"), kind=BookingKind.PURCHASE_CREDIT_NOTE),
        relation_remote_id=supplier.remote_id,
        project_numbers={},
        reference="CN-1",
    )
    _booked(backend)
    mine = backend.read_open_items(relation_remote_id=supplier.remote_id).records
    assert [(i.data.amount, i.data.kind) for i in mine] == [
        (Decimal("-12.10"), OpenItemKind.PAYABLE)
    ]


def test_project_costs_come_from_purchase_lines_on_the_cost_centre() -> None:
    from finlink import Project

    backend = InMemoryBackend()
    supplier = backend.create_relation(relation(roles=SUPPLIER), reference="sup")
    backend.create_project(Project(id="p-1", number="P1", description="Verbouwing"))
    backend.create_project(Project(id="p-2", number="P2", description="Anders"))
    for kind, ref, day in (
        (BookingKind.PURCHASE_INVOICE, "I-1", date(2026, 3, 1)),
        (BookingKind.PURCHASE_CREDIT_NOTE, "C-1", date(2026, 4, 1)),
    ):
        backend.create_booking(
            booking(
                line("80.00", ledger_account="4500", project_id="p-1", description="Hout"),
                line("20.00", ledger_account="4500", project_id="p-2"),
                kind=kind,
                invoice_date=day,
                invoice_number=ref,
            ),
            relation_remote_id=supplier.remote_id,
            project_numbers={"p-1": "P1", "p-2": "P2"},
            reference=ref,
        )
    costs = backend.read_project_costs("P1")
    assert [(c.amount, c.invoice_number, c.description) for c in costs] == [
        (Decimal("80.00"), "I-1", "Hout"),
        (Decimal("-80.00"), "C-1", "Hout"),
    ]
    assert [c.amount for c in backend.read_project_costs("P1", since=date(2026, 3, 15))] == [
        Decimal("-80.00")
    ]


def test_project_conflicts_and_missing() -> None:
    from finlink import Project

    backend = InMemoryBackend()
    backend.create_project(Project(id="p-1", number="P1", description="x"))
    with pytest.raises(ConflictError):
        backend.create_project(Project(id="p-2", number="P1", description="y"))
    with pytest.raises(NotFoundError):
        backend.update_project("prj-404", Project(id="p", number="P1", description="x"))


def test_reference_data_helpers() -> None:
    data = InMemoryBackend().reference_data()
    ledger = data.ledger("8000")
    assert ledger is not None
    assert ledger.description == "Omzet hoog"
    assert data.ledger("0000") is None
    journal = data.journal("70")
    assert journal is not None
    assert journal.kind == "sales"
    country = data.country("nl")
    assert country is not None
    assert country.remote_id == "country-nl"
    from finlink import VatCategory

    vat = data.vat_code_for(VatCategory.LOW)
    assert vat is not None
    assert vat.rate == Decimal("0.09")
