"""Typed records that cross the backend seam: what a backend returns about the remote side."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import attrs

__all__ = ["EntityKind", "RemoteRecord"]

T = TypeVar("T")


class EntityKind:
    """The names of the entities finlink syncs, as used in links, cursors and logs."""

    RELATION = "relation"
    CONTACT = "contact"
    PROJECT = "project"
    BOOKING = "booking"

    ALL = (RELATION, CONTACT, PROJECT, BOOKING)


@attrs.frozen(kw_only=True)
class RemoteRecord(Generic[T]):
    """A record as one administration holds it, mapped to the domain model.

    Attributes:
        administration: The administration it lives in.
        remote_id: The vendor's key (Exact GUID, SnelStart GUID...).
        data: The record in domain form (e.g. a :class:`~finlink.Relation` whose ``id`` is the
            CRM key where the remote record carries one, else the remote id).
        crm_key: The CRM key found in the remote record (where finlink wrote it), else None.
        version: The vendor's row version or ETag, where it has one (Exact ``Timestamp``).
        modified_at: When the remote side last changed it (timezone-aware), where known.
        active: False when the remote record is blocked, archived or non-active.
    """

    administration: str
    remote_id: str
    data: T
    crm_key: str | None = None
    version: str | None = None
    modified_at: datetime | None = None
    active: bool = True
