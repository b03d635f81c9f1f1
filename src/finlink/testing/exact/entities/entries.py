"""Sales and purchase entries, their lines, transaction lines and the open-item lists.

The open-item lists built from them live in :mod:`.open_items`.

Rules (reference §5.1, §5.3, §6): lines are posted inside the header POST; line ``AmountFC``
excludes VAT and the VAT follows from the line's VAT code (default: the G/L account's);
``CostCenter`` is a cost-centre *code*; invoicing an account that is not a customer fails
with 500 ``Ongeldig: Factuur voor (Type)`` (picqer#172); ``YourRef`` is stored and
filterable; the open-item lists hold one row per open term plus one per partial payment,
and an invoice leaves them when it is settled (see :mod:`.open_items`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from finlink.testing.exact.entities.base import (
    EntitySpec,
    Record,
    f,
    mandatory,
    max_length,
    stored,
)
from finlink.testing.exact.entities.crm import ACCOUNTS
from finlink.testing.exact.entities.ledger import COSTCENTERS, GL_ACCOUNTS, JOURNALS, VAT_CODES
from finlink.testing.exact.entities.ledger import find_by_code as _by_code
from finlink.testing.exact.store import DivisionStore, OpenItem
from finlink.testing.exact.wire import exact_error

__all__ = [
    "PURCHASE",
    "SALES",
    "TRANSACTION_LINES",
    "EntryKind",
    "create_entry",
    "delete_entry",
]

CENT = Decimal("0.01")


def _line_fields(header_key: str) -> tuple[Any, ...]:
    return (
        f("ID", "guid"),
        f("AmountDC", "double", ro=True),
        f("AmountFC", "double"),
        f("CostCenter"),
        f("CostCenterDescription", ro=True),
        f("CostUnit"),
        f("Description"),
        f("Division", "int", ro=True),
        f(header_key, "guid"),
        f("From", "datetime"),
        f("GLAccount", "guid"),
        f("GLAccountCode", ro=True),
        f("GLAccountDescription", ro=True),
        f("LineNumber", "int", ro=True),
        f("Notes"),
        f("Project", "guid"),
        f("Quantity", "double"),
        f("To", "datetime"),
        f("VATAmountFC", "double"),
        f("VATCode", ljust=3),
        f("VATCodeDescription", ro=True),
        f("VATPercentage", "double"),
    )


def _header_fields(party: str, lines: str) -> tuple[Any, ...]:
    return (
        f("EntryID", "guid"),
        f("AmountDC", "double", ro=True),
        f("AmountFC", "double", ro=True),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Currency", default="EUR"),
        f(party, "guid"),
        f(f"{party}Name", ro=True),
        f("Description"),
        f("Division", "int", ro=True),
        f("Document", "guid"),
        f("DueDate", "datetime"),
        f("EntryDate", "datetime"),
        f("EntryNumber", "int"),
        f("InvoiceNumber", "int"),
        f("Journal"),
        f("JournalDescription", ro=True),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("PaymentCondition"),
        f("PaymentReference"),
        f("ReportingPeriod", "int"),
        f("ReportingYear", "int"),
        f(lines, ro=True),
        f("Status", "int", ro=True, default=20),
        f("StatusDescription", ro=True, default="Open"),
        f("Type", "int", ro=True),
        f("TypeDescription", ro=True),
        f("VATAmountDC", "double", ro=True),
        f("VATAmountFC", "double"),
        f("YourRef"),
    )


@attrs.frozen(kw_only=True)
class EntryKind:
    """Sales or purchase: the names and numbers that differ between the two."""

    header: EntitySpec
    lines: EntitySpec
    party: str
    lines_field: str
    journal_types: frozenset[int]
    types: tuple[int, int]  # (invoice, credit note) — §5.1
    control_gl: str  # debtors 1300 / creditors 1600 in the sandbox's default ledger
    sign: int  # +1: sales book revenue as credit (negative AmountDC); -1 for purchase
    not_allowed: str  # business-rule error when the party lacks the role


SALES_LINES = EntitySpec(
    path="salesentry/SalesEntryLines",
    type_name="Exact.Web.Api.Models.SalesEntryLine",
    methods=frozenset({"GET"}),
    fields=_line_fields("EntryID"),
)
PURCHASE_LINES = EntitySpec(
    path="purchaseentry/PurchaseEntryLines",
    type_name="Exact.Web.Api.Models.PurchaseEntryLine",
    methods=frozenset({"GET"}),
    fields=_line_fields("EntryID"),
)
SALES = EntryKind(
    header=EntitySpec(
        path="salesentry/SalesEntries",
        type_name="Exact.Web.Api.Models.SalesEntry",
        key="EntryID",
        topic="SalesEntries",
        navigation={"SalesEntryLines": (SALES_LINES.path, "EntryID")},
        fields=_header_fields("Customer", "SalesEntryLines"),
    ),
    lines=SALES_LINES,
    party="Customer",
    lines_field="SalesEntryLines",
    journal_types=frozenset({20, 21}),
    types=(20, 21),
    control_gl="1300",
    sign=1,
    # picqer#172: "Error 500: Ongeldig: Factuur voor (Type)"
    not_allowed="Ongeldig: Factuur voor (Type)",
)
PURCHASE = EntryKind(
    header=EntitySpec(
        path="purchaseentry/PurchaseEntries",
        type_name="Exact.Web.Api.Models.PurchaseEntry",
        key="EntryID",
        topic="PurchaseEntries",
        navigation={"PurchaseEntryLines": (PURCHASE_LINES.path, "EntryID")},
        fields=_header_fields("Supplier", "PurchaseEntryLines"),
    ),
    lines=PURCHASE_LINES,
    party="Supplier",
    lines_field="PurchaseEntryLines",
    journal_types=frozenset({22, 23}),
    types=(30, 31),
    control_gl="1600",
    sign=-1,
    # The purchase-side twin of picqer#172's message; its exact wording is UNVERIFIED.
    not_allowed="Ongeldig: Factuur van (Type)",
)

TRANSACTION_LINES = EntitySpec(
    path="financialtransaction/TransactionLines",
    type_name="Exact.Web.Api.Models.Financial.TransactionLine",
    methods=frozenset({"GET"}),
    deleted_type=1,
    fields=(
        f("ID", "guid"),
        f("Account", "guid", ro=True),
        f("AccountCode", ro=True),
        f("AccountName", ro=True),
        f("AmountDC", "double", ro=True),
        f("AmountFC", "double", ro=True),
        f("AmountVATFC", "double", ro=True),
        f("CostCenter", ro=True),
        f("CostCenterDescription", ro=True),
        f("CostUnit", ro=True),
        f("Created", "datetime", ro=True),
        f("Currency", ro=True),
        f("Date", "datetime", ro=True),
        f("Description", ro=True),
        f("Division", "int", ro=True),
        f("Document", "guid", ro=True),
        f("DueDate", "datetime", ro=True),
        f("EntryID", "guid", ro=True),
        f("EntryNumber", "int", ro=True),
        f("FinancialPeriod", "int", ro=True),
        f("FinancialYear", "int", ro=True),
        f("GLAccount", "guid", ro=True),
        f("GLAccountCode", ro=True),
        f("GLAccountDescription", ro=True),
        f("InvoiceNumber", "int", ro=True),
        f("JournalCode", ro=True),
        f("JournalDescription", ro=True),
        f("LineNumber", "int", ro=True),
        f("Modified", "datetime", ro=True),
        f("Project", "guid", ro=True),
        f("Status", "int", ro=True),
        f("Type", "int", ro=True),
        f("VATCode", ro=True),
        f("VATPercentage", "double", ro=True),
        f("YourRef", ro=True),
    ),
)


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _line(kind: EntryKind, store: DivisionStore, payload: Any, number: int) -> tuple[Record, Any]:
    """One validated entry line and the G/L account its VAT is booked on."""
    if not isinstance(payload, Mapping):
        raise exact_error(400, f"Error processing request stream. '{kind.lines_field}'.")
    line = kind.lines.blank() | kind.lines.coerce(payload)
    mandatory(line, "GLAccount", "AmountFC", labels={"GLAccount": "Grootboekrekening"})
    gl = stored(store, GL_ACCOUNTS.path, line["GLAccount"], "Grootboekrekening")
    vat_code = line.get("VATCode") or gl.get("VATCode")
    vat = _by_code(store, VAT_CODES.path, vat_code)
    if vat_code is not None and vat is None:
        raise exact_error(400, f"Ongeldig: BTW-code {vat_code.strip()}")
    max_length(line, "CostCenter", 8)
    if line.get("CostCenter") is not None:
        center = _by_code(store, COSTCENTERS.path, line["CostCenter"])
        if center is None:
            raise exact_error(400, f"Ongeldig: Kostenplaats {line['CostCenter'].strip()}")
        line["CostCenter"] = center["Code"]
        line["CostCenterDescription"] = center["Description"]
    elif gl.get("UseCostcenter") == 1:  # 1 = mandatory (§5.1)
        raise exact_error(400, "Verplicht: Kostenplaats")
    percentage = Decimal(0)
    if vat is not None and vat.get("Type") != "N":
        percentage = Decimal(str(vat.get("Percentage") or 0))
    if line.get("VATAmountFC") is None:
        line["VATAmountFC"] = (line["AmountFC"] * percentage).quantize(CENT, ROUND_HALF_UP)
    line.update(
        ID=line.get("ID") or uuid.uuid4(),
        AmountDC=line["AmountFC"],
        GLAccountCode=gl["Code"],
        GLAccountDescription=gl["Description"],
        LineNumber=number,
        VATCode=vat["Code"] if vat else None,
        VATCodeDescription=vat["Description"] if vat else None,
        VATPercentage=percentage,
        Division=store.code,
    )
    return line, (vat or {}).get("GLToPay" if kind.sign > 0 else "GLToClaim")


def create_entry(kind: EntryKind, store: DivisionStore, payload: Mapping[str, Any]) -> Record:
    """Validate and book a sales or purchase entry with its lines.

    Raises:
        HttpError: 400 for missing/invalid fields, 500 for an account without the role.
    """
    header = kind.header.blank() | kind.header.coerce(payload)
    mandatory(header, kind.party, "Journal", labels={"Journal": "Dagboek"})
    party = stored(store, ACCOUNTS.path, header[kind.party], kind.party)
    is_allowed = party.get("Status") == "C" if kind.sign > 0 else party.get("IsSupplier")
    if not is_allowed:
        raise exact_error(500, kind.not_allowed)
    journal = _by_code(store, JOURNALS.path, header["Journal"])
    if journal is None or journal.get("Type") not in kind.journal_types:
        raise exact_error(400, f"Ongeldig: Dagboek {header['Journal']}")
    raw_lines = payload.get(kind.lines_field)
    if not isinstance(raw_lines, list) or not raw_lines:
        # §5.1: "You must include a parameter for 'SalesEntryLines' … when you POST"
        raise exact_error(400, f"Verplicht: {kind.lines_field}")
    built = [_line(kind, store, raw, number) for number, raw in enumerate(raw_lines, 1)]
    lines = [line for line, _ in built]
    vat_gls = {line["ID"]: vat_gl for line, vat_gl in built}
    entry_date = _day(header.get("EntryDate") or store.clock.now())
    condition = header.get("PaymentCondition")
    days = int(condition) if condition and condition.strip().isdigit() else 30
    net = sum((line["AmountFC"] for line in lines), Decimal(0))
    vat_total = sum((line["VATAmountFC"] for line in lines), Decimal(0))
    key = header.get("EntryID") or uuid.uuid4()
    if key in store.table(kind.header.path):
        raise exact_error(400, "Ongeldig: EntryID bestaat al")
    number = header.get("EntryNumber") or store.next_entry_number(journal["Code"], entry_date.year)
    credit = net + vat_total < 0
    header.update(
        EntryID=key,
        EntryDate=entry_date,
        DueDate=header.get("DueDate") or entry_date + timedelta(days=days),
        EntryNumber=number,
        InvoiceNumber=header.get("InvoiceNumber") or number,
        ReportingYear=header.get("ReportingYear") or entry_date.year,
        ReportingPeriod=header.get("ReportingPeriod") or entry_date.month,
        AmountFC=net + vat_total,
        AmountDC=net + vat_total,
        VATAmountFC=vat_total,
        VATAmountDC=vat_total,
        JournalDescription=journal["Description"],
        Type=kind.types[1] if credit else kind.types[0],
        TypeDescription="Creditnota" if credit else "Factuur",
        **{f"{kind.party}Name": party["Name"]},
    )
    for line in lines:
        line["EntryID"] = key
        store.insert(kind.lines.path, line["ID"], line, notify=False)
    store.insert(kind.header.path, key, header)
    _post_transaction_lines(
        kind=kind,
        store=store,
        header=header,
        party=party,
        journal=journal,
        lines=lines,
        vat_gls=vat_gls,
    )
    store.open_items[key] = OpenItem(hid=store.next_hid(), entry_id=key, sales=kind.sign > 0)
    return header


def _post_transaction_lines(
    *,
    kind: EntryKind,
    store: DivisionStore,
    header: Record,
    party: Record,
    journal: Record,
    lines: list[Record],
    vat_gls: Mapping[Any, Any],
) -> None:
    """Book the G/L lines: control account (line 0), one per entry line, one per VAT line."""
    glcodes = {row["ID"]: row for row in store.table(GL_ACCOUNTS.path).values()}
    control = _by_code(store, GL_ACCOUNTS.path, kind.control_gl)
    common = {
        "Account": party["ID"],
        "AccountCode": party["Code"],
        "AccountName": party["Name"],
        "Currency": header["Currency"],
        "Date": header["EntryDate"],
        "Document": header.get("Document"),
        "DueDate": header["DueDate"],
        "EntryID": header["EntryID"],
        "EntryNumber": header["EntryNumber"],
        "FinancialPeriod": header["ReportingPeriod"],
        "FinancialYear": header["ReportingYear"],
        "InvoiceNumber": header["InvoiceNumber"],
        "JournalCode": journal["Code"],
        "JournalDescription": journal["Description"],
        "Status": 20,
        "Type": header["Type"],
        "YourRef": header.get("YourRef"),
    }
    postings: list[Record] = [
        {
            "GLAccount": control["ID"] if control else None,
            "AmountDC": kind.sign * header["AmountFC"],
            "Description": header.get("Description"),
            "LineNumber": 0,
        }
    ]
    for line in lines:
        postings.append(
            {
                "GLAccount": line["GLAccount"],
                "AmountDC": -kind.sign * line["AmountFC"],
                "AmountVATFC": line["VATAmountFC"],
                "CostCenter": line.get("CostCenter"),
                "CostCenterDescription": line.get("CostCenterDescription"),
                "CostUnit": line.get("CostUnit"),
                "Description": line.get("Description") or header.get("Description"),
                "LineNumber": line["LineNumber"],
                "Project": line.get("Project"),
                "VATCode": line.get("VATCode"),
                "VATPercentage": line.get("VATPercentage"),
            }
        )
        if line["VATAmountFC"] and vat_gls.get(line["ID"]) is not None:
            postings.append(
                {
                    "GLAccount": vat_gls[line["ID"]],
                    "AmountDC": -kind.sign * line["VATAmountFC"],
                    "Description": line.get("VATCodeDescription"),
                    "LineNumber": line["LineNumber"],
                    "VATCode": line.get("VATCode"),
                }
            )
    for posting in postings:
        gl = glcodes.get(posting["GLAccount"], {})
        record = TRANSACTION_LINES.blank() | common | posting
        record.update(
            ID=uuid.uuid4(),
            AmountFC=record["AmountDC"],
            GLAccountCode=gl.get("Code"),
            GLAccountDescription=gl.get("Description"),
        )
        store.insert(TRANSACTION_LINES.path, record["ID"], record, notify=False)


def delete_entry(kind: EntryKind, store: DivisionStore, key: uuid.UUID) -> None:
    """Remove an entry, its lines, its transaction lines and its open item."""
    for path in (kind.lines.path, TRANSACTION_LINES.path):
        for row_key, row in list(store.table(path).items()):
            if row.get("EntryID") == key:
                deleted_type = TRANSACTION_LINES.deleted_type if path != kind.lines.path else None
                store.delete(path, row_key, deleted_type, notify=False)
    store.open_items.pop(key, None)
    store.delete(kind.header.path, key, kind.header.deleted_type)
