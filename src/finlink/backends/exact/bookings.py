"""Cost centres, sales and purchase entries, and their PDFs (reference ``exact-online.md``).

- Projects are cost centres, ``hrm/Costcenters``: ``Code`` ≤ 8, ``Description`` ≤ 60 (§5.1,
  §5.3 [I]); ``Active`` is obsolete, so "inactive" is an ``EndDate`` that has passed.
- Bookings are ``salesentry/SalesEntries`` / ``purchaseentry/PurchaseEntries`` with their lines
  in the same POST (§5.1 "Lines are posted with the header"): one call. Line ``AmountFC``
  excludes VAT; a credit note is the same entry with **negative** amounts (Exact makes it
  type 21/31, §5.1 "Credit notes"); ``GLAccount`` is a GUID, ``VATCode`` the division's code,
  ``CostCenter`` the cost-centre *code* (§0 fact 14). The CRM invoice number goes into
  ``YourRef`` (ossobv keeps it there, §5.1 "Invoice number"), which ``find_booking`` filters.
- A PDF is a ``documents/Documents`` (linked by ``FinancialTransactionEntryID``) plus a
  ``documents/DocumentAttachments`` with the file in base64 (§5.1, picqer#178): two calls.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from finlink._errors import NotFoundError, Problem, ValidationError
from finlink.backends.exact.connection import ExactConnection
from finlink.backends.exact.ledger import DivisionReference
from finlink.backends.exact.mapping import FIELD_MAX_LENGTHS
from finlink.backends.exact.settings import ExactSettings
from finlink.backends.exact.wire import as_decimal, iso_day, parse_date, text
from finlink.backends.exact.wire import string_literal as lit
from finlink.backends.records import RemoteRecord
from finlink.clock import Clock
from finlink.model.booking import Attachment, Booking, BookingLine, Project
from finlink.model.enums import BookingKind, VatCategory

__all__ = ["ATTACHMENT_LIMIT", "Bookings"]

COSTCENTERS = "hrm/Costcenters"
DOCUMENTS = "documents/Documents"
ATTACHMENTS = "documents/DocumentAttachments"
#: "a single POST ≤ 10.0 MB; for binaries the raw (not base64) size counts" (§3).
ATTACHMENT_LIMIT = 10 * 1024 * 1024
_CENT = Decimal("0.01")
_KEYS = uuid.UUID("4f0e52c6-2b41-4d63-9d0c-5a8f3e7c1b27")


class _Kind:
    def __init__(self, path: str, party: str, lines: str, types: tuple[int, int]) -> None:
        self.path, self.party, self.lines, self.types = path, party, lines, types


_SALES = _Kind("salesentry/SalesEntries", "Customer", "SalesEntryLines", (20, 21))
_PURCHASE = _Kind("purchaseentry/PurchaseEntries", "Supplier", "PurchaseEntryLines", (30, 31))


def _kind(kind: BookingKind) -> _Kind:
    return _SALES if kind.is_sales else _PURCHASE


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, ROUND_HALF_UP)


class Bookings:
    """The project, booking and document operations of one division.

    Args:
        conn: The division's calls.
        administration: The backend's administration id.
        settings: Journals, VAT overrides, document types, client keys.
        reference: Returns the (cached) reference data of the division.
        clock: For "today" (deactivating a cost centre).
    """

    def __init__(
        self,
        conn: ExactConnection,
        *,
        administration: str,
        settings: ExactSettings,
        reference: Callable[[], DivisionReference],
        clock: Clock,
    ) -> None:
        self.conn = conn
        self.administration = administration
        self.settings = settings
        self.reference = reference
        self.clock = clock
        #: Entries made by this process: entry id → (kind, party id, reference, date).
        self._entries: dict[str, tuple[BookingKind, str, str, date]] = {}

    # -- projects (cost centres) -----------------------------------------------------------

    def _project_record(self, row: Mapping[str, Any]) -> RemoteRecord[Project]:
        end = parse_date(row.get("EndDate"))
        active = end is None or end > self.clock.now()
        number = text(row.get("Code")) or ""
        return RemoteRecord(
            administration=self.administration,
            remote_id=str(row["ID"]),
            data=Project(
                id=number,
                number=number,
                description=text(row.get("Description")) or "",
                active=active,
            ),
            crm_key=number,
            modified_at=parse_date(row.get("Modified")),
            active=active,
        )

    def _check_project(self, project: Project) -> None:
        problems = [
            Problem(
                path=name,
                rule="max_length",
                message=f"an Exact Online cost centre {label} has at most {limit} characters "
                f"(this one has {len(value)})",
                value=value,
            )
            for name, label, value in (
                ("number", "code", project.number),
                ("description", "description", project.description),
            )
            if len(value) > (limit := FIELD_MAX_LENGTHS[f"project.{name}"])
        ]
        if problems:
            raise ValidationError(problems, subject=f"project {project.id!r} for Exact Online")

    def find_project(self, number: str) -> RemoteRecord[Project] | None:
        """The cost centre with ``Code`` ``number`` (one GET), or None."""
        if len(number) > FIELD_MAX_LENGTHS["project.number"]:
            return None
        rows = self.conn.first_page(COSTCENTERS, {"$filter": f"Code eq {lit(number)}"})
        return self._project_record(rows[0]) if rows else None

    def _end_date(self, active: bool) -> str | None:
        return None if active else iso_day(self.clock.now().date())

    def create_project(self, project: Project) -> RemoteRecord[Project]:
        """POST the cost centre.

        Raises:
            ValidationError: Code longer than 8 or description longer than 60 (nothing sent).
        """
        self._check_project(project)
        body: dict[str, Any] = {"Code": project.number, "Description": project.description}
        if not project.active:
            body["EndDate"] = self._end_date(False)
        return self._project_record(self.conn.post(COSTCENTERS, body, reference=project.number))

    def update_project(self, remote_id: str, project: Project) -> RemoteRecord[Project]:
        """PUT description and end date (the code cannot change, §5.1 "recode function").

        Raises:
            ValidationError: The description is longer than 60 (nothing sent).
        """
        self._check_project(project)
        body = {"Description": project.description, "EndDate": self._end_date(project.active)}
        self.conn.put(COSTCENTERS, remote_id, body)
        return self._project_record({"ID": remote_id, "Code": project.number, **body})

    def deactivate_project(self, remote_id: str) -> None:
        """End the cost centre today (``Active`` is obsolete, §5.3)."""
        self.conn.put(COSTCENTERS, remote_id, {"EndDate": self._end_date(False)})

    # -- bookings ------------------------------------------------------------------------

    def entry_key(self, kind: BookingKind, reference: str) -> str:
        """The deterministic ``EntryID`` of the entry carrying ``reference``."""
        name = f"{self.conn.division}:{kind.value}:{reference}"
        return str(uuid.uuid5(_KEYS, name))

    def _lines(
        self,
        booking: Booking,
        ref: DivisionReference,
        project_numbers: Mapping[str, str],
    ) -> list[dict[str, Any]]:
        sales = booking.kind.is_sales
        sign = Decimal(-1) if booking.kind.is_credit else Decimal(1)
        vat_map = ref.sales_vat if sales else ref.purchase_vat
        problems: list[Problem] = []
        lines: list[dict[str, Any]] = []
        for number, line in enumerate(booking.lines):
            path = f"lines[{number}]"
            gl = ref.gl_id(line.ledger_account)
            if gl is None:
                problems.append(
                    Problem(
                        path=f"{path}.ledger_account",
                        rule="unknown_ledger_account",
                        message=f"division {self.conn.division} has no G/L account "
                        f"{line.ledger_account}",
                        value=line.ledger_account,
                    )
                )
            vat = vat_map.get(line.vat_category)
            if vat is None:
                problems.append(
                    Problem(
                        path=f"{path}.vat_category",
                        rule="unknown_vat_code",
                        message=f"division {self.conn.division} has no "
                        f"{'sales' if sales else 'purchase'} VAT code for "
                        f"{line.vat_category.value}; map one in ExactSettings.vat_codes",
                        value=line.vat_category.value,
                    )
                )
            body: dict[str, Any] = {
                "GLAccount": gl,
                "AmountFC": float(sign * line.amount),
                "VATCode": vat,
                "Description": line.description or booking.description,
            }
            if line.vat_amount is not None:
                body["VATAmountFC"] = float(sign * line.vat_amount)
            if line.project_id is not None:
                centre = project_numbers.get(line.project_id)
                limit = FIELD_MAX_LENGTHS["booking_line.cost_centre"]
                if centre is None or len(centre) > limit:
                    problems.append(
                        Problem(
                            path=f"{path}.project_id",
                            rule="cost_centre",
                            message="the line's project has no Exact cost centre code of at "
                            f"most {limit} characters",
                            value=line.project_id,
                        )
                    )
                body["CostCenter"] = centre
            lines.append(body)
        if problems:
            raise ValidationError(problems, subject=f"booking {booking.id!r} for Exact Online")
        self._round_like_finlink(booking, lines, ref, sign)
        return lines

    @staticmethod
    def _round_like_finlink(
        booking: Booking, lines: list[dict[str, Any]], ref: DivisionReference, sign: Decimal
    ) -> None:
        """Where Exact's per-line VAT rounding would differ from finlink's per-category sum.

        Exact computes each line's VAT from its code (§5.3 ``VATAmountFC``); finlink rounds
        once per category (as the printed invoice does). When the two differ by a cent, the
        lines of that category get explicit ``VATAmountFC`` values adding up to finlink's.
        """
        groups: dict[VatCategory, list[tuple[BookingLine, dict[str, Any]]]] = {}
        for line, body in zip(booking.lines, lines, strict=True):
            if line.vat_amount is None:
                groups.setdefault(line.vat_category, []).append((line, body))
        for group in groups.values():
            rate = ref.rates.get(group[0][1]["VATCode"], Decimal(0))
            per_line = [_cents(line.amount * rate) for line, _ in group]
            wanted = _cents(sum((line.amount for line, _ in group), Decimal(0)) * rate)
            if sum(per_line, Decimal(0)) == wanted:
                continue
            per_line[-1] += wanted - sum(per_line, Decimal(0))
            for (_, body), vat in zip(group, per_line, strict=True):
                body["VATAmountFC"] = float(sign * vat)

    def create(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> RemoteRecord[Booking]:
        """POST the entry with its lines (one call; the PDF goes through :meth:`attach`).

        Raises:
            ValidationError: Unknown ledger code, no VAT code for a category, a line's project
                without a cost centre code (nothing sent).
            OutcomeUnknownError: The POST may have landed; :meth:`find` by reference.
            RemoteValidationError: Exact refused it (e.g. the relation lacks the role, or an
                entry with this reference exists when ``client_keys`` is on).
        """
        ref = self.reference()
        kind = _kind(booking.kind)
        sales = booking.kind.is_sales
        journal = (self.settings.sales_journal if sales else self.settings.purchase_journal) or (
            ref.default_sales_journal if sales else ref.default_purchase_journal
        )
        if journal is None:
            raise ValidationError(
                [
                    Problem(
                        path="kind",
                        rule="journal",
                        message="the division has no open "
                        f"{'sales' if sales else 'purchase'} journal; set one in ExactSettings",
                    )
                ],
                subject=f"booking {booking.id!r} for Exact Online",
            )
        body: dict[str, Any] = {
            kind.party: relation_remote_id,
            "Journal": journal,
            "EntryDate": iso_day(booking.invoice_date),
            "YourRef": reference,
            "Description": booking.description or reference,
            "Currency": booking.currency,
            kind.lines: self._lines(booking, ref, project_numbers),
        }
        due = booking.effective_due_date
        if due is not None:
            body["DueDate"] = iso_day(due)
        if self.settings.client_keys:
            body["EntryID"] = self.entry_key(booking.kind, reference)
        row = self.conn.post(kind.path, body, reference=reference)
        entry_id = str(row["EntryID"])
        self._entries[entry_id] = (
            booking.kind,
            relation_remote_id,
            reference,
            booking.invoice_date,
        )
        return RemoteRecord(
            administration=self.administration,
            remote_id=entry_id,
            data=booking,
            crm_key=reference,
            modified_at=parse_date(row.get("Modified")),
        )

    def find(self, kind: BookingKind, reference: str) -> RemoteRecord[Booking] | None:
        """The entry of ``kind`` whose ``YourRef`` is ``reference`` (one GET), or None."""
        spec = _kind(kind)
        entry_type = spec.types[1] if kind.is_credit else spec.types[0]
        params = {
            "$filter": f"YourRef eq {lit(reference)} and Type eq {entry_type}",
            "$expand": spec.lines,
        }
        rows = self.conn.first_page(spec.path, params)
        if not rows:
            return None
        row = rows[0]
        return RemoteRecord(
            administration=self.administration,
            remote_id=str(row["EntryID"]),
            data=self._booking_from(kind, row),
            crm_key=text(row.get("YourRef")),
            modified_at=parse_date(row.get("Modified")),
        )

    def _booking_from(self, kind: BookingKind, row: Mapping[str, Any]) -> Booking:
        spec = _kind(kind)
        ref = self.reference()
        sign = Decimal(-1) if kind.is_credit else Decimal(1)
        raw = row.get(spec.lines)
        rows = raw.get("results", []) if isinstance(raw, Mapping) else []
        lines = tuple(
            BookingLine(
                description=text(line.get("Description")),
                ledger_account=ref.gl_code(str(line.get("GLAccount"))) or str(line["GLAccount"]),
                amount=sign * as_decimal(line.get("AmountFC")),
                vat_category=ref.category_of(line.get("VATCode")) or VatCategory.ZERO,
                project_id=text(line.get("CostCenter")),
            )
            for line in rows
        )
        entry_date = parse_date(row.get("EntryDate"))
        due = parse_date(row.get("DueDate"))
        return Booking(
            id=text(row.get("YourRef")) or str(row["EntryID"]),
            kind=kind,
            relation_id=str(row.get(spec.party)),
            invoice_number=text(row.get("YourRef")) or str(row.get("InvoiceNumber")),
            invoice_date=entry_date.date() if entry_date else self.clock.now().date(),
            due_date=due.date() if due else None,
            description=text(row.get("Description")),
            currency=text(row.get("Currency")) or "EUR",
            lines=lines,
        )

    # -- documents -----------------------------------------------------------------------

    def _entry_info(self, entry_id: str) -> tuple[BookingKind, str, str, date]:
        known = self._entries.get(entry_id)
        if known is not None:
            return known
        for kind in (BookingKind.SALES_INVOICE, BookingKind.PURCHASE_INVOICE):
            spec = _kind(kind)
            try:
                row = self.conn.get(spec.path, entry_id)
            except NotFoundError:
                continue
            entry_date = parse_date(row.get("EntryDate")) or self.clock.now()
            return kind, str(row[spec.party]), text(row.get("YourRef")) or "", entry_date.date()
        raise NotFoundError(
            f"no sales or purchase entry {entry_id} in division {self.conn.division}",
            administration=self.administration,
        )

    def attach(self, entry_id: str, attachment: Attachment) -> str:
        """Attach the file to the entry: a Document, then its DocumentAttachment (two calls).

        Raises:
            ValidationError: The file is larger than 10 MB (nothing sent).
            NotFoundError: No such entry.
        """
        size = len(attachment.content)
        if size > ATTACHMENT_LIMIT:
            raise ValidationError(
                [
                    Problem(
                        path="attachment.content",
                        rule="max_size",
                        message=f"Exact Online accepts files up to 10 MB; this one has "
                        f"{size} bytes",
                    )
                ],
                subject=f"attachment {attachment.file_name!r}",
            )
        kind, party, reference, entry_date = self._entry_info(entry_id)
        sales = kind.is_sales
        document: dict[str, Any] = {
            "Subject": f"{reference} {attachment.file_name}".strip(),
            "Type": self.settings.sales_document_type
            if sales
            else self.settings.purchase_document_type,
            "Account": party,
            "DocumentDate": iso_day(entry_date),
            "FinancialTransactionEntryID": entry_id,
        }
        if self.settings.client_keys:
            document["ID"] = str(uuid.uuid5(_KEYS, f"{entry_id}:{attachment.file_name}"))
        made = self.conn.post(DOCUMENTS, document, reference=reference)
        document_id = str(made["ID"])
        self.conn.post(
            ATTACHMENTS,
            {
                "Document": document_id,
                "FileName": attachment.file_name,
                "Attachment": base64.b64encode(attachment.content).decode("ascii"),
            },
            reference=reference,
        )
        return document_id
