"""Sensible Dutch reference data for a new division.

G/L accounts follow the usual Dutch scheme (1100 bank, 1300 debiteuren, 1500/1520 BTW,
1600 crediteuren, 4000 kosten, 7000 inkoopwaarde, 8000 omzet); VAT codes cover the Dutch
rates (21 % hoog, 9 % laag, 0 %), exempt, reverse charge (verlegd), EU and export — codes
are per division and padded to three characters like the recorded ``"02 "`` (reference §4.5,
§5.1 "VAT codes"); journals 70 Verkoopboek and 60 Inkoopboek (ossobv README: ``70``
"Verkoopboek"), 20 Bank.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["DEFAULT_GL_ACCOUNTS", "DEFAULT_JOURNALS", "DEFAULT_VAT_CODES"]

# (Code, Description, Type, BalanceType, BalanceSide, VATCode). Types from the reference's
# GLAccounts.Type list: 12 Bank, 20 Accounts receivable, 22 Accounts payable, 24 VAT,
# 110 Revenue, 111 Cost of goods, 120 Other costs (fixture: "Other costs").
DEFAULT_GL_ACCOUNTS: tuple[tuple[str, str, int, str, str, str | None], ...] = (
    ("1100", "Bank", 12, "B", "D", None),
    ("1300", "Debiteuren", 20, "B", "D", None),
    ("1500", "Te vorderen BTW", 24, "B", "D", None),
    ("1520", "Af te dragen BTW", 24, "B", "C", None),
    ("1600", "Crediteuren", 22, "B", "C", None),
    ("4000", "Algemene kosten", 120, "W", "D", "02"),
    ("7000", "Inkoopwaarde van de omzet", 111, "W", "D", "02"),
    ("8000", "Omzet hoog tarief", 110, "W", "C", "02"),
    ("8010", "Omzet laag tarief", 110, "W", "C", "01"),
    ("8100", "Omzet buitenland", 110, "W", "C", "06"),
)

# (Code, Description, Percentage, Type, VATTransactionType, EUSalesListing)
# Type: B = 0 % (base only), E = excluding, N = no VAT (§5.3 VATCodes).
DEFAULT_VAT_CODES: tuple[tuple[str, str, Decimal, str, str, str | None], ...] = (
    ("01", "BTW laag tarief, exclusief", Decimal("0.09"), "E", "B", None),
    ("02", "BTW hoog tarief, exclusief", Decimal("0.21"), "E", "B", None),
    ("03", "BTW 0%", Decimal("0"), "B", "B", None),
    ("04", "Vrijgesteld van BTW", Decimal("0"), "N", "B", None),
    ("05", "BTW verlegd", Decimal("0"), "B", "B", None),
    ("06", "Leveringen binnen de EU", Decimal("0"), "B", "S", "L"),
    ("07", "Export buiten de EU", Decimal("0"), "B", "S", None),
)

# (Code, Description, Type): 12 Bank, 20 Sales, 22 Purchase, 90 General (§5.1 Journal)
DEFAULT_JOURNALS: tuple[tuple[str, str, int], ...] = (
    ("20", "Bank", 12),
    ("60", "Inkoopboek", 22),
    ("70", "Verkoopboek", 20),
    ("90", "Memoriaal", 90),
)


def gl_account_fields() -> list[dict[str, Any]]:
    """Field dicts for the default G/L accounts."""
    return [
        {
            "Code": code,
            "Description": description,
            "Type": gl_type,
            "BalanceType": balance_type,
            "BalanceSide": side,
            "VATCode": vat,
        }
        for code, description, gl_type, balance_type, side, vat in DEFAULT_GL_ACCOUNTS
    ]


def vat_code_fields(to_pay: Any, to_claim: Any) -> list[dict[str, Any]]:
    """Field dicts for the default VAT codes, booking on the given VAT G/L accounts."""
    return [
        {
            "Code": code,
            "Description": description,
            "Percentage": percentage,
            "Type": vat_type,
            "VATTransactionType": transaction_type,
            "EUSalesListing": listing,
            "GLToPay": to_pay,
            "GLToClaim": to_claim,
        }
        for code, description, percentage, vat_type, transaction_type, listing in DEFAULT_VAT_CODES
    ]


def journal_fields() -> list[dict[str, Any]]:
    """Field dicts for the default journals."""
    return [
        {"Code": code, "Description": description, "Type": journal_type}
        for code, description, journal_type in DEFAULT_JOURNALS
    ]
