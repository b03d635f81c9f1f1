"""The comparable form of each record: what finlink snapshots and compares for changes.

A payload is the normalised record as plain JSON (through :mod:`finlink.serialization`), with
only the fields that travel to the administration. Two payloads are equal exactly when there is
nothing to send, which is how an unchanged record costs no API call.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import operator
import pickle
from typing import Any

import attrs

from finlink.model.booking import Booking, Project
from finlink.model.normalize import normalize_contact, normalize_relation
from finlink.model.relation import Address, Contact, Relation
from finlink.serialization import to_dict

__all__ = [
    "RELATION_FIELDS",
    "RELATION_NESTED",
    "booking_payload",
    "contact_payload",
    "payload_hash",
    "project_payload",
    "record_fingerprint",
    "relation_payload",
]

#: The relation fields finlink sends and compares (contacts travel separately; ``extra`` only
#: through a custom mapping; ``updated_at`` is the CRM's bookkeeping, not data).
RELATION_FIELDS = (
    "name",
    "roles",
    "number",
    "visiting_address",
    "postal_address",
    "email",
    "phone",
    "mobile",
    "website",
    "vat_number",
    "coc_number",
    "iban",
    "bic",
    "payment_term_days",
    "currency",
    "language",
    "active",
)

_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "job_title")


# The payloads are read straight off the (frozen) records rather than through the cattrs
# converter: the engine builds two or three per record sent, and unstructuring the whole record
# (contacts and all) only to keep a dozen plain fields was a large part of its cost per record.
# The values are the converter's (text as is, roles as sorted values, an address as a dict of its
# fields); a test compares the two forms.
_relation_fields = operator.attrgetter(*RELATION_FIELDS)
_ADDRESS_FIELDS = tuple(f.name for f in attrs.fields(Address))
_address_values = operator.attrgetter(*_ADDRESS_FIELDS)
_contact_fields = operator.attrgetter(*_CONTACT_FIELDS)


def _address_dict(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return dict(zip(_ADDRESS_FIELDS, _address_values(address), strict=True))


def relation_payload(relation: Relation, *, normalized: bool = False) -> dict[str, Any]:
    """The relation's comparable fields, normalised, as JSON values."""
    data = dict(
        zip(
            RELATION_FIELDS,
            _relation_fields(relation if normalized else normalize_relation(relation)),
            strict=True,
        )
    )
    data["roles"] = sorted([role.value for role in data["roles"]])
    data["visiting_address"] = _address_dict(data["visiting_address"])
    data["postal_address"] = _address_dict(data["postal_address"])
    return data


def contact_payload(contact: Contact) -> dict[str, Any]:
    """The contact's comparable fields, normalised."""
    return dict(zip(_CONTACT_FIELDS, _contact_fields(normalize_contact(contact)), strict=True))


def project_payload(project: Project) -> dict[str, Any]:
    """The project's comparable fields."""
    return {"number": project.number, "description": project.description, "active": project.active}


def booking_payload(booking: Booking) -> dict[str, Any]:
    """The booking as sent, with the attachment replaced by its size and digest."""
    data = to_dict(booking)
    if booking.attachment is not None:
        data["attachment"] = {
            "file_name": booking.attachment.file_name,
            "media_type": booking.attachment.media_type,
            "size": len(booking.attachment.content),
            "sha256": hashlib.sha256(booking.attachment.content).hexdigest(),
        }
    return data


#: Relation fields copied into the fingerprint as they are; the others are nested values.
_RELATION_PLAIN = (
    "id",
    "name",
    "number",
    "email",
    "phone",
    "mobile",
    "website",
    "vat_number",
    "coc_number",
    "iban",
    "bic",
    "payment_term_days",
    "currency",
    "language",
    "active",
)
#: Relation fields the fingerprint spells out itself (a test checks the two cover every field).
RELATION_NESTED = ("updated_at", "roles", "visiting_address", "postal_address", "contacts", "extra")
_relation_plain = operator.attrgetter(*_RELATION_PLAIN)
_contact = operator.attrgetter(*(f.name for f in attrs.fields(Contact)))


def _relation_values(relation: Relation) -> tuple[Any, ...]:
    """Every field of a relation as plain values (text, numbers), in a fixed order."""
    visiting, postal, updated = (
        relation.visiting_address,
        relation.postal_address,
        relation.updated_at,
    )
    return (
        _relation_plain(relation),
        updated.isoformat() if updated is not None else None,
        sorted([role.value for role in relation.roles]),
        _address_values(visiting) if visiting is not None else None,
        _address_values(postal) if postal is not None else None,
        [_contact(contact) for contact in relation.contacts],
        repr(sorted(relation.extra.items())) if relation.extra else None,
    )


def record_fingerprint(record: Relation | Project | Booking) -> str:
    """A digest of a CRM record exactly as given (before normalisation).

    Cheap enough to compute for every record of a large batch: equal fingerprints mean the
    record is unchanged since it was last synced, so nothing else needs computing. A relation's
    fields are read straight off the object into a tuple of text and numbers (roles and extra
    sorted), which ``marshal`` turns into bytes, several times cheaper than serialising the
    record. Format 2 is used because it has no back-references, so equal values give equal
    bytes however the objects are shared. Other records go through their JSON form, pickled.
    Equal bytes always mean equal records; the rare opposite (the same record encoded
    differently by another Python, or a fingerprint stored by an older finlink) only sends the
    record down the full comparison once, which then finds nothing to write.
    """
    if isinstance(record, Relation):
        data = marshal.dumps(_relation_values(record), 2)
    else:
        data = pickle.dumps(to_dict(record), protocol=5)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def payload_hash(payload: dict[str, Any]) -> str:
    """A stable digest of a payload (canonical JSON, sorted keys)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
