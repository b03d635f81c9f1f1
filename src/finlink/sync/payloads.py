"""The comparable form of each record: what finlink snapshots and compares for changes.

A payload is the normalised record as plain JSON (through :mod:`finlink.serialization`), with
only the fields that travel to the administration. Two payloads are equal exactly when there is
nothing to send, which is how an unchanged record costs no API call.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from finlink.model.booking import Booking, Project
from finlink.model.normalize import normalize_contact, normalize_relation
from finlink.model.relation import Contact, Relation
from finlink.serialization import to_dict

__all__ = [
    "RELATION_FIELDS",
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


def relation_payload(relation: Relation, *, normalized: bool = False) -> dict[str, Any]:
    """The relation's comparable fields, normalised, as JSON values."""
    data = to_dict(relation if normalized else normalize_relation(relation))
    return {field: data[field] for field in RELATION_FIELDS}


def contact_payload(contact: Contact) -> dict[str, Any]:
    """The contact's comparable fields, normalised."""
    data = to_dict(normalize_contact(contact))
    return {field: data[field] for field in _CONTACT_FIELDS}


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


def record_fingerprint(record: Relation | Project | Booking) -> str:
    """A stable digest of a CRM record exactly as given (before normalisation).

    Cheap enough to compute for every record of a large batch: equal fingerprints mean the
    record is unchanged since it was last synced, so nothing else needs computing.
    """
    text = json.dumps(to_dict(record), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def payload_hash(payload: dict[str, Any]) -> str:
    """A stable digest of a payload (canonical JSON, sorted keys)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
