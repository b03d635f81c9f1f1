"""What finlink reads back from the accounting side: open items and project costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from finlink.model._structure import StructureChecker
from finlink.model.enums import OpenItemKind, PaymentStatus

__all__ = ["OpenItem", "ProjectCost"]


@attrs.frozen(kw_only=True)
class OpenItem:
    """An invoice (or credit note) as the administration sees it: how much is still open.

    Amounts carry the administration's sign: a credit note has a negative ``amount``.

    Attributes:
        administration: The administration it was read from.
        kind: Receivable (a customer owes us) or payable (we owe a supplier).
        remote_id: The accounting system's key of the item.
        remote_relation_id: The accounting system's key of the relation.
        relation_id: The CRM key of the relation, where finlink has linked it.
        invoice_number: The invoice number.
        booking_id: The CRM key of the booking, where finlink sent it.
        invoice_date: The invoice date.
        due_date: When it is due.
        amount: The invoice total, VAT included.
        open_amount: What is still to be paid.
        currency: ISO 4217 code.
        description: The administration's description, if any.
    """

    administration: str
    kind: OpenItemKind = OpenItemKind.RECEIVABLE
    remote_id: str
    remote_relation_id: str
    relation_id: str | None = None
    invoice_number: str
    booking_id: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    amount: Decimal
    open_amount: Decimal
    currency: str = "EUR"
    description: str | None = None

    def __attrs_post_init__(self) -> None:
        check = StructureChecker(f"open item {self.invoice_number!r}")
        for name in ("administration", "remote_id", "remote_relation_id", "invoice_number"):
            check.text(name, getattr(self, name), optional=False)
        check.member("kind", self.kind, OpenItemKind)
        check.day("invoice_date", self.invoice_date)
        check.day("due_date", self.due_date)
        check.money("amount", self.amount)
        check.money("open_amount", self.open_amount)
        check.done()

    @property
    def paid_amount(self) -> Decimal:
        """How much has been paid (or settled) so far."""
        return self.amount - self.open_amount

    @property
    def status(self) -> PaymentStatus:
        """Paid when nothing is open, open when nothing is paid, else partially paid."""
        if self.open_amount == 0:
            return PaymentStatus.PAID
        if self.open_amount == self.amount:
            return PaymentStatus.OPEN
        return PaymentStatus.PARTIALLY_PAID

    def is_overdue(self, today: date) -> bool:
        """Whether something is still open after the due date (never, without a due date)."""
        return (
            self.status is not PaymentStatus.PAID
            and self.due_date is not None
            and today > self.due_date
        )


@attrs.frozen(kw_only=True)
class ProjectCost:
    """A purchase line booked on a project's cost centre, read back from the administration.

    Attributes:
        administration: The administration it was read from.
        project_id: The CRM key of the project.
        remote_id: The accounting system's key of the transaction line.
        date: The booking date.
        ledger_account: The ledger code it was booked on.
        description: The line's description.
        amount: The amount excluding VAT (negative for a purchase credit note).
        currency: ISO 4217 code.
        remote_relation_id: The supplier's key in the administration, if any.
        relation_id: The supplier's CRM key, where finlink has linked it.
        invoice_number: The supplier's invoice number, if known.
    """

    administration: str
    project_id: str
    remote_id: str
    date: date
    ledger_account: str
    description: str | None = None
    amount: Decimal
    currency: str = "EUR"
    remote_relation_id: str | None = None
    relation_id: str | None = None
    invoice_number: str | None = None

    def __attrs_post_init__(self) -> None:
        check = StructureChecker(f"project cost {self.remote_id!r}")
        for name in ("administration", "project_id", "remote_id", "ledger_account"):
            check.text(name, getattr(self, name), optional=False)
        check.day("date", self.date, optional=False)
        check.money("amount", self.amount)
        check.done()
