"""Small builders of valid records, so each test states only what it is about."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from finlink import (
    Address,
    Booking,
    BookingKind,
    BookingLine,
    Contact,
    Relation,
    RelationRole,
    VatCategory,
)

# Real-world valid identifiers (checksums verified by python-stdnum).
VALID_NL_VAT = "NL004495445B01"
VALID_BE_VAT = "BE0403170701"
VALID_NL_IBAN = "NL91ABNA0417164300"
VALID_BE_IBAN = "BE71096123456769"


def relation(**overrides: Any) -> Relation:
    """A valid Dutch customer with one contact; override any field."""
    fields: dict[str, Any] = {
        "id": "crm-1",
        "name": "Bakkerij De Vries B.V.",
        "roles": frozenset({RelationRole.CUSTOMER}),
        "visiting_address": Address(
            line1="Hoofdstraat 12a", postcode="3511 AB", city="Utrecht", country="NL"
        ),
        "email": "info@bakkerijdevries.nl",
        "phone": "+31 30 123 4567",
        "vat_number": VALID_NL_VAT,
        "coc_number": "12345678",
        "iban": VALID_NL_IBAN,
        "bic": "ABNANL2A",
        "payment_term_days": 30,
        "contacts": (
            Contact(
                id="c-1", first_name="Jan", last_name="de Vries", email="jan@bakkerijdevries.nl"
            ),
        ),
        "updated_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    }
    fields.update(overrides)
    return Relation(**fields)


def line(
    amount: str = "100.00", category: VatCategory = VatCategory.HIGH, **overrides: Any
) -> BookingLine:
    """A booking line on ledger 8000."""
    fields: dict[str, Any] = {
        "ledger_account": "8000",
        "amount": Decimal(amount),
        "vat_category": category,
    }
    fields.update(overrides)
    return BookingLine(**fields)


def booking(*lines: BookingLine, **overrides: Any) -> Booking:
    """A valid sales invoice dated 2026-03-01 with the given lines (default one line of 100.00)."""
    fields: dict[str, Any] = {
        "id": "inv-1",
        "kind": BookingKind.SALES_INVOICE,
        "relation_id": "crm-1",
        "invoice_number": "F2026-0001",
        "invoice_date": date(2026, 3, 1),
        "lines": lines or (line(),),
    }
    fields.update(overrides)
    return Booking(**fields)
