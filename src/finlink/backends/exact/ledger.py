"""Reference data of one division: G/L accounts, VAT codes (mapped to finlink categories), journals.

VAT codes are division master data (reference ``exact-online.md`` §5.1 "VAT codes", §6 quirk
16): the codes differ per division and legislation, so finlink reads ``vat/VATCodes`` and maps
each to a :class:`~finlink.VatCategory` from what the code *is*, never from its number:

- ``Type`` ``N`` (no VAT) → exempt;
- a positive ``Percentage`` (a fraction, §4.5): the division's highest rate → high, its lowest
  (when it has two or more) → low, any rate between → intermediate (Belgium's 12 %);
- 0 %: by ``EUSalesListing`` (``L`` goods, ``S`` services → intra-EU) and the description
  (``verlegd``/``reverse`` → reverse charge, ``buiten de EU``/``export`` → non-EU), else zero.

A code whose ``VATTransactionType`` is ``S`` serves sales only, ``P`` purchases only (§5.3).
The host can override any category per division (``ExactSettings.vat_codes``). Ledger codes
become G/L account GUIDs (§5.3: lines take ``GLAccount`` as a GUID) from the same cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from finlink.backends.exact.connection import ExactConnection
from finlink.backends.exact.wire import text
from finlink.backends.reference import Journal, JournalKind, LedgerAccount, ReferenceData, VatCode
from finlink.model.enums import VatCategory

__all__ = ["DivisionReference", "categorise_vat_codes", "load_reference"]

#: Journal types (§5.1 "Journal"): 20 Sales, 21 Return invoice, 22 Purchase, 23 Received
#: return invoice.
_SALES_JOURNALS = frozenset({20})
_PURCHASE_JOURNALS = frozenset({22})


@attrs.frozen(kw_only=True)
class DivisionReference:
    """The cached reference data plus the lookups bookings need.

    Attributes:
        data: What :meth:`~finlink.backends.Backend.reference_data` returns.
        sales_vat: Category → VAT code usable on sales.
        purchase_vat: Category → VAT code usable on purchases.
        rates: VAT code → its percentage as a fraction.
        default_sales_journal: The first open sales journal (type 20), if any.
        default_purchase_journal: The first open purchase journal (type 22), if any.
    """

    data: ReferenceData
    sales_vat: Mapping[VatCategory, str]
    purchase_vat: Mapping[VatCategory, str]
    rates: Mapping[str, Decimal]
    default_sales_journal: str | None
    default_purchase_journal: str | None

    def gl_id(self, code: str) -> str | None:
        """The GUID of the G/L account with ``code``."""
        account = self.data.ledger(code)
        return account.remote_id if account is not None else None

    def gl_code(self, remote_id: str) -> str | None:
        """The code of the G/L account with GUID ``remote_id``."""
        wanted = remote_id.lower()
        return next(
            (acc.code for acc in self.data.ledger_accounts if acc.remote_id.lower() == wanted),
            None,
        )

    def category_of(self, code: str | None) -> VatCategory | None:
        """The finlink category of a VAT code (trimmed; Exact pads codes to 3, §4.5)."""
        wanted = text(code)
        return next((v.category for v in self.data.vat_codes if v.code == wanted), None)


def _zero_rate_category(row: Mapping[str, object]) -> VatCategory:
    description = (text(row.get("Description")) or "").lower()
    listing = text(row.get("EUSalesListing"))
    if "verlegd" in description or "reverse" in description:
        return VatCategory.REVERSE_CHARGE
    if "buiten" in description or "export" in description or "non-eu" in description:
        return VatCategory.NON_EU
    if listing == "S" or ("eu" in description.split() and "dienst" in description):
        return VatCategory.EU_SERVICES
    if listing == "L" or "binnen de eu" in description or "intra" in description:
        return VatCategory.EU_GOODS
    if "vrijgesteld" in description or "exempt" in description:
        return VatCategory.EXEMPT
    return VatCategory.ZERO


def categorise_vat_codes(rows: list[dict[str, object]]) -> dict[str, VatCategory]:
    """The finlink category of every VAT code of a division (by code, trimmed)."""
    rates = sorted(
        {
            Decimal(str(row.get("Percentage") or 0))
            for row in rows
            if text(row.get("Type")) != "N" and Decimal(str(row.get("Percentage") or 0)) > 0
        }
    )
    result: dict[str, VatCategory] = {}
    for row in rows:
        code = text(row.get("Code"))
        if code is None:
            continue
        rate = Decimal(str(row.get("Percentage") or 0))
        if text(row.get("Type")) == "N":
            result[code] = VatCategory.EXEMPT
        elif rate > 0 and rate == rates[-1]:
            result[code] = VatCategory.HIGH
        elif rate > 0 and rate == rates[0]:
            result[code] = VatCategory.LOW
        elif rate > 0:
            result[code] = VatCategory.INTERMEDIATE
        else:
            result[code] = _zero_rate_category(row)
    return result


def _direction_map(
    rows: list[dict[str, object]],
    categories: Mapping[str, VatCategory],
    allowed: frozenset[str],
    overrides: Mapping[VatCategory, str],
) -> dict[VatCategory, str]:
    usable = [
        row
        for row in rows
        if not row.get("IsBlocked") and (text(row.get("VATTransactionType")) or "B") in allowed
    ]
    # Amounts are sent excluding VAT: an "E" (excluding) code beats an "I" (including) one.
    usable.sort(key=lambda row: text(row.get("Type")) == "I")
    mapping: dict[VatCategory, str] = {}
    for row in usable:
        code = text(row.get("Code"))
        if code is not None and code in categories:
            mapping.setdefault(categories[code], code)
    mapping.update(overrides)
    return mapping


def _journal_kind(journal_type: object) -> str:
    if journal_type in _SALES_JOURNALS:
        return JournalKind.SALES
    if journal_type in _PURCHASE_JOURNALS:
        return JournalKind.PURCHASE
    return JournalKind.OTHER


def load_reference(
    conn: ExactConnection, *, vat_overrides: Mapping[VatCategory, str]
) -> DivisionReference:
    """Read G/L accounts (``/sync/Financial/GLAccounts``: 1,000 a page), VAT codes, journals.

    Raises:
        BackendError: As the calls do.
    """
    gl_rows = list(
        conn.rows(
            "sync/Financial/GLAccounts",
            {
                "$filter": "Timestamp gt 1L",
                "$select": "ID,Code,Description,IsBlocked,UseCostcenter,Timestamp",
            },
        )
    )
    vat_rows = list(
        conn.rows(
            "vat/VATCodes",
            {
                "$select": "ID,Code,Description,Percentage,Type,VATTransactionType,"
                "EUSalesListing,IsBlocked"
            },
        )
    )
    journal_rows = list(
        conn.rows("financial/Journals", {"$select": "ID,Code,Description,Type,IsBlocked"})
    )
    categories = categorise_vat_codes(vat_rows)
    ledgers = tuple(
        sorted(
            (
                LedgerAccount(
                    code=text(row.get("Code")) or "",
                    description=text(row.get("Description")) or "",
                    remote_id=str(row["ID"]),
                    # UseCostcenter: 0 optional, 1 mandatory, 2 no (§5.1).
                    requires_cost_centre=row.get("UseCostcenter") == 1,
                    active=not row.get("IsBlocked"),
                )
                for row in gl_rows
            ),
            key=lambda acc: acc.code,
        )
    )
    vat_codes = tuple(
        VatCode(
            code=text(row.get("Code")) or "",
            description=text(row.get("Description")) or "",
            rate=Decimal(str(row.get("Percentage") or 0)),
            category=categories.get(text(row.get("Code")) or ""),
            remote_id=str(row["ID"]),
        )
        for row in vat_rows
    )
    journals = tuple(
        Journal(
            code=text(row.get("Code")) or "",
            description=text(row.get("Description")) or "",
            kind=_journal_kind(row.get("Type")),
            remote_id=str(row["ID"]),
        )
        for row in journal_rows
    )
    open_journals = [row for row in journal_rows if not row.get("IsBlocked")]

    def first(kinds: frozenset[int]) -> str | None:
        return next((text(r.get("Code")) for r in open_journals if r.get("Type") in kinds), None)

    return DivisionReference(
        data=ReferenceData(ledger_accounts=ledgers, vat_codes=vat_codes, journals=journals),
        sales_vat=_direction_map(vat_rows, categories, frozenset({"B", "S"}), vat_overrides),
        purchase_vat=_direction_map(vat_rows, categories, frozenset({"B", "P"}), vat_overrides),
        rates={v.code: v.rate for v in vat_codes},
        default_sales_journal=first(_SALES_JOURNALS),
        default_purchase_journal=first(_PURCHASE_JOURNALS),
    )
