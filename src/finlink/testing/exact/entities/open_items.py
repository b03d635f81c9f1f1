"""``read/financial/ReceivablesList`` and ``PayablesList``: open items per payment term.

One row per open term, plus one row per partial payment (a cash-flow entry against the
invoice whose ``YourRef`` is null — "Will be null if it is a cashflow entry", §5.3); a
settled invoice has no rows ("absent row = settled", §5.1).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from finlink.testing.exact.entities.base import EntitySpec, Record, f
from finlink.testing.exact.entities.crm import ACCOUNTS
from finlink.testing.exact.entities.entries import PURCHASE, SALES
from finlink.testing.exact.store import DivisionStore

__all__ = ["PAYABLES", "RECEIVABLES", "open_item_rows"]


def _open_item_fields(extra: tuple[Any, ...]) -> tuple[Any, ...]:
    return (
        f("HID", "int64", ro=True),
        f("AccountCode", ro=True),
        f("AccountId", "guid", ro=True),
        f("AccountName", ro=True),
        f("Amount", "double", ro=True),
        f("AmountInTransit", "double", ro=True),
        *extra,
        f("CurrencyCode", ro=True),
        f("Description", ro=True),
        f("DueDate", "datetime", ro=True),
        f("EntryNumber", "int", ro=True),
        f("Id", "guid", ro=True),
        f("InvoiceDate", "datetime", ro=True),
        f("InvoiceNumber", "int", ro=True),
        f("JournalCode", ro=True),
        f("JournalDescription", ro=True),
        f("YourRef", ro=True),
    )


RECEIVABLES = EntitySpec(
    path="read/financial/ReceivablesList",
    type_name="Exact.Web.Api.Models.Financial.ReceivablesList",
    key="HID",
    methods=frozenset({"GET"}),
    fields=_open_item_fields(()),
)
PAYABLES = EntitySpec(
    path="read/financial/PayablesList",
    type_name="Exact.Web.Api.Models.Financial.PayablesList",
    key="HID",
    methods=frozenset({"GET"}),
    fields=_open_item_fields((f("ApprovalStatus", "int", ro=True),)),
)


def open_item_rows(store: DivisionStore, sales: bool) -> list[Record]:
    """The ReceivablesList (``sales``) or PayablesList rows: one per open term and payment."""
    kind = SALES if sales else PURCHASE
    spec = RECEIVABLES if sales else PAYABLES
    rows: list[Record] = []
    for item in store.open_items.values():
        if item.sales != sales:
            continue
        entry = store.table(kind.header.path)[item.entry_id]
        paid = sum((payment.amount for payment in item.payments), Decimal(0))
        if paid == entry["AmountFC"]:
            continue  # settled: an absent row means paid (§5.1)
        party = store.table(ACCOUNTS.path).get(entry[kind.party], {})
        base = spec.blank() | {
            "AccountCode": party.get("Code"),
            "AccountId": entry[kind.party],
            "AccountName": party.get("Name"),
            "AmountInTransit": Decimal(0),
            "CurrencyCode": entry["Currency"],
            "DueDate": entry["DueDate"],
            "InvoiceNumber": entry["InvoiceNumber"],
        }
        rows.append(
            base
            | {
                "HID": item.hid,
                "Amount": entry["AmountFC"],
                "Description": entry.get("Description"),
                "EntryNumber": entry["EntryNumber"],
                "InvoiceDate": entry["EntryDate"],
                "JournalCode": entry["Journal"],
                "JournalDescription": entry["JournalDescription"],
                "YourRef": entry.get("YourRef"),
            }
        )
        for payment in item.payments:
            # A partial payment is a cash-flow entry row against the invoice; its YourRef
            # is null ("Will be null if it is a cashflow entry", §5.3).
            rows.append(
                base
                | {
                    "HID": payment.hid,
                    "Amount": -payment.amount,
                    "Description": f"Betaling {entry['InvoiceNumber']}",
                    "EntryNumber": payment.entry_number,
                    "InvoiceDate": payment.date,
                    "JournalCode": "20",
                    "JournalDescription": "Bank",
                }
            )
    return rows
