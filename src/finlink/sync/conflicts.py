"""Conflict priority: who wins when the CRM and the accountant changed the same field.

finlink merges each field three ways: what it last saw in the CRM, what it last left in the
administration, and both sides now. A change on one side only is taken as it is. When both
sides changed a field to different values, a :class:`ConflictPolicy` decides:

- :data:`crm_wins` (the default, matching finlink's one-way design): the CRM value is written;
- :data:`accounting_wins`: the accountant's value stays, and the host gets an inbound change;
- :data:`newest_wins`: the side that changed last wins (CRM ``updated_at`` against the
  administration's ``modified_at``; the CRM wins a tie or when a time is unknown);
- :func:`field_ownership`: per field, e.g. the CRM owns name and address, the accountant owns
  IBAN and payment term;
- :data:`manual`: nothing is written; the record goes to the review queue.

A policy is any callable ``(FieldConflict) -> Resolution``.

A conflict left to a person waits in the review queue. :func:`conflict_versions` lays out
each field's three versions (last synced, CRM, administration) for a screen, and
:meth:`finlink.sync.SyncEngine.resolve_conflict` takes the person's choice per field.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from finlink.sync.store import Review

__all__ = [
    "ConflictPolicy",
    "FieldConflict",
    "FieldVersions",
    "Resolution",
    "accounting_wins",
    "conflict_remote_id",
    "conflict_versions",
    "crm_wins",
    "field_ownership",
    "is_conflict",
    "manual",
    "newest_wins",
]


class Resolution(enum.StrEnum):
    """How one field conflict is settled."""

    CRM = "crm"
    """Write the CRM value to the administration."""
    ACCOUNTING = "accounting"
    """Keep the administration's value; offer it to the host as an inbound change."""
    MANUAL = "manual"
    """Write nothing; a person decides (the record goes to the review queue)."""


@attrs.frozen(kw_only=True)
class FieldConflict:
    """One field that both sides changed to different values since the last sync.

    Attributes:
        administration: Where the conflict is.
        entity: The entity name (``relation``...).
        crm_key: The CRM key of the record.
        field: The field name (``iban``, ``visiting_address``...).
        crm_value: The CRM's value now (JSON form).
        accounting_value: The administration's value now (JSON form).
        crm_base: What the CRM held at the last sync.
        accounting_base: What the administration held after the last sync.
        crm_updated_at: When the CRM last changed the record, if known.
        accounting_modified_at: When the administration last changed it, if known.
    """

    administration: str
    entity: str
    crm_key: str
    field: str
    crm_value: Any
    accounting_value: Any
    crm_base: Any = None
    accounting_base: Any = None
    crm_updated_at: datetime | None = None
    accounting_modified_at: datetime | None = None


class ConflictPolicy(Protocol):
    """Decides one field conflict."""

    def __call__(self, conflict: FieldConflict) -> Resolution:
        """Return who wins ``conflict``."""
        ...


def crm_wins(conflict: FieldConflict) -> Resolution:
    """The CRM value is written (the default)."""
    return Resolution.CRM


def accounting_wins(conflict: FieldConflict) -> Resolution:
    """The accountant's value stays; the host is told through an inbound change."""
    return Resolution.ACCOUNTING


def manual(conflict: FieldConflict) -> Resolution:
    """Nothing is written; the record waits in the review queue for a person."""
    return Resolution.MANUAL


def newest_wins(conflict: FieldConflict) -> Resolution:
    """The side that changed last wins; the CRM wins a tie or when either time is unknown."""
    crm, accounting = conflict.crm_updated_at, conflict.accounting_modified_at
    if crm is not None and accounting is not None and accounting > crm:
        return Resolution.ACCOUNTING
    return Resolution.CRM


@attrs.frozen
class _FieldOwnership:
    owners: Mapping[str, Resolution]
    default: ConflictPolicy

    def __call__(self, conflict: FieldConflict) -> Resolution:
        owner = self.owners.get(conflict.field)
        return owner if owner is not None else self.default(conflict)


def field_ownership(
    owners: Mapping[str, str | Resolution], *, default: ConflictPolicy = crm_wins
) -> ConflictPolicy:
    """A policy where each field has an owner.

    Args:
        owners: Field name → ``"crm"``, ``"accounting"`` or ``"manual"``, e.g.
            ``{"name": "crm", "iban": "accounting", "payment_term_days": "accounting"}``.
        default: The policy for fields not listed.

    Raises:
        ValueError: An owner is not one of the three names.
    """
    parsed: dict[str, Resolution] = {}
    for field, owner in owners.items():
        try:
            parsed[field] = Resolution(owner)
        except ValueError:
            allowed = ", ".join(r.value for r in Resolution)
            raise ValueError(
                f"owner of {field!r} must be one of {allowed}, not {owner!r}"
            ) from None
    return _FieldOwnership(parsed, default)


# -- conflicts waiting for a person ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FieldVersions:
    """The three versions of one field both sides changed, for a person to choose between.

    Values are in JSON form, as the review item holds them (an address is a dict, money a
    string).

    Attributes:
        field: The field name (``iban``, ``visiting_address``...).
        last_synced: What the administration held after the last sync: the value both sides
            started from (None when the item was raised by a finlink that did not keep it).
        crm_base: What the CRM held at the last sync (the CRM's side of the base).
        crm: The CRM's value now.
        accounting: The administration's value now.
        chosen: The side a person chose (``"crm"`` or ``"accounting"``) once the item is
            settled field by field; None while it waits.
    """

    field: str
    last_synced: Any
    crm_base: Any
    crm: Any
    accounting: Any
    chosen: str | None = None


def is_conflict(review: Review) -> bool:
    """Whether a review item is a conflict between the CRM and the administration.

    Such an item is raised by the ``manual`` policy (or a ``field_ownership`` naming
    ``"manual"``); it is settled with :meth:`~finlink.sync.SyncEngine.resolve_conflict`.
    """
    if not review.reason.startswith("conflict") or not review.candidates:
        return False
    first = review.candidates[0]
    return isinstance(first.get("conflicts"), list) and isinstance(first.get("remote_id"), str)


def conflict_remote_id(review: Review) -> str:
    """The remote record a conflict item is about (the record stays linked to it).

    Raises:
        ValueError: The item is not a conflict (see :func:`is_conflict`).
    """
    if not is_conflict(review):
        raise ValueError(f"review item {review.review_id} is not a conflict: {review.reason}")
    remote_id: str = review.candidates[0]["remote_id"]
    return remote_id


def conflict_versions(review: Review) -> list[FieldVersions]:
    """Each conflicting field of a conflict item with its three versions, in field order.

    A screen shows these side by side with a choice per field, without reading the item's
    candidate dicts itself.

    Raises:
        ValueError: The item is not a conflict (see :func:`is_conflict`).
    """
    if not is_conflict(review):
        raise ValueError(f"review item {review.review_id} is not a conflict: {review.reason}")
    chosen = review.choices or {}
    versions = [
        FieldVersions(
            field=str(item["field"]),
            last_synced=item.get("accounting_base"),
            crm_base=item.get("crm_base"),
            crm=item.get("crm_value"),
            accounting=item.get("accounting_value"),
            chosen=chosen.get(str(item["field"])),
        )
        for item in review.candidates[0]["conflicts"]
        if isinstance(item, Mapping) and "field" in item
    ]
    return sorted(versions, key=lambda v: v.field)
