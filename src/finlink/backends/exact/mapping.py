"""Relations and contacts ↔ ``crm/Accounts``, ``crm/Contacts`` and ``crm/BankAccounts``.

What each CRM field becomes (reference ``exact-online.md`` §5.1, §5.3):

=====================  ==================================================================
Relation               Exact
=====================  ==================================================================
reference (finlink's)  ``SearchCode``, padded to 9 (see :func:`search_code`)
number                 ``Code``: digits, right-aligned in 18 characters (§6 quirk 1)
name                   ``Name`` (≤ 50)
roles                  customer → ``Status`` ``"C"``; supplier → ``IsSupplier`` (§5.1)
address                ``AddressLine1``/``2`` (≤ 80), ``Postcode``, ``City`` (≤ 30),
                       ``Country`` (ISO code; the visiting address, else the postal one)
email, phone, website  ``Email``, ``Phone``, ``Website``
vat_number             ``VATNumber`` (normalised: ``NL852591239B01``)
coc_number             ``ChamberOfCommerce``
payment_term_days      ``PaymentConditionSales`` / ``PaymentConditionPurchase`` (``"30"``)
language               ``Language`` (upper case, ``NL``)
active                 ``Blocked`` = not active (§5.1: use Blocked, not Status)
iban, bic              ``crm/BankAccounts``: ``BankAccount``, ``BICCode`` (§5.1: ``IBAN`` is
                       obsolete and read-only)
=====================  ==================================================================

Not sent: ``mobile`` and ``currency`` (no account field for them), ``extra``. Every text read
back is trimmed (Exact pads ``Code``, ``Country``, ``Language``, ``SearchCode``: §6 quirk 2).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from finlink._errors import Problem, ValidationError
from finlink.backends.exact.wire import SEARCH_CODE_WIDTH, account_code, text
from finlink.model.enums import RelationRole
from finlink.model.relation import Address, Contact, Relation

__all__ = [
    "FIELD_MAX_LENGTHS",
    "account_body",
    "bank_body",
    "check_relation",
    "contact_body",
    "contact_from_row",
    "crm_key_of",
    "relation_from_account",
    "search_code",
]

#: Lengths Exact enforces that the reference knows (§5.3, Invantive's model [I] and the
#: reference text [A]); Email, Phone, Postcode, VATNumber and YourRef have none published.
FIELD_MAX_LENGTHS: Mapping[str, int] = {
    "relation.name": 50,
    "relation.number": 18,
    "relation.address_line1": 80,
    "relation.address_line2": 80,
    "relation.city": 30,
    "project.number": 8,
    "project.description": 60,
    "booking_line.cost_centre": 8,
}

#: A digested search code starts with this; Exact's own search codes are words.
DIGEST_MARK = "~"

#: Relation attribute → the account fields it writes (for partial updates).
RELATION_FIELDS: Mapping[str, tuple[str, ...]] = {
    "name": ("Name",),
    "roles": ("Status", "IsSupplier"),
    "number": ("Code",),
    "visiting_address": ("AddressLine1", "AddressLine2", "Postcode", "City", "Country"),
    "postal_address": ("AddressLine1", "AddressLine2", "Postcode", "City", "Country"),
    "email": ("Email",),
    "phone": ("Phone",),
    "website": ("Website",),
    "vat_number": ("VATNumber",),
    "coc_number": ("ChamberOfCommerce",),
    "payment_term_days": ("PaymentConditionSales", "PaymentConditionPurchase"),
    "language": ("Language",),
    "active": ("Blocked",),
}


def search_code(reference: str) -> str:
    """The ``SearchCode`` that carries finlink's reference, as written and filtered.

    ``SearchCode`` is a free field bookkeepers rarely use, is stored and is one of the fields
    Exact's mandatory filtering accepts (§4.4), so one GET finds the relation. It is 9
    characters wide (fixtures, §8): a reference of up to 9 characters is written as is,
    padded with spaces to 9 (so a filter matches however Exact pads it); a longer one (a
    UUID key) as ``~`` plus 8 base32 characters of its SHA-256: 40 bits, so two different
    long references share a search code with odds below one in a million for 1,000
    relations. The remote record then cannot carry the CRM key back (``crm_key`` is None);
    :meth:`find_relations` still finds it.
    """
    value = reference.strip()
    if len(value) > SEARCH_CODE_WIDTH or value.startswith(DIGEST_MARK):
        digest = base64.b32encode(hashlib.sha256(value.encode()).digest()).decode()
        value = DIGEST_MARK + digest[: SEARCH_CODE_WIDTH - 1]
    return value.ljust(SEARCH_CODE_WIDTH)


def crm_key_of(row: Mapping[str, Any]) -> str | None:
    """Return finlink's reference read back from ``SearchCode``; None for a digest or none."""
    value = text(row.get("SearchCode"))
    if value is None or value.startswith(DIGEST_MARK):
        return None
    return value


