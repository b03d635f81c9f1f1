"""Records to dicts/JSON and back; strict structuring with field paths."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finlink import (
    Address,
    Attachment,
    Booking,
    BookingKind,
    BookingLine,
    Contact,
    OpenItem,
    OpenItemKind,
    Project,
    ProjectCost,
    Relation,
    RelationRole,
    ValidationError,
    VatCategory,
)
from finlink.serialization import from_dict, from_json, make_converter, to_dict, to_json
from tests.model.factories import booking, relation

_text = st.text(min_size=1, max_size=20)
_opt_text = st.none() | _text
_money = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)
_aware = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]),
)
_addresses = st.builds(
    Address, line1=_text, line2=_opt_text, postcode=_opt_text, city=_text, country=_text
)
_contacts = st.builds(
    Contact,
    id=_text,
    first_name=_opt_text,
    last_name=_opt_text,
    email=_opt_text,
    phone=_opt_text,
    job_title=_opt_text,
    is_primary=st.booleans(),
)
_relations = st.builds(
    Relation,
    id=_text,
    name=_text,
    roles=st.frozensets(st.sampled_from(RelationRole), min_size=1),
    number=_opt_text,
    visiting_address=st.none() | _addresses,
    postal_address=st.none() | _addresses,
    email=_opt_text,
    vat_number=_opt_text,
    iban=_opt_text,
    payment_term_days=st.none() | st.integers(0, 365),
    contacts=st.lists(_contacts, max_size=3).map(tuple),
    updated_at=st.none() | _aware,
    active=st.booleans(),
    extra=st.dictionaries(_text, st.none() | st.booleans() | st.integers() | _text, max_size=3),
)
_lines = st.builds(
    BookingLine,
    description=_opt_text,
    ledger_account=_text,
    amount=_money,
    vat_category=st.sampled_from(VatCategory),
    vat_amount=st.none() | _money,
    project_id=_opt_text,
)
_bookings = st.builds(
    Booking,
    id=_text,
    kind=st.sampled_from(BookingKind),
    relation_id=_text,
    invoice_number=_text,
    invoice_date=st.dates(),
    due_date=st.none() | st.dates(),
    payment_term_days=st.none() | st.integers(0, 365),
    lines=st.lists(_lines, min_size=1, max_size=4).map(tuple),
    attachment=st.none()
    | st.builds(Attachment, file_name=_text, media_type=_text, content=st.binary(max_size=64)),
)


@given(_relations)
def test_relation_round_trips_through_dict_and_json(rel: Relation) -> None:
    assert from_dict(to_dict(rel), Relation) == rel
    assert from_json(to_json(rel), Relation) == rel


@given(_bookings)
def test_booking_round_trips_through_dict_and_json(record: Booking) -> None:
    assert from_dict(to_dict(record), Booking) == record
    assert from_json(to_json(record), Booking) == record


@given(st.builds(Project, id=_text, number=_text, description=_text, active=st.booleans()))
def test_project_round_trips(project: Project) -> None:
    assert from_dict(to_dict(project), Project) == project


def test_readback_records_round_trip() -> None:
    item = OpenItem(
        administration="a",
        kind=OpenItemKind.PAYABLE,
        remote_id="r",
        remote_relation_id="rr",
        invoice_number="1",
        invoice_date=date(2026, 1, 1),
        amount=Decimal("10.00"),
        open_amount=Decimal("5.00"),
    )
    cost = ProjectCost(
        administration="a",
        project_id="p",
        remote_id="r",
        date=date(2026, 1, 1),
        ledger_account="4000",
        amount=Decimal("1.50"),
    )
    assert from_dict(to_dict(item), OpenItem) == item
    assert from_dict(to_dict(cost), ProjectCost) == cost


def test_wire_form_is_plain_json() -> None:
    data = to_dict(booking())
    assert data["kind"] == "sales_invoice"
    assert data["invoice_date"] == "2026-03-01"
    assert data["lines"][0]["amount"] == "100.00"
    assert data["lines"][0]["vat_category"] == "high"
    rel = to_dict(relation(roles=frozenset(RelationRole)))
    assert rel["roles"] == ["customer", "supplier"]
    assert rel["updated_at"] == "2026-03-01T12:00:00+00:00"
    attached = to_dict(booking(attachment=Attachment(file_name="f.pdf", content=b"%PDF-")))
    assert attached["attachment"]["content"] == "JVBERi0="
    json.dumps(rel)  # nothing that json cannot write


def test_every_bad_field_is_named_with_its_path() -> None:
    data: dict[str, Any] = {
        "id": 1,
        "name": "Bakkerij",
        "roles": ["customer", "reseller"],
        "contacts": [{"id": "a"}, {"id": 3, "email": 5}],
        "updated_at": "2026-01-01T00:00:00",
        "surprise": True,
    }
    with pytest.raises(ValidationError) as caught:
        from_dict(data, Relation)
    assert [(p.path, p.rule) for p in caught.value.problems] == [
        ("id", "type"),
        ("roles", "enum"),
        ("contacts[1].id", "type"),
        ("contacts[1].email", "type"),
        ("updated_at", "timezone_required"),
        ("surprise", "unknown_field"),
    ]


def test_missing_fields_and_bad_scalars_in_a_booking() -> None:
    data: dict[str, Any] = {
        "id": "b1",
        "kind": "invoice",
        "relation_id": "r",
        "invoice_date": "01-03-2026",
        "lines": [
            {"ledger_account": "8000", "amount": 12.5, "vat_category": "high"},
            {"ledger_account": "8000", "amount": "twelve", "vat_category": "high"},
            {"ledger_account": "8000", "amount": "1", "vat_category": "high", "vat_amount": "Inf"},
        ],
        "attachment": {"file_name": "f.pdf", "content": "not base64!"},
        "payment_term_days": "30",
    }
    with pytest.raises(ValidationError) as caught:
        from_dict(data, Booking)
    assert {(p.path, p.rule) for p in caught.value.problems} == {
        ("kind", "enum"),
        ("invoice_number", "required"),
        ("invoice_date", "date_format"),
        ("lines[0].amount", "decimal_required"),
        ("lines[1].amount", "decimal_format"),
        ("lines[2].vat_amount", "finite"),
        ("attachment.content", "base64"),
        ("payment_term_days", "type"),
    }


def test_integers_are_accepted_as_money() -> None:
    data = to_dict(booking())
    data["lines"][0]["amount"] = 100
    assert from_dict(data, Booking).lines[0].amount == Decimal(100)


def test_json_numbers_with_fractions_become_decimals() -> None:
    text = to_json(booking()).replace('"100.00"', "100.10")
    assert from_json(text, Booking).lines[0].amount == Decimal("100.10")


def test_bad_json_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        from_json("{", Relation)
    with pytest.raises(ValidationError, match="JSON object"):
        from_json("[]", Relation)


def test_scalar_type_errors() -> None:
    base = to_dict(relation())
    with pytest.raises(ValidationError) as caught:
        from_dict(
            {
                **base,
                "active": "yes",
                "roles": "customer",
                "updated_at": 5,
                "extra": {"k": [1]},
            },
            Relation,
        )
    assert {(p.path, p.rule) for p in caught.value.problems} == {
        ("active", "type"),
        ("roles", "type"),
        ("updated_at", "type"),
        ("extra.k", "type"),
    }


def test_date_and_datetime_type_errors() -> None:
    data = to_dict(booking())
    with pytest.raises(ValidationError) as caught:
        from_dict(
            {**data, "invoice_date": 20260301, "lines": [{**data["lines"][0], "amount": []}]},
            Booking,
        )
    assert {(p.path, p.rule) for p in caught.value.problems} == {
        ("invoice_date", "type"),
        ("lines[0].amount", "type"),
    }
    with pytest.raises(ValidationError, match="datetime_format"):
        from_dict({**to_dict(relation()), "updated_at": "yesterday"}, Relation)
    attached = to_dict(booking(attachment=Attachment(file_name="f.pdf", content=b"%PDF-")))
    attached["attachment"]["content"] = 7
    with pytest.raises(ValidationError, match="base64"):
        from_dict(attached, Booking)


def test_already_typed_values_pass_through() -> None:
    data = to_dict(booking())
    data["invoice_date"] = date(2026, 3, 1)
    data["lines"][0]["amount"] = Decimal("100.00")
    data["lines"][0]["vat_category"] = VatCategory.HIGH
    assert from_dict(data, Booking) == booking()
    rel = to_dict(relation())
    rel["updated_at"] = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert from_dict(rel, Relation) == relation()


def test_construction_errors_surface_with_their_paths() -> None:
    data = to_dict(relation())
    data["updated_at"] = datetime(2026, 3, 1, 12)  # noqa: DTZ001 - a naive value on purpose
    with pytest.raises(ValidationError) as caught:
        from_dict(data, Relation)
    assert caught.value.paths == ("updated_at",)


def test_to_dict_refuses_non_records() -> None:
    with pytest.raises(TypeError, match="not a finlink record"):
        to_dict(5)


def test_make_converter_gives_an_independent_converter() -> None:
    conv = make_converter()
    assert conv.structure({"id": "p", "number": "1", "description": "x"}, Project) == Project(
        id="p", number="1", description="x"
    )
