"""Construction refuses only what cannot be interpreted, and never changes data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from finlink import (
    Address,
    Attachment,
    Booking,
    BookingKind,
    BookingLine,
    Contact,
    OpenItem,
    Project,
    ProjectCost,
    Relation,
    RelationRole,
    ValidationError,
    VatCategory,
)
from tests.model.factories import booking, line, relation


def test_naive_datetime_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValidationError) as caught:
        relation(updated_at=datetime(2026, 3, 1, 12, 0))  # noqa: DTZ001 - the point of the test
    problem = caught.value.problems[0]
    assert (problem.path, problem.rule) == ("updated_at", "timezone_required")
    assert "timezone-aware" in problem.message


def test_aware_datetime_in_any_zone_is_kept_as_given() -> None:
    cet = timezone(timedelta(hours=1))
    stamp = datetime(2026, 3, 1, 13, 0, tzinfo=cet)
    assert relation(updated_at=stamp).updated_at is stamp


def test_float_money_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        BookingLine(ledger_account="8000", amount=12.5, vat_category=VatCategory.HIGH)  # type: ignore[arg-type]
    assert caught.value.problems[0].rule == "decimal_required"


def test_non_finite_money_is_refused() -> None:
    with pytest.raises(ValidationError, match="finite"):
        line("NaN")


def test_construction_never_changes_the_data() -> None:
    rel = relation(name="  bakkerij de vries bv ", vat_number="nl 0044.95.445 b01", email="X@Y.NL")
    assert rel.name == "  bakkerij de vries bv "
    assert rel.vat_number == "nl 0044.95.445 b01"
    assert rel.email == "X@Y.NL"


def test_every_structural_problem_is_reported_at_once() -> None:
    bad: dict[str, Any] = {
        "id": 7,
        "name": None,
        "roles": {"customer"},
        "payment_term_days": True,
        "contacts": [Contact(id="a")],
        "active": "yes",
        "extra": [],
    }
    with pytest.raises(ValidationError) as caught:
        Relation(**bad)
    assert caught.value.paths == (
        "id",
        "name",
        "roles",
        "payment_term_days",
        "contacts",
        "active",
        "extra",
    )


def test_roles_must_be_enum_members() -> None:
    with pytest.raises(ValidationError, match="RelationRole"):
        Relation(id="x", name="y", roles=frozenset({"customer"}))  # type: ignore[arg-type]


def test_nested_types_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        Relation(
            id="x",
            name="y",
            roles=frozenset({RelationRole.CUSTOMER}),
            visiting_address="Hoofdstraat 1",  # type: ignore[arg-type]
            contacts=("Jan",),  # type: ignore[arg-type]
        )
    assert caught.value.paths == ("visiting_address", "contacts[0]")


def test_address_and_contact_check_their_fields() -> None:
    with pytest.raises(ValidationError, match="city"):
        Address(line1="x", city=None, country="NL")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="is_primary"):
        Contact(id="c", is_primary=1)  # type: ignore[arg-type]


def test_booking_refuses_a_datetime_as_invoice_date() -> None:
    with pytest.raises(ValidationError) as caught:
        booking(invoice_date=datetime(2026, 3, 1, tzinfo=UTC), due_date="2026-04-01")
    assert caught.value.paths == ("invoice_date", "due_date")


def test_booking_checks_kind_lines_and_attachment_types() -> None:
    with pytest.raises(ValidationError) as caught:
        Booking(
            id="b",
            kind="invoice",  # type: ignore[arg-type]
            relation_id="r",
            invoice_number="1",
            invoice_date=date(2026, 1, 1),
            lines=[line()],  # type: ignore[arg-type]
            attachment=b"%PDF",  # type: ignore[arg-type]
        )
    assert caught.value.paths == ("kind", "lines", "attachment")


def test_attachment_content_must_be_bytes_and_is_not_shown_in_repr() -> None:
    with pytest.raises(ValidationError, match="bytes"):
        Attachment(file_name="a.pdf", content="text")  # type: ignore[arg-type]
    shown = repr(Attachment(file_name="a.pdf", content=b"%PDF-" + b"x" * 100))
    assert "<105 bytes>" in shown
    assert "xxx" not in shown


def test_project_and_readback_records_check_types() -> None:
    with pytest.raises(ValidationError, match="number"):
        Project(id="p", number=1, description="x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="amount"):
        OpenItem(
            administration="a",
            remote_id="r",
            remote_relation_id="rr",
            invoice_number="1",
            amount=1.0,  # type: ignore[arg-type]
            open_amount=Decimal(0),
        )
    with pytest.raises(ValidationError, match="date"):
        ProjectCost(
            administration="a",
            project_id="p",
            remote_id="r",
            date="2026-01-01",  # type: ignore[arg-type]
            ledger_account="4000",
            amount=Decimal(1),
        )


def test_records_are_frozen_and_keyword_only() -> None:
    rel = relation()
    with pytest.raises(AttributeError):
        rel.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Project("p", "1", "x")  # type: ignore[call-arg]


def test_records_with_extra_fields_are_still_hashable() -> None:
    assert hash(relation(extra={"segment": "retail"})) == hash(relation(extra={"segment": "b2b"}))


def test_relation_conveniences() -> None:
    both = relation(roles=frozenset(RelationRole))
    assert both.is_customer
    assert both.is_supplier
    first = Contact(id="a", last_name="Jansen")
    primary = Contact(id="b", first_name="Piet", last_name="Bos", is_primary=True)
    assert relation(contacts=(first, primary)).primary_contact is primary
    assert relation(contacts=(first,)).primary_contact is first
    assert relation(contacts=()).primary_contact is None
    assert primary.full_name == "Piet Bos"
    postal = Address(line1="Postbus 1", city="Utrecht", country="NL")
    assert relation(visiting_address=None, postal_address=postal).address is postal


def test_booking_kind_properties() -> None:
    assert BookingKind.SALES_INVOICE.is_sales
    assert not BookingKind.PURCHASE_INVOICE.is_sales
    assert BookingKind.PURCHASE_CREDIT_NOTE.is_credit
    assert not BookingKind.SALES_INVOICE.is_credit
    assert BookingKind.SALES_CREDIT_NOTE.required_role is RelationRole.CUSTOMER
    assert BookingKind.PURCHASE_INVOICE.required_role is RelationRole.SUPPLIER


def test_effective_due_date() -> None:
    assert booking().effective_due_date is None
    assert booking(payment_term_days=14).effective_due_date == date(2026, 3, 15)
    assert booking(due_date=date(2026, 3, 10), payment_term_days=14).effective_due_date == date(
        2026, 3, 10
    )