def check_relation(relation: Relation, fields: Iterable[str] | None = None) -> None:
    """Refuse, before sending, what Exact would refuse (lengths, a non-numeric code).

    Raises:
        ValidationError: Every problem, each naming the field and the rule.
    """
    wanted = set(fields) if fields is not None else None
    address = relation.address
    values = {
        "name": relation.name,
        "number": relation.number,
        "address_line1": address.line1 if address else None,
        "address_line2": address.line2 if address else None,
        "city": address.city if address else None,
    }
    owners = {"address_line1": "address", "address_line2": "address", "city": "address"}
    problems: list[Problem] = []
    for name, value in values.items():
        owner = owners.get(name, name)
        if wanted is not None and owner not in wanted and not _is_address(owner, wanted):
            continue
        limit = FIELD_MAX_LENGTHS[f"relation.{name}"]
        if value is not None and len(value) > limit:
            problems.append(
                Problem(
                    path=name,
                    rule="max_length",
                    message=f"Exact Online keeps at most {limit} characters here "
                    f"(this value has {len(value)})",
                    value=value,
                )
            )
    number = relation.number
    if number is not None and (wanted is None or "number" in wanted) and not number.isdigit():
        # "Unique key, fixed length numeric string with leading spaces" (§5.3 CRMAccounts).
        problems.append(
            Problem(
                path="number",
                rule="digits",
                message="an Exact Online account code is a number (digits only)",
                value=number,
            )
        )
    if problems:
        raise ValidationError(problems, subject=f"relation {relation.id!r} for Exact Online")


def _is_address(owner: str, wanted: set[str]) -> bool:
    return owner == "address" and bool(wanted & {"visiting_address", "postal_address"})


