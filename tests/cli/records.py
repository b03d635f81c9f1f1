"""CRM records for the command-line tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from finlink import Booking, BookingKind, BookingLine, Project, VatCategory
from tests.sync.engine_helpers import crm_relation

__all__ = ["crm_relation", "invoice", "project"]


def invoice(n: int = 1, **overrides: Any) -> Booking:
    """A sales invoice of 100.00 + 21 % VAT to ``crm-0`` in ``bv``."""
    fields: dict[str, Any] = {
        "id": f"inv-{n}",
        "kind": BookingKind.SALES_INVOICE,
        "relation_id": "crm-0",
        "invoice_number": f"F2026-{n:04d}",
        "invoice_date": date(2020, 3, 1),
        "payment_term_days": 30,
        "lines": (
            BookingLine(
                ledger_account="8000", amount=Decimal("100.00"), vat_category=VatCategory.HIGH
            ),
        ),
        "administration": "bv",
    }
    fields.update(overrides)
    return Booking(**fields)


def project(n: int = 1) -> Project:
    """A project with number ``P00n``."""
    return Project(id=f"prj-{n}", number=f"P{n:03d}", description=f"Verbouwing {n}")
