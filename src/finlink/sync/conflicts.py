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
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import attrs

__all__ = [
    "ConflictPolicy",
    "FieldConflict",
    "Resolution",
    "accounting_wins",
    "crm_wins",
    "field_ownership",
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
