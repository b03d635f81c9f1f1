"""Data for the in-memory backend: a Dutch chart of accounts, open items, project costs."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from finlink.backends.reference import (
    Country,
    Journal,
    JournalKind,
    LedgerAccount,
    ReferenceData,
    VatCode,
)
from finlink.model.booking import Booking
from finlink.model.enums import OpenItemKind, VatCategory
from finlink.model.readback import OpenItem, ProjectCost

__all__ = ["DEFAULT_REFERENCE_DATA", "open_item_of", "project_costs_of"]

#: A small Dutch chart of accounts (RGS-like codes), VAT codes for every category, a sales and
#: a purchase journal, and the countries most relations live in.
DEFAULT_REFERENCE_DATA = ReferenceData(
    ledger_accounts=(
        LedgerAccount(code="1300", description="Debiteuren", remote_id="gl-1300"),
        LedgerAccount(code="1600", description="Crediteuren", remote_id="gl-1600"),
        LedgerAccount(code="4000", description="Inkoop materialen", remote_id="gl-4000"),
        LedgerAccount(code="4010", description="Inkoop diensten", remote_id="gl-4010"),
        LedgerAccount(
            code="4500",
            description="Projectkosten",
            remote_id="gl-4500",
            requires_cost_centre=True,
        ),
        LedgerAccount(code="8000", description="Omzet hoog", remote_id="gl-8000"),
        LedgerAccount(code="8010", description="Omzet laag", remote_id="gl-8010"),
        LedgerAccount(code="8020", description="Omzet vrijgesteld/nul", remote_id="gl-8020"),
        LedgerAccount(code="8100", description="Omzet EU", remote_id="gl-8100"),
    ),
    vat_codes=(
        VatCode(code="H", description="BTW hoog", rate=Decimal("0.21"), category=VatCategory.HIGH),
        VatCode(code="L", description="BTW laag", rate=Decimal("0.09"), category=VatCategory.LOW),
        VatCode(code="0", description="BTW 0 %", rate=Decimal(0), category=VatCategory.ZERO),
        VatCode(code="V", description="Vrijgesteld", rate=Decimal(0), category=VatCategory.EXEMPT),
        VatCode(
            code="R",
            description="BTW verlegd",
            rate=Decimal(0),
            category=VatCategory.REVERSE_CHARGE,
        ),
        VatCode(
            code="EG", description="ICP goederen", rate=Decimal(0), category=VatCategory.EU_GOODS
        ),
        VatCode(
            code="ED", description="ICP diensten", rate=Decimal(0), category=VatCategory.EU_SERVICES
        ),
        VatCode(code="X", description="Buiten EU", rate=Decimal(0), category=VatCategory.NON_EU),
    ),
    journals=(
        Journal(code="70", description="Verkoopboek", kind=JournalKind.SALES),
        Journal(code="60", description="Inkoopboek", kind=JournalKind.PURCHASE),
    ),
    countries=(
        Country(code="NL", name="Nederland", remote_id="country-nl"),
        Country(code="BE", name="België", remote_id="country-be"),
        Country(code="DE", name="Duitsland", remote_id="country-de"),
        Country(code="FR", name="Frankrijk", remote_id="country-fr"),
        Country(code="GB", name="Verenigd Koninkrijk", remote_id="country-gb"),
        Country(code="US", name="Verenigde Staten", remote_id="country-us"),
    ),
)


def open_item_of(
    *,
    administration: str,
    remote_id: str,
    booking: Booking,
    relation_remote_id: str,
    paid: Decimal,
) -> OpenItem:
    """The open item of a booking after ``paid`` has been paid; credit notes are negative."""
    sign = Decimal(-1) if booking.kind.is_credit else Decimal(1)
    amount = booking.totals().incl_vat * sign
    return OpenItem(
        administration=administration,
        kind=OpenItemKind.RECEIVABLE if booking.kind.is_sales else OpenItemKind.PAYABLE,
        remote_id=remote_id,
        remote_relation_id=relation_remote_id,
        invoice_number=booking.invoice_number,
        invoice_date=booking.invoice_date,
        due_date=booking.effective_due_date or booking.invoice_date,
        amount=amount,
        open_amount=amount - paid,
        currency=booking.currency,
        description=booking.description,
    )


def project_costs_of(
    *,
    administration: str,
    remote_id: str,
    booking: Booking,
    relation_remote_id: str,
    project_numbers: Mapping[str, str],
    project_number: str,
) -> list[ProjectCost]:
    """The lines of a purchase booking booked on cost centre ``project_number``.

    ``project_id`` of each cost is the cost-centre number: the backend does not know CRM
    project keys; the engine swaps in the CRM key from its links.
    """
    sign = Decimal(-1) if booking.kind.is_credit else Decimal(1)
    return [
        ProjectCost(
            administration=administration,
            project_id=project_number,
            remote_id=f"{remote_id}:{index}",
            date=booking.invoice_date,
            ledger_account=line.ledger_account,
            description=line.description or booking.description,
            amount=line.amount * sign,
            currency=booking.currency,
            remote_relation_id=relation_remote_id,
            invoice_number=booking.invoice_number,
        )
        for index, line in enumerate(booking.lines)
        if line.project_id is not None and project_numbers.get(line.project_id) == project_number
    ]
