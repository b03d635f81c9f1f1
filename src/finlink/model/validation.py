"""Business-rule validation of relations, projects and bookings, every problem at once.

``check(record)`` returns every :class:`~finlink.Problem` (an empty tuple when the record is
fine); ``validate(record)`` raises one :class:`~finlink.ValidationError` carrying all of them.
Each problem names its field path (``contacts[1].email``) and rule (``email_format``), so a
host can show the bookkeeper exactly what to fix.

Vendor limits (field lengths, one contact per relation) are not checked here: they depend on
the backend, which reports them through its capabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

from finlink._errors import Problem, ValidationError
from finlink.model.booking import Attachment, Booking, BookingLine, Project
from finlink.model.enums import BookingKind
from finlink.model.identifiers import (
    RuleBreach,
    check_bic,
    check_coc_number,
    check_country,
    check_currency,
    check_email,
    check_iban,
    check_language,
    check_phone,
    check_postcode,
    check_vat_number,
    check_website,
)
from finlink.model.relation import Address, Contact, Relation
from finlink.model.vat import DUTCH_VAT_RATES, VatRates, round_cents

__all__ = ["check", "validate"]

#: Longest payment term finlink accepts, in days; longer is almost always a typing error.
MAX_PAYMENT_TERM_DAYS = 730

_Record = TypeVar("_Record", Relation, Project, Booking)


class _Collector:
    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, rule: str, message: str, value: object = None) -> None:
        shown = None if value is None else str(value)
        self.problems.append(Problem(path=path, rule=rule, message=message, value=shown))

    # The checks below run some twenty times a record and nearly always pass: a field path
    # under a prefix (``contacts[1].`` + ``email``) is only joined for a problem reported.

    def required(self, path: str, value: str | None, at: str = "") -> bool:
        """Report a missing or blank value; return whether the value is present."""
        if value is None or not value.strip():
            self.add(at + path, "required", "is required and may not be empty")
            return False
        return True

    def rule(
        self,
        path: str,
        value: str | None,
        checker: Callable[[str], RuleBreach | None],
        at: str = "",
    ) -> None:
        """Run an identifier check on an optional value."""
        if value is None:
            return
        if not value.strip():
            self.add(at + path, "blank", "is empty; leave it out (None) instead")
            return
        breach = checker(value)
        if breach is not None:
            self.add(at + path, breach[0], breach[1], value)

    def term(self, path: str, value: int | None) -> None:
        if value is not None and not 0 <= value <= MAX_PAYMENT_TERM_DAYS:
            self.add(
                path,
                "range",
                f"must be between 0 and {MAX_PAYMENT_TERM_DAYS} days",
                value,
            )


def check(
    record: Relation | Project | Booking, *, rates: VatRates = DUTCH_VAT_RATES
) -> tuple[Problem, ...]:
    """Return every business-rule problem of ``record`` (empty when it is valid).

    Args:
        record: A relation, project or booking.
        rates: The VAT table bookings are checked against (every category used needs a rate).
    """
    out = _Collector()
    if isinstance(record, Relation):
        _relation(out, record)
    elif isinstance(record, Project):
        _project(out, record)
    elif isinstance(record, Booking):
        _booking(out, record, rates)
    else:
        raise TypeError(f"cannot validate a {type(record).__name__}")
    return tuple(out.problems)


def validate(record: _Record, *, rates: VatRates = DUTCH_VAT_RATES) -> _Record:
    """Return ``record`` unchanged when it is valid.

    Raises:
        ValidationError: With every problem found, each with its field path and rule.
    """
    problems = check(record, rates=rates)
    if problems:
        kind = type(record).__name__.lower()
        raise ValidationError(problems, subject=f"{kind} {record.id!r}")
    return record


def _relation(out: _Collector, rel: Relation) -> None:
    out.required("id", rel.id)
    out.required("name", rel.name)
    if not rel.roles:
        out.add("roles", "required", "needs at least one role: customer, supplier or both")
    out.rule("number", rel.number, _anything)
    for name in ("visiting_address", "postal_address"):
        address = getattr(rel, name)
        if address is not None:
            _address(out, name, address)
    out.rule("email", rel.email, check_email)
    out.rule("phone", rel.phone, check_phone)
    out.rule("mobile", rel.mobile, check_phone)
    out.rule("website", rel.website, check_website)
    out.rule("vat_number", rel.vat_number, check_vat_number)
    country = rel.address.country if rel.address else None
    out.rule("coc_number", rel.coc_number, lambda v: check_coc_number(v, country))
    out.rule("iban", rel.iban, check_iban)
    out.rule("bic", rel.bic, check_bic)
    out.term("payment_term_days", rel.payment_term_days)
    out.rule("currency", rel.currency, check_currency)
    out.rule("language", rel.language, check_language)
    _contacts(out, rel.contacts)
    for key, value in rel.extra.items():
        if not isinstance(key, str):
            out.add("extra", "type", f"field names must be text, not {type(key).__name__}")
        elif value is not None and not isinstance(value, str | int | bool):
            out.add(f"extra.{key}", "type", "must be text, a whole number, true/false or None")


def _anything(_value: str) -> RuleBreach | None:
    """No rule beyond not being blank."""
    return None


def _address(out: _Collector, path: str, address: Address) -> None:
    at = f"{path}."
    out.required("line1", address.line1, at)
    out.required("city", address.city, at)
    country_ok = out.required("country", address.country, at)
    if country_ok:
        out.rule("country", address.country, check_country, at)
    if address.postcode is not None and country_ok:
        country = address.country
        out.rule("postcode", address.postcode, lambda v: check_postcode(v, country), at)
    out.rule("line2", address.line2, _anything, at)


def _contacts(out: _Collector, contacts: Iterable[Contact]) -> None:
    seen: set[str] = set()
    primaries = 0
    for index, contact in enumerate(contacts):
        at = f"contacts[{index}]."
        if out.required("id", contact.id, at):
            if contact.id in seen:
                out.add(f"{at}id", "unique", "is used by another contact of this relation")
            seen.add(contact.id)
        if not (contact.first_name or "").strip() and not (contact.last_name or "").strip():
            out.add(f"{at}last_name", "name_required", "a contact needs a first or last name")
        out.rule("email", contact.email, check_email, at)
        out.rule("phone", contact.phone, check_phone, at)
        primaries += contact.is_primary
    if primaries > 1:
        out.add("contacts", "one_primary", "at most one contact may be marked primary")


def _project(out: _Collector, project: Project) -> None:
    out.required("id", project.id)
    if out.required("number", project.number) and project.number != project.number.strip():
        out.add("number", "whitespace", "may not start or end with spaces", project.number)
    out.required("description", project.description)


def _booking(out: _Collector, booking: Booking, rates: VatRates) -> None:
    out.required("id", booking.id)
    out.required("relation_id", booking.relation_id)
    out.required("invoice_number", booking.invoice_number)
    out.rule("currency", booking.currency, check_currency)
    out.term("payment_term_days", booking.payment_term_days)
    if booking.due_date is not None:
        if booking.due_date < booking.invoice_date:
            out.add("due_date", "due_date_order", "may not be before the invoice date")
        elif (
            booking.payment_term_days is not None
            and booking.invoice_date + timedelta(days=booking.payment_term_days) != booking.due_date
        ):
            out.add(
                "due_date",
                "due_date_mismatch",
                f"does not match the invoice date plus the payment term of "
                f"{booking.payment_term_days} days; give one of the two or make them agree",
            )
    if not booking.lines:
        out.add("lines", "required", "a booking needs at least one line")
    for index, line in enumerate(booking.lines):
        _line(out, f"lines[{index}]", line, booking, rates)
    if booking.attachment is not None:
        _attachment(out, booking.attachment)
    if booking.lines and all(
        rates.has(line.vat_category, booking.invoice_date) for line in booking.lines
    ):
        _sign(out, booking, rates)


def _cents(value: Decimal) -> bool:
    # Decimal("1.500") is whole cents too; only digits beyond the cent are refused.
    return value == round_cents(value)


def _line(out: _Collector, path: str, line: BookingLine, booking: Booking, rates: VatRates) -> None:
    out.required(f"{path}.ledger_account", line.ledger_account)
    if not _cents(line.amount):
        out.add(
            f"{path}.amount", "cents", "may have at most two decimals (whole cents)", line.amount
        )
    if not rates.has(line.vat_category, booking.invoice_date):
        out.add(
            f"{path}.vat_category",
            "vat_rate_unknown",
            f"has no rate in the VAT table on {booking.invoice_date.isoformat()}",
            line.vat_category.value,
        )
    elif line.vat_amount is not None:
        rate = rates.rate(line.vat_category, booking.invoice_date)
        if not _cents(line.vat_amount):
            out.add(f"{path}.vat_amount", "cents", "may have at most two decimals", line.vat_amount)
        elif rate == 0 and line.vat_amount != 0:
            out.add(
                f"{path}.vat_amount",
                "vat_zero_rated",
                f"must be 0 for VAT category {line.vat_category.value!r}",
                line.vat_amount,
            )
        elif line.vat_amount * line.amount < 0:
            out.add(f"{path}.vat_amount", "vat_sign", "must have the same sign as the amount")
    if line.project_id is not None and not line.project_id.strip():
        out.add(f"{path}.project_id", "blank", "is empty; leave it out (None) instead")


def _attachment(out: _Collector, attachment: Attachment) -> None:
    out.required("attachment.file_name", attachment.file_name)
    if "/" not in attachment.media_type:
        out.add("attachment.media_type", "media_type", "must be a MIME type like application/pdf")
    if not attachment.content:
        out.add("attachment.content", "required", "the file is empty")
    elif attachment.media_type == "application/pdf" and not attachment.content.startswith(b"%PDF-"):
        out.add(
            "attachment.content", "pdf_signature", "is not a PDF file (it lacks the %PDF- header)"
        )


def _sign(out: _Collector, booking: Booking, rates: VatRates) -> None:
    total = booking.totals(rates).incl_vat
    if total < 0:
        if booking.kind.is_credit:
            message = (
                "the credit note totals a negative amount; write credit-note amounts as positive "
                "numbers (the amount credited): the kind makes it a credit"
            )
        else:
            other = (
                BookingKind.SALES_CREDIT_NOTE
                if booking.kind.is_sales
                else BookingKind.PURCHASE_CREDIT_NOTE
            )
            message = (
                f"the invoice totals a negative amount; send it as a {other.value} with "
                "positive amounts"
            )
        out.add("lines", "sign", message, total)
