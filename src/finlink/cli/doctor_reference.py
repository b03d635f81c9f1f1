"""``finlink doctor``'s checks of reference data: mapped ledgers, VAT codes, journals.

Bookings name a CRM ledger code (translated through ``ledger_map``) and a VAT category per
line; the backend looks both up in the administration's reference data and refuses a line
whose account or VAT code is missing. These checks find such gaps before any booking does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finlink.backends.reference import JournalKind, ReferenceData
from finlink.cli.config import AdministrationConfig
from finlink.cli.doctor_checks import Finding, Severity, finding
from finlink.model.enums import VatCategory

__all__ = ["SNELSTART_BTW_SOORTEN", "check_reference"]

# Belgium's 12 % rate; a Dutch administration has no such VAT code (model ``VatCategory``).
_OPTIONAL_CATEGORIES = frozenset({VatCategory.INTERMEDIATE})

#: The line btw-soort the SnelStart backend books each category with (reference
#: ``snelstart.md`` §3.5: a boekingsregel's ``btwSoort`` is Geen, Laag, Hoog or Overig):
#: every zero-rated treatment goes as ``Geen``. A ``btw_soorten`` option overrides it.
SNELSTART_BTW_SOORTEN: Mapping[VatCategory, str] = {
    VatCategory.HIGH: "Hoog",
    VatCategory.LOW: "Laag",
    VatCategory.INTERMEDIATE: "Overig",
    VatCategory.ZERO: "Geen",
    VatCategory.EXEMPT: "Geen",
    VatCategory.REVERSE_CHARGE: "Geen",
    VatCategory.EU_GOODS: "Geen",
    VatCategory.EU_SERVICES: "Geen",
    VatCategory.NON_EU: "Geen",
}


def _vat_code_for(
    adm: AdministrationConfig, options: Mapping[str, Any], reference: ReferenceData
) -> dict[VatCategory, bool]:
    """Whether each category has a VAT code the backend will use for it."""
    if adm.backend != "snelstart":
        return {c: reference.vat_code_for(c) is not None for c in VatCategory}
    soorten = dict(SNELSTART_BTW_SOORTEN)
    for key, soort in dict(options.get("btw_soorten") or {}).items():
        if key in set(VatCategory):  # an unknown key is the backend's to refuse
            soorten[VatCategory(key)] = str(soort)
    codes = {vat.code for vat in reference.vat_codes}
    return {c: soorten[c] in codes for c in VatCategory}


def check_reference(
    adm: AdministrationConfig, options: Mapping[str, Any], reference: ReferenceData
) -> list[Finding]:
    """Every ``ledger_map`` target exists and is open; every VAT category has a VAT code.

    Args:
        adm: The administration.
        options: The options its backend was made with (SnelStart's ``btw_soorten``).
        reference: Its reference data.
    """
    return [
        *_ledger_findings(adm, reference),
        *_vat_findings(adm, options, reference),
        *_journals(adm, reference),
    ]


def _ledger_findings(adm: AdministrationConfig, reference: ReferenceData) -> list[Finding]:
    findings: list[Finding] = []
    for crm_code, target in adm.ledger_map.items():
        key = f"administrations.{adm.name}.ledger_map.{crm_code}"
        account = reference.ledger(target)
        if account is None:
            findings.append(
                finding(
                    adm,
                    "ledger",
                    Severity.PROBLEM,
                    f"ledger_map sends CRM ledger {crm_code} to {target}, but the administration "
                    f"has no ledger account {target}",
                    f"set {key} to a ledger code that exists (see the administration's chart "
                    "of accounts), or create the account there",
                )
            )
        elif not account.active:
            findings.append(
                finding(
                    adm,
                    "ledger",
                    Severity.PROBLEM,
                    f"ledger account {target} ({account.description}) is blocked",
                    f"unblock it in the administration, or point {key} at an open account",
                )
            )
    if adm.ledger_map and not findings:
        count = len(adm.ledger_map)
        findings.append(
            finding(adm, "ledger", Severity.OK, f"all {count} mapped ledger account(s) exist")
        )
    return findings


def _vat_findings(
    adm: AdministrationConfig, options: Mapping[str, Any], reference: ReferenceData
) -> list[Finding]:
    if not reference.vat_codes:
        return []  # the backend keeps no VAT codes (the memory backend): nothing to judge
    findings: list[Finding] = []
    for category, served in _vat_code_for(adm, options, reference).items():
        if served:
            continue
        if category in _OPTIONAL_CATEGORIES:
            findings.append(
                finding(
                    adm,
                    "vat",
                    Severity.WARNING,
                    f"no VAT code for category {category.value} (Belgium's 12 % rate)",
                    "nothing to do for a Dutch administration; a Belgian one needs a 12 % "
                    "VAT code before such lines can be booked",
                )
            )
            continue
        findings.append(
            finding(
                adm,
                "vat",
                Severity.PROBLEM,
                f"VAT category {category.value} maps to no VAT code of the administration: "
                "bookings with such lines will be refused",
                f"create a VAT code for {category.value} in the administration (or map one "
                "in the backend's VAT settings), or never send that category",
            )
        )
    if not any(f.severity is Severity.PROBLEM for f in findings):
        findings.append(
            finding(adm, "vat", Severity.OK, "every VAT category finlink sends has a VAT code")
        )
    return findings


def _journals(adm: AdministrationConfig, reference: ReferenceData) -> list[Finding]:
    if not reference.journals:
        return []  # the backend reports no journals: nothing to judge
    kinds = {journal.kind for journal in reference.journals}
    return [
        finding(
            adm,
            "journals",
            Severity.PROBLEM,
            f"the administration has no {kind} journal, which {kind} bookings go to",
            f"create a {kind} journal (dagboek) in the administration",
        )
        for kind in (JournalKind.SALES, JournalKind.PURCHASE)
        if kind not in kinds
    ]
