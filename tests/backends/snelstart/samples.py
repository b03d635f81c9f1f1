"""Sample CRM records for the SnelStart backend tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from finlink.model.booking import Booking, BookingLine
from finlink.model.enums import BookingKind, RelationRole, VatCategory
from finlink.model.relation import Address, Contact, Relation


def relation(i: int = 1, **overrides: Any) -> Relation:
    """A valid Dutch customer, distinct for each ``i``."""
    fields: dict[str, Any] = {
        "id": f"crm-{i}",
        "name": f"Bakkerij De Vries {i} B.V.",
        "roles": frozenset({RelationRole.CUSTOMER}),
        "number": str(1000 + i),
        "visiting_address": Address(
            line1=f"Hoofdstraat {i}", postcode="3511 AB", city="Utrecht", country="NL"
        ),
        "email": f"info{i}@devries.example",
        "phone": "030 123 4567",
        "vat_number": "NL004495445B01",
        "coc_number": f"{30000000 + i}",
        "iban": "NL91ABNA0417164300",
        "payment_term_days": 30,
    }
    fields.update(overrides)
    return Relation(**fields)


def contact(i: int = 1, **overrides: Any) -> Contact:
    """A contact person."""
    fields: dict[str, Any] = {
        "id": f"contact-{i}",
        "first_name": "Jan",
        "last_name": f"Jansen {i}",
        "email": f"jan{i}@devries.example",
        "phone": "06 12345678",
        "job_title": "Inkoper",
    }
    fields.update(overrides)
    return Contact(**fields)


def booking(
    i: int = 1,
    *,
    kind: BookingKind = BookingKind.SALES_INVOICE,
    relation_id: str = "crm-1",
    ledger: str = "8000",
    amounts: tuple[tuple[str, VatCategory], ...] = (
        ("100.00", VatCategory.HIGH),
        ("33.33", VatCategory.LOW),
    ),
    project_id: str | None = None,
    **overrides: Any,
) -> Booking:
    """A booking with one line per (amount, category)."""
    lines = tuple(
        BookingLine(
            description=f"regel {n}",
            ledger_account=ledger,
            amount=Decimal(amount),
            vat_category=category,
            project_id=project_id if n == 0 else None,
        )
        for n, (amount, category) in enumerate(amounts)
    )
    fields: dict[str, Any] = {
        "id": f"booking-{i}",
        "kind": kind,
        "relation_id": relation_id,
        "invoice_number": f"2026-{i:04d}",
        "invoice_date": date(2026, 1, 5),
        "payment_term_days": 14,
        "description": f"Factuur {i}",
        "lines": lines,
    }
    fields.update(overrides)
    return Booking(**fields)
