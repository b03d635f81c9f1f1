"""Projects (cost centres) and bookings: invoices and credit notes with lines and a PDF."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

import attrs

from finlink.model._structure import StructureChecker
from finlink.model.enums import BookingKind, VatCategory
from finlink.model.vat import DUTCH_VAT_RATES, VatRates, round_cents

__all__ = ["Attachment", "Booking", "BookingLine", "BookingTotals", "Project"]


@attrs.frozen(kw_only=True)
class Project:
    """A CRM project, kept in the accounting system as a cost centre (kostenplaats).

    Attributes:
        id: The CRM's own key.
        number: The cost-centre code the administration shows (Exact: at most 8 characters;
            SnelStart: a number from 1 to 999 999 999).
        description: What the project is.
        active: False for a closed project; backends deactivate the cost centre.
    """

    id: str
    number: str
    description: str
    active: bool = True

    def __attrs_post_init__(self) -> None:
        check = StructureChecker(f"project {self.id!r}")
        for name in ("id", "number", "description"):
            check.text(name, getattr(self, name), optional=False)
        check.boolean("active", self.active)
        check.done()


@attrs.frozen(kw_only=True)
class Attachment:
    """A document attached to a booking, usually the invoice PDF.

    Attributes:
        file_name: File name shown in the administration, e.g. ``F2026-0042.pdf``.
        media_type: MIME type, e.g. ``application/pdf``.
        content: The file's bytes.
    """

    file_name: str
    media_type: str = "application/pdf"
    content: bytes = attrs.field(repr=lambda c: f"<{len(c)} bytes>")

    def __attrs_post_init__(self) -> None:
        check = StructureChecker(f"attachment {self.file_name!r}")
        check.text("file_name", self.file_name, optional=False)
        check.text("media_type", self.media_type, optional=False)
        if not isinstance(self.content, bytes):
            check.add("content", "type", f"must be bytes, not {type(self.content).__name__}")
        check.done()


@attrs.frozen(kw_only=True)
class BookingLine:
    """One line of a booking: an amount excluding VAT on a ledger account.

    Attributes:
        description: What the line is for.
        ledger_account: The ledger (grootboek) code as the administration knows it, e.g. ``8000``.
        amount: Amount excluding VAT, in the booking's currency, at most two decimals. Positive
            on invoices *and* credit notes (see :class:`BookingKind`); a negative line is a
            discount within the booking.
        vat_category: The VAT treatment.
        vat_amount: The VAT of this line when the CRM computed it itself and it must be kept
            (e.g. the printed invoice shows it); otherwise VAT is computed per category.
        project_id: The CRM key of the project whose cost centre the line is booked on.
    """

    description: str | None = None
    ledger_account: str
    amount: Decimal
    vat_category: VatCategory
    vat_amount: Decimal | None = None
    project_id: str | None = None

    def __attrs_post_init__(self) -> None:
        check = StructureChecker("booking line")
        check.text("description", self.description)
        check.text("ledger_account", self.ledger_account, optional=False)
        check.money("amount", self.amount)
        check.member("vat_category", self.vat_category, VatCategory)
        check.money("vat_amount", self.vat_amount, optional=True)
        check.text("project_id", self.project_id)
        check.done()


@attrs.frozen(kw_only=True)
class BookingTotals:
    """The totals of a booking, exact to the cent.

    Attributes:
        excl_vat: Sum of the line amounts.
        vat_by_category: VAT per category that occurs on the booking.
        base_by_category: Amount excluding VAT per category.
        vat: Total VAT.
        incl_vat: Total including VAT: what the relation pays (or is credited).
    """

    excl_vat: Decimal
    vat_by_category: Mapping[VatCategory, Decimal]
    base_by_category: Mapping[VatCategory, Decimal]
    vat: Decimal
    incl_vat: Decimal


@attrs.frozen(kw_only=True)
class Booking:
    """A sales or purchase invoice or credit note, as the CRM made it.

    Attributes:
        id: The CRM's own key.
        kind: Sales/purchase, invoice/credit note.
        relation_id: The CRM key of the customer or supplier.
        invoice_number: The invoice number as printed (sales) or as the supplier wrote it
            (purchases). Backends store it so a retry finds the booking instead of duplicating it.
        invoice_date: The invoice date.
        due_date: The due date, if the CRM sets one.
        payment_term_days: The payment term, if the CRM sets one instead of (or as well as) a
            due date; both must then agree.
        description: A description for the whole booking.
        currency: ISO 4217 code, default ``EUR``.
        lines: One or more lines.
        attachment: The invoice PDF (or other document), if any.
        administration: The administration this booking belongs to, where the CRM knows it;
            the router uses it.
    """

    id: str
    kind: BookingKind
    relation_id: str
    invoice_number: str
    invoice_date: date
    due_date: date | None = None
    payment_term_days: int | None = None
    description: str | None = None
    currency: str = "EUR"
    lines: tuple[BookingLine, ...]
    attachment: Attachment | None = None
    administration: str | None = None

    def __attrs_post_init__(self) -> None:
        check = StructureChecker(f"booking {self.id!r}")
        for name in ("id", "relation_id", "invoice_number", "currency"):
            check.text(name, getattr(self, name), optional=False)
        check.member("kind", self.kind, BookingKind)
        check.day("invoice_date", self.invoice_date, optional=False)
        check.day("due_date", self.due_date)
        check.integer("payment_term_days", self.payment_term_days)
        check.text("description", self.description)
        check.sequence("lines", self.lines, BookingLine)
        if self.attachment is not None and not isinstance(self.attachment, Attachment):
            check.add("attachment", "type", "must be an Attachment")
        check.text("administration", self.administration)
        check.done()

    @property
    def effective_due_date(self) -> date | None:
        """The due date, or the invoice date plus the payment term, or None."""
        if self.due_date is not None:
            return self.due_date
        if self.payment_term_days is not None:
            return self.invoice_date + timedelta(days=self.payment_term_days)
        return None

    def totals(self, rates: VatRates = DUTCH_VAT_RATES) -> BookingTotals:
        """Compute the totals, exact to the cent.

        VAT is computed per category on the sum of that category's line amounts and rounded
        half-up to cents once (as Dutch invoices print it), at the rate in force on the invoice
        date. A line with its own ``vat_amount`` keeps it; the category's computed VAT then
        covers only the other lines.

        Raises:
            KeyError: ``rates`` has no rate for a category used on the booking.
        """
        base: dict[VatCategory, Decimal] = {}
        computed_base: dict[VatCategory, Decimal] = {}
        overrides: dict[VatCategory, Decimal] = {}
        for line in self.lines:
            cat = line.vat_category
            base[cat] = base.get(cat, Decimal(0)) + line.amount
            if line.vat_amount is not None:
                overrides[cat] = overrides.get(cat, Decimal(0)) + line.vat_amount
            else:
                computed_base[cat] = computed_base.get(cat, Decimal(0)) + line.amount
        vat: dict[VatCategory, Decimal] = {}
        for cat in base:
            amount = overrides.get(cat, Decimal(0))
            if cat in computed_base:
                amount += rates.vat(computed_base[cat], cat, self.invoice_date)
            vat[cat] = round_cents(amount)
        excl = round_cents(sum(base.values(), Decimal(0)))
        total_vat = sum(vat.values(), Decimal("0.00"))
        return BookingTotals(
            excl_vat=excl,
            vat_by_category=vat,
            base_by_category={cat: round_cents(amount) for cat, amount in base.items()},
            vat=total_vat,
            incl_vat=excl + total_vat,
        )

    @property
    def total_excl_vat(self) -> Decimal:
        """Sum of the line amounts (excluding VAT)."""
        return self.totals().excl_vat

    @property
    def total_vat(self) -> Decimal:
        """Total VAT at the Dutch rates; use :meth:`totals` for another table."""
        return self.totals().vat

    @property
    def total_incl_vat(self) -> Decimal:
        """Total including VAT at the Dutch rates; use :meth:`totals` for another table."""
        return self.totals().incl_vat
