"""The CRM data of the crash test: phase 1 creates, phase 2 changes, adds and invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from finlink import Booking, BookingKind, BookingLine, Relation, VatCategory
from tests.sync.engine_helpers import crm_relation

SIZE = 8


def crm_state(phase: int) -> list[Relation]:
    """The CRM's relations in ``phase`` (1 or 2)."""
    relations = [crm_relation(i) for i in range(SIZE)]
    if phase == 1:
        return relations
    changed = [
        attrs.evolve(r, email=f"fase2-{i}@firma{i}.nl") if i % 2 == 0 else r
        for i, r in enumerate(relations)
    ]
    return [*changed, crm_relation(SIZE), crm_relation(SIZE + 1)]


def crm_bookings(phase: int) -> list[Booking]:
    """Invoices of phase 2: two for relations that exist, one for a new relation."""
    if phase == 1:
        return []
    return [
        Booking(
            id=f"inv-{n}",
            kind=BookingKind.SALES_INVOICE,
            relation_id=f"crm-{relation}",
            invoice_number=f"F-{n:04d}",
            invoice_date=date(2026, 3, 1),
            lines=(
                BookingLine(
                    ledger_account="8000", amount=Decimal("100.00"), vat_category=VatCategory.HIGH
                ),
            ),
        )
        for n, relation in ((1, 0), (2, 3), (3, SIZE))
    ]
