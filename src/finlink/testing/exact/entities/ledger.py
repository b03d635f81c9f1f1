"""Reference data: G/L accounts, VAT codes, journals and cost centres.

Endpoints ``financial/GLAccounts``, ``vat/VATCodes``, ``financial/Journals`` and
``hrm/Costcenters`` (reference §5.1, §5.3).
"""

from __future__ import annotations

from finlink.testing.exact.entities.base import EntitySpec, Record, f, mandatory, max_length
from finlink.testing.exact.store import DivisionStore
from finlink.testing.exact.wire import exact_error

__all__ = ["COSTCENTERS", "GL_ACCOUNTS", "JOURNALS", "VAT_CODES", "find_by_code"]


def find_by_code(store: DivisionStore, path: str, code: str | None) -> Record | None:
    """The row of a code-keyed master table whose trimmed ``Code`` equals ``code``."""
    if code is None:
        return None
    wanted = code.strip()
    for row in store.table(path).values():
        if (row.get("Code") or "").strip() == wanted:
            return row
    return None


def _unique_code(store: DivisionStore, path: str, record: Record) -> None:
    other = find_by_code(store, path, record["Code"])
    if other is not None and other["ID"] != record["ID"]:
        raise exact_error(400, f"Code bestaat al: {record['Code'].strip()}")


def _validate_gl(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Code", "Description", labels={"Description": "Omschrijving"})
    _unique_code(store, GL_ACCOUNTS.path, record)
    vat = find_by_code(store, VAT_CODES.path, record.get("VATCode"))
    record["VATDescription"] = vat["Description"] if vat else None


GL_ACCOUNTS = EntitySpec(
    path="financial/GLAccounts",
    type_name="Exact.Web.Api.Models.GLAccount",
    topic="GLAccounts",
    deleted_type=7,
    validate=_validate_gl,
    fields=(
        f("ID", "guid"),
        f("BalanceSide"),
        f("BalanceType"),
        f("Code"),
        f("Costcenter"),
        f("Costunit"),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Description"),
        f("Division", "int", ro=True),
        f("IsBlocked", "bool", default=False),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("SearchCode"),
        f("Type", "int"),
        f("TypeDescription", ro=True),
        f("UseCostcenter", "int", default=0),
        f("UseCostunit", "int", default=0),
        f("VATCode", ljust=3),
        f("VATDescription", ro=True),
    ),
)


def _validate_vat(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Code", "Description", labels={"Description": "Omschrijving"})
    _unique_code(store, VAT_CODES.path, record)
    if record.get("Type") not in (None, "B", "E", "I", "N"):
        raise exact_error(400, "Ongeldig: Type")


VAT_CODES = EntitySpec(
    path="vat/VATCodes",
    type_name="Exact.Web.Api.Models.VATCode",
    validate=_validate_vat,
    fields=(
        f("ID", "guid"),
        f("Code", ljust=3),  # VAT codes come back padded: "02 " (§4.5, fixtures)
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Description"),
        f("Division", "int", ro=True),
        f("EUSalesListing"),
        f("GLToClaim", "guid"),
        f("GLToPay", "guid"),
        f("IsBlocked", "bool", default=False),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("Percentage", "double", ro=True, default=0),  # a fraction: 0.21 (§4.5)
        f("Type", default="E"),
        f("VATTransactionType", default="B"),
    ),
)


def _validate_journal(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Code", "Description", "Type", labels={"Description": "Omschrijving"})
    _unique_code(store, JOURNALS.path, record)


JOURNALS = EntitySpec(
    path="financial/Journals",
    type_name="Exact.Web.Api.Models.Journal",
    validate=_validate_journal,
    fields=(
        f("ID", "guid"),
        f("AllowVariableCurrency", "bool", default=False),
        f("Code"),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Currency", default="EUR"),
        f("Description"),
        f("Division", "int", ro=True),
        f("GLAccount", "guid"),
        f("IsBlocked", "bool", default=False),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("Type", "int"),
    ),
)


def _validate_costcenter(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Code", "Description", labels={"Description": "Omschrijving"})
    # Code <= 8, Description <= 60 (§5.3, Invantive [I]); the code is unique.
    max_length(record, "Code", 8)
    max_length(record, "Description", 60)
    _unique_code(store, COSTCENTERS.path, record)


COSTCENTERS = EntitySpec(
    path="hrm/Costcenters",
    type_name="Exact.Web.Api.Models.HRM.Costcenter",
    validate=_validate_costcenter,
    fields=(
        f("ID", "guid"),
        f("Active", "bool", default=True),
        f("Code"),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Description"),
        f("Division", "int", ro=True),
        f("EndDate", "datetime"),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
    ),
)
