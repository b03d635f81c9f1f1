"""Bookings: balance to the cent, credit-note sign, factuurnummer as the reference, PDFs."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finlink import (
    BookingKind,
    ConflictError,
    OutcomeUnknownError,
    RelationRole,
    RemoteValidationError,
    ValidationError,
    VatCategory,
)
from finlink.backends.snelstart import DEFAULT_BTW_SOORTEN, booking_body
from finlink.backends.snelstart.wire import encode_json
from finlink.model.booking import Attachment, Booking, BookingLine, Project
from finlink.model.vat import DUTCH_VAT_RATES
from tests.backends.snelstart.samples import booking, relation
from tests.backends.snelstart.support import Rig, make_rig

_LEDGERS = {"8000": "g-8000", "4000": "g-4000"}
_CATEGORIES = st.sampled_from(
    [VatCategory.HIGH, VatCategory.LOW, VatCategory.ZERO, VatCategory.EXEMPT, VatCategory.EU_GOODS]
)
_CENTS = st.integers(min_value=-100_000_00, max_value=100_000_00).filter(lambda c: c != 0)


@st.composite
def _bookings(draw: st.DrawFn, earliest: date = date(2012, 1, 1)) -> Booking:
    kind = draw(st.sampled_from(list(BookingKind)))
    lines = draw(
        st.lists(
            st.tuples(_CENTS, _CATEGORIES, st.one_of(st.none(), _CENTS)), min_size=1, max_size=8
        )
    )
    return Booking(
        id="b",
        kind=kind,
        relation_id="r",
        invoice_number="F-1",
        invoice_date=draw(st.dates(min_value=earliest, max_value=date(2030, 12, 31))),
        lines=tuple(
            BookingLine(
                ledger_account="8000" if kind.is_sales else "4000",
                amount=Decimal(cents) / 100,
                vat_category=category,
                # A CRM's own VAT amount, where the category has VAT at all.
                vat_amount=None
                if own is None or category not in (VatCategory.HIGH, VatCategory.LOW)
                else Decimal(own) / 1000,
            )
            for cents, category, own in lines
        ),
    )


def _body(b: Booking) -> dict[str, object]:
    return booking_body(
        b,
        reference=b.invoice_number,
        relation_remote_id="rel",
        ledger_ids=_LEDGERS,
        cost_centre_ledgers=frozenset(),
        kostenplaats_ids={},
        rates=DUTCH_VAT_RATES,
        soorten=DEFAULT_BTW_SOORTEN,
    )


@given(_bookings())
def test_factuurbedrag_always_balances_the_numbers_sent(b: Booking) -> None:
    body = json.loads(encode_json(_body(b)), parse_float=Decimal)
    regels = sum((Decimal(r["bedrag"]) for r in body["boekingsregels"]), Decimal(0))
    btw = [Decimal(x["btwBedrag"]) for x in body["btw"]]
    assert Decimal(body["factuurbedrag"]) == regels + sum(btw, Decimal(0))
    assert all(x == x.quantize(Decimal("0.01")) for x in btw), "VAT not rounded to cents"
    sign = -1 if b.kind.is_credit else 1
    assert Decimal(body["factuurbedrag"]) == sign * b.totals().incl_vat


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# BOE-0033 refuses dates more than 5 years before the sandbox's current (2026) boekjaar.
@given(_bookings(date(2021, 1, 1)))
def test_snelstart_never_answers_boe_0039_to_our_rounding(b: Booking) -> None:
    rig = make_rig()
    roles = frozenset({b.kind.required_role})
    made = rig.backend.create_relation(relation(roles=roles), reference="crm-1")
    rig.backend.create_booking(
        b, relation_remote_id=made.remote_id, project_numbers={}, reference="F-1"
    )
    assert len(rig.admin.bookings("verkoop" if b.kind.is_sales else "inkoop")) == 1


def test_lines_go_out_excluding_vat_with_vat_per_soort(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    sent = booking(
        amounts=(
            ("100.00", VatCategory.HIGH),
            ("10.01", VatCategory.HIGH),
            ("33.33", VatCategory.LOW),
        )
    )
    rig.backend.create_booking(
        sent, relation_remote_id=made.remote_id, project_numbers={}, reference="2026-0001"
    )
    stored = rig.admin.bookings("verkoop")[0]
    assert [r["bedrag"] for r in stored["boekingsregels"]] == [
        Decimal("100.00"),
        Decimal("10.01"),
        Decimal("33.33"),
    ]
    assert {x["btwSoort"]: x["btwBedrag"] for x in stored["btw"]} == {
        "VerkopenHoog": Decimal("23.10"),  # 21 % of 110.01, rounded once per rate
        "VerkopenLaag": Decimal("3.00"),
    }
    assert stored["factuurbedrag"] == Decimal("169.44")
    assert stored["betalingstermijn"] == 14


def test_credit_notes_carry_snelstarts_negative_sign(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    credit = booking(kind=BookingKind.SALES_CREDIT_NOTE, invoice_number="C-1")
    rig.backend.create_booking(
        credit, relation_remote_id=made.remote_id, project_numbers={}, reference="C-1"
    )
    stored = rig.admin.bookings("verkoop")[0]
    assert stored["factuurbedrag"] == -credit.totals().incl_vat
    assert all(r["bedrag"] < 0 for r in stored["boekingsregels"])
    found = rig.backend.find_booking(BookingKind.SALES_CREDIT_NOTE, "C-1")
    assert found is not None
    assert found.data.lines[0].amount == Decimal("100.00")
    assert rig.backend.find_booking(BookingKind.SALES_INVOICE, "C-1") is None


def test_a_lost_answer_then_boe_0021_leads_to_find_not_a_duplicate(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    sent = booking()
    rig.sandbox.faults.drop_after_commit("/verkoopboekingen", method="POST")
    with pytest.raises(OutcomeUnknownError) as lost:
        rig.backend.create_booking(
            sent, relation_remote_id=made.remote_id, project_numbers={}, reference="2026-0001"
        )
    assert lost.value.reference == "2026-0001"
    # A blind retry is refused by SnelStart's duplicate check, never booked twice ...
    with pytest.raises((RemoteValidationError, ConflictError)) as again:
        rig.backend.create_booking(
            sent, relation_remote_id=made.remote_id, project_numbers={}, reference="2026-0001"
        )
    assert again.value.vendor_code == "BOE-0021"
    # ... and the reference finds the one that landed.
    found = rig.backend.find_booking(BookingKind.SALES_INVOICE, "2026-0001")
    assert found is not None
    assert found.remote_id == rig.admin.bookings("verkoop")[0]["id"]
    assert len(rig.admin.bookings("verkoop")) == 1


def test_the_engine_after_a_lost_answer_links_the_booking_without_duplicating(rig: Rig) -> None:
    from finlink.sync import SQLiteStore, SyncEngine

    engine = SyncEngine(
        store=SQLiteStore(":memory:", clock=rig.sandbox.clock),
        backends=[rig.backend],
        clock=rig.sandbox.clock,
    )
    engine.sync_relations([relation()])
    rig.sandbox.faults.drop_after_commit("/verkoopboekingen", method="POST")
    with contextlib.suppress(OutcomeUnknownError):
        engine.sync_bookings([booking()])
    engine.sync_bookings([booking()])
    assert len(rig.admin.bookings("verkoop")) == 1


def test_a_booking_with_its_pdf_takes_two_calls(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    rig.backend.create_booking(
        booking(1), relation_remote_id=made.remote_id, project_numbers={}, reference="2026-0001"
    )
    before = len(rig.admin.calls())
    record = rig.backend.create_booking(
        booking(2), relation_remote_id=made.remote_id, project_numbers={}, reference="2026-0002"
    )
    document = rig.backend.attach_document(
        record.remote_id, Attachment(file_name="2026-0002.pdf", content=b"%PDF-1.4")
    )
    assert len(rig.admin.calls()) - before == 2
    assert [d["id"] for d in rig.admin.documents()] == [document]


def test_a_document_is_attached_to_a_purchase_booking_made_by_another_process(rig: Rig) -> None:
    made = rig.backend.create_relation(
        relation(roles=frozenset({RelationRole.SUPPLIER})), reference="s-1"
    )
    bought = booking(kind=BookingKind.PURCHASE_INVOICE, ledger="4000")
    record = rig.backend.create_booking(
        bought, relation_remote_id=made.remote_id, project_numbers={}, reference="INK-1"
    )
    fresh = make_rig(name="other")  # a new backend knows nothing of the booking's kind
    fresh.backend = type(rig.backend)(
        administration="snelstart:again",
        koppelsleutel=rig.keys.koppelsleutel,
        subscription_key=rig.keys.subscription_key,
        client=rig.http,
        clock=rig.sandbox.clock,
        test_key=True,
    )
    document = fresh.backend.attach_document(
        record.remote_id, Attachment(file_name="ink.pdf", content=b"%PDF")
    )
    assert rig.admin.documents()[0]["id"] == document


def test_a_too_large_pdf_is_refused_before_sending(rig: Rig) -> None:
    with pytest.raises(ValidationError) as caught:
        rig.backend.attach_document("x", Attachment(file_name="big.pdf", content=b"0" * 10_000_001))
    assert caught.value.problems[0].rule == "max_size"


def test_booking_problems_are_reported_together_before_sending(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    bad = booking(ledger="9999", amounts=(("1.005", VatCategory.HIGH),), invoice_number="F" * 26)
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_booking(
            bad, relation_remote_id=made.remote_id, project_numbers={}, reference=bad.invoice_number
        )
    assert set(caught.value.paths) == {
        "invoice_number",
        "lines[0].ledger_account",
        "lines[0].amount",
    }
    assert rig.admin.call_count(method="POST", path="/verkoopboekingen") == 0


def test_a_ledger_that_needs_a_cost_centre_is_checked_before_sending(rig: Rig) -> None:
    rig.admin.add_ledger(4600, "Projectkosten", kostenplaats_verplicht=True)
    made = rig.backend.create_relation(
        relation(roles=frozenset({RelationRole.SUPPLIER})), reference="s-1"
    )
    bought = booking(kind=BookingKind.PURCHASE_INVOICE, ledger="4600")
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_booking(
            bought, relation_remote_id=made.remote_id, project_numbers={}, reference="INK-1"
        )
    assert caught.value.problems[0].rule == "cost_centre_required"


@pytest.mark.parametrize("number", ["ABC", "0", "1000000000", "12.5"])
def test_project_numbers_snelstart_cannot_hold_are_refused(rig: Rig, number: str) -> None:
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_project(Project(id="p", number=number, description="Verbouwing"))
    assert caught.value.problems[0].rule == "project_number"
    assert "999 999 999" in str(caught.value)


def test_a_closed_project_is_created_active_then_deactivated(rig: Rig) -> None:
    made = rig.backend.create_project(Project(id="p", number="42", description="Oud", active=False))
    assert not made.active
    assert rig.admin.records("kostenplaatsen")[0]["nonactief"] is True


def test_project_costs_are_the_purchase_lines_on_the_cost_centre(rig: Rig) -> None:
    supplier = rig.backend.create_relation(
        relation(roles=frozenset({RelationRole.SUPPLIER})), reference="s-1"
    )
    customer = rig.backend.create_relation(relation(2, vat_number=None), reference="crm-2")
    rig.backend.create_project(Project(id="p-7", number="7", description="Verbouwing"))
    bought = booking(kind=BookingKind.PURCHASE_INVOICE, ledger="4000", project_id="p-7")
    rig.backend.create_booking(
        bought,
        relation_remote_id=supplier.remote_id,
        project_numbers={"p-7": "7"},
        reference="INK-1",
    )
    credit = booking(
        2,
        kind=BookingKind.PURCHASE_CREDIT_NOTE,
        ledger="4000",
        project_id="p-7",
        amounts=(("20.00", VatCategory.HIGH),),
    )
    rig.backend.create_booking(
        credit,
        relation_remote_id=supplier.remote_id,
        project_numbers={"p-7": "7"},
        reference="INK-2",
    )
    sold = booking(3, project_id="p-7")  # revenue on the project is not a cost
    rig.backend.create_booking(
        sold, relation_remote_id=customer.remote_id, project_numbers={"p-7": "7"}, reference="VK-3"
    )
    costs = rig.backend.read_project_costs("7")
    assert sorted(c.amount for c in costs) == [Decimal("-20.00"), Decimal("100.00")]
    assert {c.ledger_account for c in costs} == {"4000"}
    assert rig.backend.read_project_costs("7", since=date(2026, 1, 6)) == []


def test_fully_paid_items_are_reported_once_since_the_cursor(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    sent = booking()
    rig.backend.create_booking(
        sent, relation_remote_id=made.remote_id, project_numbers={}, reference="2026-0001"
    )
    first = rig.backend.read_open_items()
    assert [i.data.open_amount for i in first.records] == [sent.totals().incl_vat]
    rig.sandbox.clock.advance(seconds=5)  # type: ignore[attr-defined]
    rig.admin.record_payment("2026-0001", sent.totals().incl_vat)
    paid = rig.backend.read_open_items(first.cursor)
    assert [(i.data.invoice_number, i.data.open_amount) for i in paid.records] == [
        ("2026-0001", Decimal(0))
    ]
    assert rig.backend.read_open_items(paid.cursor).records == ()
    assert rig.backend.read_open_items().records == (), "a full read lists open items only"


def test_open_items_of_one_relation(rig: Rig) -> None:
    one = rig.backend.create_relation(relation(1), reference="crm-1")
    two = rig.backend.create_relation(relation(2, vat_number=None), reference="crm-2")
    for n, rel in enumerate((one, two), start=1):
        rig.backend.create_booking(
            booking(n),
            relation_remote_id=rel.remote_id,
            project_numbers={},
            reference=f"2026-{n:04d}",
        )
    items = rig.backend.read_open_items(relation_remote_id=two.remote_id).records
    assert [i.data.remote_relation_id for i in items] == [two.remote_id]


def test_vat_on_a_category_without_vat_is_refused() -> None:
    odd = booking(amounts=(("10.00", VatCategory.ZERO),))
    odd = Booking(
        **{
            **{
                f: getattr(odd, f)
                for f in ("id", "kind", "relation_id", "invoice_number", "invoice_date")
            },
            "lines": (
                BookingLine(
                    ledger_account="8000",
                    amount=Decimal("10.00"),
                    vat_category=VatCategory.ZERO,
                    vat_amount=Decimal("0.50"),
                ),
            ),
        }
    )
    with pytest.raises(ValidationError) as caught:
        _body(odd)
    assert caught.value.problems[0].rule == "vat_without_soort"
