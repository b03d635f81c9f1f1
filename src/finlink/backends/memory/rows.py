"""Stored rows of the in-memory backend, and the plain functions that look into them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from finlink.backends.protocol import RelationKeys
from finlink.model.booking import Booking, Project
from finlink.model.relation import Contact, Relation

__all__ = [
    "BookingRow",
    "ProjectRow",
    "RelationRow",
    "Row",
    "contact_texts",
    "matches",
    "parse_cursor",
    "relation_texts",
]


@attrs.define
class Row:
    """One stored record with its bookkeeping."""

    remote_id: str
    reference: str | None
    seq: int
    version: int = 1
    active: bool = True
    modified_at: datetime | None = None


@attrs.define
class RelationRow(Row):
    """A relation and its contacts (contact remote id → (contact, reference))."""

    relation: Relation = attrs.field(kw_only=True)
    contacts: dict[str, tuple[Contact, str]] = attrs.field(factory=dict, kw_only=True)


@attrs.define
class ProjectRow(Row):
    """A cost centre."""

    project: Project = attrs.field(kw_only=True)


@attrs.define
class BookingRow(Row):
    """A booking, what it was booked against, what has been paid, and its documents."""

    booking: Booking = attrs.field(kw_only=True)
    relation_remote_id: str = attrs.field(kw_only=True)
    project_numbers: dict[str, str] = attrs.field(kw_only=True)
    paid: Decimal = attrs.field(default=Decimal(0), kw_only=True)
    documents: list[str] = attrs.field(factory=list, kw_only=True)


def parse_cursor(cursor: str | None) -> int:
    """The change sequence number a cursor stands for (0: from the start)."""
    if cursor is None:
        return 0
    try:
        return int(cursor)
    except ValueError:
        raise ValueError(f"not a cursor of this backend: {cursor!r}") from None


def relation_texts(relation: Relation) -> dict[str, str | None]:
    """The text fields of a relation whose length a vendor may limit, by field name."""
    address = relation.address
    return {
        "name": relation.name,
        "email": relation.email,
        "phone": relation.phone,
        "website": relation.website,
        "number": relation.number,
        "address_line1": address.line1 if address else None,
        "city": address.city if address else None,
    }


def contact_texts(contact: Contact) -> dict[str, str | None]:
    """The text fields of a contact whose length a vendor may limit, by field name."""
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
    }


def matches(row: RelationRow, keys: RelationKeys) -> bool:
    """Whether a stored relation matches any of ``keys`` (name only together with postcode)."""
    rel = row.relation
    postcode = (rel.address.postcode or "").replace(" ", "").upper() if rel.address else ""
    checks = (
        (keys.reference, row.reference),
        (keys.code, rel.number),
        (keys.vat_number, rel.vat_number),
        (keys.coc_number, rel.coc_number),
        (keys.iban, rel.iban),
    )
    if any(wanted is not None and wanted == have for wanted, have in checks):
        return True
    if keys.email is not None and rel.email and keys.email.lower() == rel.email.lower():
        return True
    if keys.name is not None and keys.name.strip().lower() == rel.name.strip().lower():
        wanted_pc = (keys.postcode or "").replace(" ", "").upper()
        return not wanted_pc or wanted_pc == postcode
    return False
