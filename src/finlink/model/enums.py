"""Enumerations of the domain model."""

from __future__ import annotations

import enum

__all__ = ["BookingKind", "OpenItemKind", "PaymentStatus", "RelationRole", "VatCategory"]


class RelationRole(enum.StrEnum):
    """What a relation is to the administration: a debtor (customer) or a creditor (supplier)."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"


class BookingKind(enum.StrEnum):
    """The four kinds of booking finlink sends.

    Amounts on credit notes are written as *positive* numbers, the amount credited; the kind
    makes them a credit. Backends turn them into the sign their vendor wants.
    """

    SALES_INVOICE = "sales_invoice"
    SALES_CREDIT_NOTE = "sales_credit_note"
    PURCHASE_INVOICE = "purchase_invoice"
    PURCHASE_CREDIT_NOTE = "purchase_credit_note"

    @property
    def is_sales(self) -> bool:
        """True for sales invoices and sales credit notes (the relation is a customer)."""
        return self in (BookingKind.SALES_INVOICE, BookingKind.SALES_CREDIT_NOTE)

    @property
    def is_credit(self) -> bool:
        """True for credit notes."""
        return self in (BookingKind.SALES_CREDIT_NOTE, BookingKind.PURCHASE_CREDIT_NOTE)

    @property
    def required_role(self) -> RelationRole:
        """The role the relation must have in the administration for this booking."""
        return RelationRole.CUSTOMER if self.is_sales else RelationRole.SUPPLIER


class VatCategory(enum.StrEnum):
    """VAT treatment of a booking line, as a Dutch or Belgian administration needs it.

    Backends map each category to the administration's own VAT code (looked up, never
    hard-coded); the rate of each category comes from a :class:`~finlink.VatRates` table.
    """

    HIGH = "high"
    """Standard rate (NL 21 %, BE 21 %)."""
    INTERMEDIATE = "intermediate"
    """Belgium's intermediate rate (12 %); a Dutch administration has no such rate."""
    LOW = "low"
    """Reduced rate (NL 9 %, BE 6 %)."""
    ZERO = "zero"
    """Zero rate: taxed at 0 % (e.g. some NL supplies)."""
    EXEMPT = "exempt"
    """Exempt from VAT (vrijgesteld), e.g. medical care, education."""
    REVERSE_CHARGE = "reverse_charge"
    """Domestic reverse charge (btw verlegd): the customer accounts for the VAT."""
    EU_GOODS = "eu_goods"
    """Intra-community supply or acquisition of goods (ICP)."""
    EU_SERVICES = "eu_services"
    """Intra-community services, VAT reverse-charged to the customer in another member state."""
    NON_EU = "non_eu"
    """Export of goods or services outside the EU (or import, on purchases)."""


class PaymentStatus(enum.StrEnum):
    """How far an open item has been paid."""

    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


class OpenItemKind(enum.StrEnum):
    """Whether an open item is owed to the administration (receivable) or by it (payable)."""

    RECEIVABLE = "receivable"
    PAYABLE = "payable"
