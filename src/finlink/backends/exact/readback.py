"""Reading back: open items and project costs (reference ``exact-online.md`` §5.1, §5.3).

**Open items.** ``read/financial/ReceivablesList`` and ``PayablesList`` hold one row per open
payment term plus one per partial payment (a cash-flow row with the invoice's
``InvoiceNumber`` and a null ``YourRef``); a settled invoice has **no** rows ("absent row =
settled", §5.1). They carry no timestamp, so no server-side cursor exists. finlink therefore
reads both lists in full (60 rows a call) and groups the rows per invoice (account +
``InvoiceNumber``): the amount is the invoice row's (``EntryNumber == InvoiceNumber``, "for a
sales entry it would be the entrynumber"), what is open the sum of the group. The *cursor* is
a compressed snapshot of what was open at the last read; the next read reports what is new
or changed, and an invoice that left the lists is reported **once** with ``open_amount`` 0
(paid), then dropped from the snapshot. Credit notes keep Exact's sign (negative).

**Project costs.** ``financialtransaction/TransactionLines`` filtered on the cost-centre code
and the purchase types 30/31 (§5.1 "Purchases per cost center"); ``AmountDC`` is the cost
excluding VAT, negative for a credit note.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from finlink.backends.exact.connection import ExactConnection
from finlink.backends.exact.wire import as_decimal, datetime_literal, guid_literal, parse_date, text
from finlink.backends.exact.wire import string_literal as lit
from finlink.backends.protocol import ChangeSet
from finlink.backends.records import RemoteRecord
from finlink.model.enums import OpenItemKind
from finlink.model.readback import OpenItem, ProjectCost

__all__ = ["OpenItems", "read_project_costs"]

RECEIVABLES = "read/financial/ReceivablesList"
PAYABLES = "read/financial/PayablesList"
TRANSACTION_LINES = "financialtransaction/TransactionLines"
_CURSOR_PREFIX = "oi1:"
_SELECT = (
    "HID,AccountId,Amount,CurrencyCode,Description,DueDate,EntryNumber,InvoiceDate,"
    "InvoiceNumber,YourRef"
)


def _encode(snapshot: Mapping[str, list[Any]]) -> str:
    raw = json.dumps(snapshot, separators=(",", ":"), sort_keys=True).encode()
    return _CURSOR_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii")


def _decode(cursor: str | None) -> dict[str, list[Any]] | None:
    if not cursor or not cursor.startswith(_CURSOR_PREFIX):
        return None
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(cursor[len(_CURSOR_PREFIX) :]))
        data = json.loads(raw)
    except (ValueError, zlib.error):
        return None
    return data if isinstance(data, dict) else None


def _day(value: Any) -> date | None:
    moment = parse_date(value)
    return moment.date() if moment else None


class OpenItems:
    """Open items of one division, with the snapshot cursor described above.

    Args:
        conn: The division's calls.
        administration: The backend's administration id.
    """

    def __init__(self, conn: ExactConnection, *, administration: str) -> None:
        self.conn = conn
        self.administration = administration

    def _group(self, kind: OpenItemKind, rows: list[dict[str, Any]]) -> dict[str, OpenItem]:
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            key = f"{kind.value}:{row.get('InvoiceNumber')}:{row.get('AccountId')}"
            groups.setdefault(key, []).append(row)
        items: dict[str, OpenItem] = {}
        for key, group in groups.items():
            # The invoice's own row: its entry number is the invoice number, and only it
            # carries YourRef (a cash-flow row's is null, §5.3).
            invoice = max(
                group,
                key=lambda r: (
                    r.get("EntryNumber") == r.get("InvoiceNumber") and bool(text(r.get("YourRef"))),
                    bool(text(r.get("YourRef"))),
                    r.get("EntryNumber") == r.get("InvoiceNumber"),
                ),
            )
            open_amount = sum((as_decimal(r.get("Amount")) for r in group), Decimal("0.00"))
            items[key] = OpenItem(
                administration=self.administration,
                kind=kind,
                remote_id=key,
                remote_relation_id=str(invoice.get("AccountId")),
                invoice_number=text(invoice.get("YourRef")) or str(invoice.get("InvoiceNumber")),
                invoice_date=_day(invoice.get("InvoiceDate")),
                due_date=_day(invoice.get("DueDate")),
                amount=as_decimal(invoice.get("Amount")),
                open_amount=open_amount,
                currency=text(invoice.get("CurrencyCode")) or "EUR",
                description=text(invoice.get("Description")),
            )
        return items

    def _current(self, relation_remote_id: str | None) -> dict[str, OpenItem]:
        params = {"$select": _SELECT}
        if relation_remote_id is not None:
            params["$filter"] = f"AccountId eq {guid_literal(relation_remote_id)}"
        current: dict[str, OpenItem] = {}
        for path, kind in (
            (RECEIVABLES, OpenItemKind.RECEIVABLE),
            (PAYABLES, OpenItemKind.PAYABLE),
        ):
            current |= self._group(kind, list(self.conn.rows(path, params)))
        return current

    def read(self, cursor: str | None, *, relation_remote_id: str | None) -> ChangeSet[OpenItem]:
        """Open items: all (no cursor), or what changed since ``cursor``, paid ones once."""
        previous = _decode(cursor)
        current = self._current(relation_remote_id)
        snapshot = {key: _snap(item) for key, item in current.items()}
        if previous is None:
            reported = list(current.values())
            merged = snapshot
        else:
            reported = [item for key, item in current.items() if previous.get(key) != snapshot[key]]
            for key, old in previous.items():
                if key in current or (relation_remote_id and old[2] != relation_remote_id):
                    continue
                reported.append(_paid(self.administration, key, old))
            merged = {
                key: old
                for key, old in previous.items()
                if relation_remote_id is not None and old[2] != relation_remote_id
            } | snapshot
        records = tuple(
            RemoteRecord(
                administration=self.administration,
                remote_id=item.remote_id,
                data=item,
                version=str(item.open_amount),
            )
            for item in reported
        )
        return ChangeSet(records=records, cursor=_encode(merged), full=previous is None)


def _snap(item: OpenItem) -> list[Any]:
    return [
        str(item.amount),
        str(item.open_amount),
        item.remote_relation_id,
        item.invoice_number,
        item.kind.value,
        item.invoice_date.isoformat() if item.invoice_date else None,
        item.due_date.isoformat() if item.due_date else None,
        item.currency,
    ]


def _paid(administration: str, key: str, old: list[Any]) -> OpenItem:
    amount, _, relation, invoice, kind, invoiced, due, currency = old
    return OpenItem(
        administration=administration,
        kind=OpenItemKind(kind),
        remote_id=key,
        remote_relation_id=relation,
        invoice_number=invoice,
        invoice_date=date.fromisoformat(invoiced) if invoiced else None,
        due_date=date.fromisoformat(due) if due else None,
        amount=Decimal(amount),
        open_amount=Decimal("0.00"),
        currency=currency,
    )


def read_project_costs(
    conn: ExactConnection, *, administration: str, project_number: str, since: date | None
) -> list[ProjectCost]:
    """Purchase transaction lines on the cost centre ``project_number``."""
    clauses = [f"CostCenter eq {lit(project_number)}", "(Type eq 30 or Type eq 31)"]
    if since is not None:
        clauses.append(f"Date ge {datetime_literal(since)}")
    params = {
        "$filter": " and ".join(clauses),
        "$select": "ID,Date,GLAccountCode,Description,AmountDC,Currency,Account,YourRef",
    }
    costs: list[ProjectCost] = []
    for row in conn.rows(TRANSACTION_LINES, params):
        booked = parse_date(row.get("Date"))
        costs.append(
            ProjectCost(
                administration=administration,
                project_id=project_number,
                remote_id=str(row["ID"]),
                date=booked.date() if booked else date.min,
                ledger_account=text(row.get("GLAccountCode")) or "?",
                description=text(row.get("Description")),
                amount=as_decimal(row.get("AmountDC")),
                currency=text(row.get("Currency")) or "EUR",
                remote_relation_id=text(row.get("Account")),
                invoice_number=text(row.get("YourRef")),
            )
        )
    return costs