def account_body(
    relation: Relation, *, reference: str | None, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """The ``crm/Accounts`` body for ``relation`` (only the fields named, when given)."""
    address = relation.address
    days = relation.payment_term_days
    condition = f"{days:02d}" if days is not None else None
    full: dict[str, Any] = {
        "Name": relation.name,
        # "If the status field is filled this means the account is a customer" (§5.1).
        "Status": "C" if relation.is_customer else "A",
        "IsSupplier": relation.is_supplier,
        "Code": account_code(relation.number) if relation.number else None,
        "AddressLine1": address.line1 if address else None,
        "AddressLine2": address.line2 if address else None,
        "Postcode": address.postcode if address else None,
        "City": address.city if address else None,
        "Country": address.country if address else None,
        "Email": relation.email,
        "Phone": relation.phone,
        "Website": relation.website,
        "VATNumber": relation.vat_number,
        "ChamberOfCommerce": relation.coc_number,
        "PaymentConditionSales": condition if relation.is_customer else None,
        "PaymentConditionPurchase": condition if relation.is_supplier else None,
        "Language": relation.language.upper() if relation.language else None,
        "Blocked": not relation.active,
    }
    if fields is None:
        body = {name: value for name, value in full.items() if value is not None}
        if reference is not None:
            body["SearchCode"] = search_code(reference)
        return body
    names = {name for field in fields for name in RELATION_FIELDS.get(field, ())}
    return {name: full[name] for name in sorted(names)}


def bank_body(account_id: str, iban: str, bic: str | None) -> dict[str, Any]:
    """A ``crm/BankAccounts`` body: the IBAN goes into ``BankAccount`` (§5.1)."""
    body: dict[str, Any] = {"Account": account_id, "BankAccount": iban, "Main": True}
    if bic:
        body["BICCode"] = bic
    return body


def _address(row: Mapping[str, Any]) -> Address | None:
    line1, city, country = text(row.get("AddressLine1")), text(row.get("City")), None
    country = text(row.get("Country"))
    if line1 is None or city is None or country is None:
        return None
    return Address(
        line1=line1,
        line2=text(row.get("AddressLine2")),
        postcode=text(row.get("Postcode")),
        city=city,
        country=country.upper(),
    )


def _roles(row: Mapping[str, Any]) -> frozenset[RelationRole]:
    roles = set()
    if text(row.get("Status")) == "C":
        roles.add(RelationRole.CUSTOMER)
    if row.get("IsSupplier"):
        roles.add(RelationRole.SUPPLIER)
    # A prospect or suspect (Status A/S/P, not a supplier) has no finlink role yet; it reads
    # as a customer-to-be, since a relation needs a role (finlink writes "C" for customers).
    return frozenset(roles or {RelationRole.CUSTOMER})


def _days(value: Any) -> int | None:
    code = text(value)
    return int(code) if code is not None and code.isdigit() else None


def relation_from_account(
    row: Mapping[str, Any], banks: Sequence[Mapping[str, Any]] = ()
) -> Relation:
    """A :class:`~finlink.Relation` from an account row and its bank accounts, trimmed."""
    roles = _roles(row)
    live = [bank for bank in banks if not bank.get("Blocked")]
    main = next((bank for bank in live if bank.get("Main")), live[0] if live else None)
    days = _days(row.get("PaymentConditionSales")) if RelationRole.CUSTOMER in roles else None
    if days is None:
        days = _days(row.get("PaymentConditionPurchase"))
    language = text(row.get("Language"))
    return Relation(
        id=crm_key_of(row) or str(row["ID"]),
        name=text(row.get("Name")) or "",
        roles=roles,
        number=text(row.get("Code")),
        visiting_address=_address(row),
        email=text(row.get("Email")),
        phone=text(row.get("Phone")),
        website=text(row.get("Website")),
        vat_number=text(row.get("VATNumber")),
        coc_number=text(row.get("ChamberOfCommerce")),
        iban=text(main.get("BankAccount")) if main else None,
        bic=text(main.get("BICCode")) if main else None,
        payment_term_days=days,
        language=language.lower() if language else None,
        active=not row.get("Blocked"),
    )


def contact_body(account_id: str | None, contact: Contact) -> dict[str, Any]:
    """A ``crm/Contacts`` body (``Account`` and a first or last name are mandatory, §5.1)."""
    body: dict[str, Any] = {
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "Email": contact.email,
        "Phone": contact.phone,
        "JobTitleDescription": contact.job_title,
    }
    if account_id is not None:
        body["Account"] = account_id
    return body


def contact_from_row(row: Mapping[str, Any]) -> Contact:
    """A :class:`~finlink.Contact` from a ``crm/Contacts`` row (its id is Exact's)."""
    return Contact(
        id=str(row["ID"]),
        first_name=text(row.get("FirstName")),
        last_name=text(row.get("LastName")),
        email=text(row.get("Email")) or text(row.get("BusinessEmail")),
        phone=text(row.get("Phone")) or text(row.get("BusinessPhone")),
        job_title=text(row.get("JobTitleDescription")),
        is_primary=bool(row.get("IsMainContact")),
    )
