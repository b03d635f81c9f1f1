"""``/verkoopboekingen`` and ``/inkoopboekingen``, and the invoice PDF (snelstart.md §3.6-§3.9).

The body (:func:`booking_body`, a pure function):

- ``boekingsregels``: one per line, the amount **excluding** VAT on the grootboek's GUID, with
  the line's btw-soort and kostenplaats ("De btw-bedragen staan hier niet in, deze staan in de
  Btw-collectie", SPEC);
- ``btw``: one entry per btw-soort, the VAT per category rounded to cents
  (:meth:`Booking.totals` at the administration's rates from ``/btwtarieven``), summed per soort;
- ``factuurbedrag`` = Σ ``bedrag`` + Σ ``btwBedrag`` of exactly the numbers sent, so BOE-0039
  ("De boeking is niet in balans", §5 quirk 8) cannot come from our rounding;
- credit notes carry SnelStart's sign: every amount negative (§3.6: a public script posts them
  as boekingen with negative amounts; UNVERIFIED as the intended way, but the only one seen);
- ``factuurnummer`` is the reference (the CRM invoice number, ≤ 25, BOE-0058): SnelStart
  refuses a second boeking with it (BOE-0021), and after an "outcome unknown" the engine finds
  it with ``/verkoopfacturen?$filter=Factuurnummer eq '…'`` (§3.8) instead of booking twice.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import attrs

from finlink._errors import NotFoundError, Problem, ValidationError
from finlink.backends.records import RemoteRecord
from finlink.backends.snelstart.context import Context
from finlink.backends.snelstart.limits import MAX_ATTACHMENT_BYTES
from finlink.backends.snelstart.wire import (
    JSON_HEADERS,
    decimal,
    encode_json,
    odata_string,
    parse_date,
    ref,
    ref_id,
)
from finlink.model.booking import Attachment, Booking, BookingLine
from finlink.model.enums import BookingKind, VatCategory
from finlink.model.vat import CENT, VatRates

__all__ = ["Bookings", "booking_body", "document_type"]

_PATHS = {True: "/verkoopboekingen", False: "/inkoopboekingen"}
_DOCUMENT_TYPES = {True: "Verkoopboekingen", False: "Inkoopboekingen"}
_CATEGORY_OF_SOORT = {
    "Hoog": VatCategory.HIGH,
    "Laag": VatCategory.LOW,
    "Overig": VatCategory.INTERMEDIATE,
    "Geen": VatCategory.ZERO,
}


def document_type(kind: BookingKind) -> str:
    """The ``{documenttype}`` of ``/documenten`` for a booking of ``kind`` (§3.9)."""
    return _DOCUMENT_TYPES[kind.is_sales]


def _btw_list_soort(category: VatCategory, line_soort: str, sales: bool) -> str | None:
    """The soort of a ``btw`` entry (§3.5): VerkopenHoog, InkopenLaag, …Verlegd; None for Geen."""
    side = "Verkopen" if sales else "Inkopen"
    if category is VatCategory.REVERSE_CHARGE:
        return f"{side}Verlegd"
    return None if line_soort == "Geen" else side + line_soort


def booking_body(
    booking: Booking,
    *,
    reference: str,
    relation_remote_id: str,
    ledger_ids: Mapping[str, str],
    cost_centre_ledgers: frozenset[str],
    kostenplaats_ids: Mapping[str, str],
    rates: VatRates,
    soorten: Mapping[VatCategory, str],
) -> dict[str, Any]:
    """The ``VerkoopBoekingModel`` / ``InkoopboekingModel`` for ``booking``.

    Args:
        booking: The booking (amounts positive on credit notes too).
        reference: The factuurnummer.
        relation_remote_id: The klant's or leverancier's GUID.
        ledger_ids: Ledger code → grootboek GUID.
        cost_centre_ledgers: Ledger codes that need a kostenplaats (``kostenplaatsVerplicht``).
        kostenplaats_ids: CRM project id → kostenplaats GUID.
        rates: The VAT rates per category and date.
        soorten: VAT category → btw-soort of a line.

    Raises:
        ValidationError: Every problem at once, each with its field path and rule.
    """
    problems: list[Problem] = []

    def problem(path: str, rule: str, message: str, value: str | None = None) -> None:
        problems.append(Problem(path=path, rule=rule, message=message, value=value))

    if len(reference) > 25:
        problem(
            "invoice_number",
            "max_length",
            "SnelStart's factuurnummer holds at most 25 characters (BOE-0058)",
            reference,
        )
    if booking.description is not None and len(booking.description) > 250:
        problem("description", "max_length", "at most 250 characters (BOE-0071)")
    if booking.currency != "EUR":
        problem("currency", "currency", "SnelStart books in euros only", booking.currency)
    sign = Decimal(-1) if booking.kind.is_credit else Decimal(1)
    lookups = _Lookups(
        sign=sign,
        ledger_ids=ledger_ids,
        cost_centre_ledgers=cost_centre_ledgers,
        kostenplaats_ids=kostenplaats_ids,
        soorten=soorten,
    )
    regels = [_regel(booking, i, line, lookups, problem) for i, line in enumerate(booking.lines)]
    try:
        totals = booking.totals(rates)
    except KeyError as exc:
        problem("lines", "vat_rate", f"no VAT rate in this administration: {exc.args[0]}")
        totals = None
    per_soort: dict[str, Decimal] = {}
    if totals is not None:
        for category, vat in totals.vat_by_category.items():
            soort = _btw_list_soort(category, soorten.get(category, "Geen"), booking.kind.is_sales)
            if vat == 0:
                continue
            if soort is None:
                problem(
                    "lines",
                    "vat_without_soort",
                    f"VAT {vat} on category {category.value}, "
                    "which SnelStart books as btw-soort Geen (no VAT)",
                )
                continue
            per_soort[soort] = per_soort.get(soort, Decimal(0)) + vat * sign
    term = _term(booking, problem)
    if problems:
        raise ValidationError(problems, subject=f"booking {booking.id!r} for SnelStart")
    btw = [{"btwSoort": s, "btwBedrag": amount} for s, amount in sorted(per_soort.items())]
    total = sum((r["bedrag"] for r in regels), Decimal(0)) + sum(per_soort.values(), Decimal(0))
    body: dict[str, Any] = {
        "factuurnummer": reference,
        "klant" if booking.kind.is_sales else "leverancier": ref(relation_remote_id),
        "factuurdatum": datetime.combine(booking.invoice_date, time()).isoformat(),
        "omschrijving": booking.description,
        "factuurbedrag": total,
        "boekingsregels": regels,
        "btw": btw,
    }
    if booking.kind.is_sales and term is not None:
        body["betalingstermijn"] = term  # §3.7: inkoopboekingen have no betalingstermijn.
    return {k: v for k, v in body.items() if v is not None}


_ProblemSink = Callable[..., None]


@attrs.frozen(kw_only=True)
class _Lookups:
    sign: Decimal
    ledger_ids: Mapping[str, str]
    cost_centre_ledgers: frozenset[str]
    kostenplaats_ids: Mapping[str, str]
    soorten: Mapping[VatCategory, str]


def _regel(
    booking: Booking, index: int, line: BookingLine, lookups: _Lookups, problem: _ProblemSink
) -> dict[str, Any]:
    path = f"lines[{index}]"
    grootboek = lookups.ledger_ids.get(line.ledger_account)
    if grootboek is None:
        problem(
            f"{path}.ledger_account",
            "unknown_ledger",
            "the administration has no active grootboek with this number",
            line.ledger_account,
        )
    if line.amount != line.amount.quantize(CENT):
        problem(f"{path}.amount", "cents", "amounts are sent in whole cents", str(line.amount))
    if line.amount == 0:
        problem(f"{path}.amount", "zero", "SnelStart refuses a line of 0 (BOE-0028)")
    if line.description is not None and len(line.description) > 250:
        problem(f"{path}.description", "max_length", "at most 250 characters (BOE-0071)")
    kostenplaats = None
    if line.project_id is not None:
        kostenplaats = lookups.kostenplaats_ids.get(line.project_id)
        if kostenplaats is None:
            problem(
                f"{path}.project_id",
                "unknown_project",
                "no SnelStart kostenplaats for this project (sync the project first)",
                line.project_id,
            )
    elif line.ledger_account in lookups.cost_centre_ledgers:
        problem(
            f"{path}.project_id",
            "cost_centre_required",
            f"grootboek {line.ledger_account} needs a kostenplaats on every line (BOE-0022)",
        )
    return {
        "omschrijving": line.description or booking.description,
        "grootboek": ref(grootboek),
        "kostenplaats": ref(kostenplaats),
        "bedrag": line.amount * lookups.sign,
        "btwSoort": lookups.soorten.get(line.vat_category, "Geen"),
    }


def _term(booking: Booking, problem: _ProblemSink) -> int | None:
    term = booking.payment_term_days
    if term is None and booking.due_date is not None:
        term = (booking.due_date - booking.invoice_date).days
    if term is not None and not 0 <= term <= 999 and booking.kind.is_sales:
        problem(
            "payment_term_days", "range", "SnelStart's betalingstermijn is 0 to 999 days", str(term)
        )
    return term


class Bookings:
    """The booking part of the backend."""

    def __init__(self, ctx: Context, *, soorten: Mapping[VatCategory, str], projects: Any) -> None:
        self._ctx = ctx
        self._soorten = dict(soorten)
        self._projects = projects
        #: booking GUID → is it a sale (for attach_document, which is not told the kind).
        self._sales: dict[str, bool] = {}

    def body(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> dict[str, Any]:
        """The checked wire body (reads reference data and kostenplaatsen on first use)."""
        snapshot = self._ctx.refs.get()
        kostenplaats_ids: dict[str, str] = {}
        wanted = {line.project_id for line in booking.lines if line.project_id is not None}
        for project_id in sorted(wanted):
            number = project_numbers.get(project_id)
            if number is None:
                continue
            found = self._projects.find(number)
            if found is not None:
                kostenplaats_ids[project_id] = found.remote_id
        ledgers = snapshot.data.ledger_accounts
        return booking_body(
            booking,
            reference=reference,
            relation_remote_id=relation_remote_id,
            ledger_ids={a.code: a.remote_id for a in ledgers if a.active},
            cost_centre_ledgers=frozenset(a.code for a in ledgers if a.requires_cost_centre),
            kostenplaats_ids=kostenplaats_ids,
            rates=snapshot.vat_rates,
            soorten=self._soorten,
        )

    def create(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> RemoteRecord[Booking]:
        """POST the boeking; a lost answer raises ``OutcomeUnknownError`` with ``reference``."""
        body = self.body(
            booking,
            relation_remote_id=relation_remote_id,
            project_numbers=project_numbers,
            reference=reference,
        )
        answer = self._ctx.api.request_json(
            "POST",
            _PATHS[booking.kind.is_sales],
            content=encode_json(body),
            headers=JSON_HEADERS,
            reference=reference,
        )
        remote_id = str(answer["id"])
        self._sales[remote_id] = booking.kind.is_sales
        return RemoteRecord(
            administration=self._ctx.administration,
            remote_id=remote_id,
            data=booking,
            crm_key=reference,
            version=answer.get("modifiedOn"),
        )

    def find(self, kind: BookingKind, reference: str) -> RemoteRecord[Booking] | None:
        """The boeking of ``kind`` whose factuurnummer is ``reference``, via the invoice list.

        SnelStart has no list of boekingen (§5 quirk 11); ``/verkoopfacturen`` and
        ``/inkoopfacturen`` carry the factuurnummer and a link to the boeking. A credit note
        is told from an invoice by the sign of ``factuurBedrag``.
        """
        path = "/verkoopfacturen" if kind.is_sales else "/inkoopfacturen"
        params = {"$filter": f"Factuurnummer eq {odata_string(reference)}"}
        rows = self._ctx.api.get_json(path, params) or []
        for row in rows:
            if (decimal(row.get("factuurBedrag")) < 0) != kind.is_credit:
                continue
            link = row.get("verkoopBoeking") if kind.is_sales else row.get("inkoopBoeking")
            boeking_id = ref_id(link)
            if boeking_id is None:
                continue
            boeking = self._ctx.api.get_json(f"{_PATHS[kind.is_sales]}/{boeking_id}")
            self._sales[boeking_id] = kind.is_sales
            return RemoteRecord(
                administration=self._ctx.administration,
                remote_id=boeking_id,
                data=self._from_wire(kind, boeking),
                crm_key=reference,
                version=boeking.get("modifiedOn"),
            )
        return None

    def _from_wire(self, kind: BookingKind, body: Mapping[str, Any]) -> Booking:
        codes = self._ctx.refs.get().ledger_codes
        numbers = {str(r["id"]): str(n) for n, r in self._ctx.refs.kostenplaatsen().items()}
        sign = Decimal(-1) if kind.is_credit else Decimal(1)
        lines = tuple(
            BookingLine(
                description=regel.get("omschrijving"),
                ledger_account=codes.get(ref_id(regel.get("grootboek")) or "", "?"),
                amount=decimal(regel.get("bedrag")) * sign,
                vat_category=_CATEGORY_OF_SOORT.get(
                    regel.get("btwSoort") or "Geen", VatCategory.ZERO
                ),
                project_id=numbers.get(ref_id(regel.get("kostenplaats")) or ""),
            )
            for regel in body.get("boekingsregels") or ()
        )
        party = body.get("klant") if kind.is_sales else body.get("leverancier")
        return Booking(
            id=str(body["factuurnummer"]),
            kind=kind,
            relation_id=ref_id(party) or "",
            invoice_number=str(body["factuurnummer"]),
            invoice_date=parse_date(body.get("factuurdatum")) or self._ctx.clock.now().date(),
            payment_term_days=body.get("betalingstermijn"),
            description=body.get("omschrijving"),
            lines=lines,
        )

    def attach(self, booking_remote_id: str, attachment: Attachment) -> str:
        """POST the document to ``/documenten/{Verkoopboekingen|Inkoopboekingen}`` (§3.9).

        Raises:
            ValidationError: Larger than 10 MB (BLG-0006) or a file name over 255 characters.
        """
        problems = []
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            problems.append(
                Problem(
                    path="attachment.content",
                    rule="max_size",
                    message="SnelStart takes documents up to 10 MB (BLG-0006)",
                )
            )
        if len(attachment.file_name) > 255:
            problems.append(
                Problem(
                    path="attachment.file_name",
                    rule="max_length",
                    message="file name too long for SnelStart (BLG-0017)",
                )
            )
        if problems:
            raise ValidationError(problems, subject=f"attachment {attachment.file_name!r}")
        body = {
            "content": base64.b64encode(attachment.content).decode("ascii"),
            "parentIdentifier": booking_remote_id,
            "fileName": attachment.file_name,
            "readOnly": False,
        }
        known = self._sales.get(booking_remote_id)
        order = [known] if known is not None else [True, False]
        for index, sales in enumerate(order):
            try:
                answer = self._ctx.api.request_json(
                    "POST",
                    f"/documenten/{_DOCUMENT_TYPES[sales]}",
                    json=body,
                    reference=attachment.file_name,
                )
            except NotFoundError:
                # Not told the kind (a booking made by an earlier process): try the other.
                if index == len(order) - 1:
                    raise
                continue
            return str(answer["id"])
        raise NotFoundError(f"SnelStart has no boeking {booking_remote_id}")  # pragma: no cover
