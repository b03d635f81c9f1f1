"""The pure core: from (CRM now, last-synced snapshot, accounting now) to what to do.

No I/O happens here. The engine gathers the three inputs, calls :func:`merge_fields`, and
turns the result into an :class:`~finlink.sync.report.Operation`.

The snapshot keeps two sides, because after a conflict the accountant may win and the CRM keep
its own value: ``crm`` is what finlink last saw in the CRM, ``accounting`` what it last knew
the administration to hold. A field changed in the CRM when it differs from ``crm``; it changed
in the administration when it differs from ``accounting``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from finlink.sync.conflicts import ConflictPolicy, FieldConflict, Resolution
from finlink.sync.report import ConflictDecision

__all__ = ["FieldMerge", "Snapshot", "merge_fields"]


@attrs.frozen(kw_only=True)
class Snapshot:
    """What finlink knew after the last sync of one record in one administration.

    Attributes:
        crm: The CRM payload as last seen.
        accounting: The administration's payload as last known (after finlink's write).
    """

    crm: Mapping[str, Any]
    accounting: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in the state store."""
        return {"crm": dict(self.crm), "accounting": dict(self.accounting)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Snapshot | None:
        """Read the stored JSON form back (None stays None)."""
        if not data:
            return None
        return cls(crm=data.get("crm", {}), accounting=data.get("accounting", {}))


@attrs.frozen(kw_only=True)
class FieldMerge:
    """The result of a three-way merge of one record.

    Attributes:
        to_write: Field → CRM value to write to the administration.
        inbound: Field → administration value the CRM does not have (for the host).
        conflicts: How each field conflict was decided.
        manual: True when a conflict was left to a person: nothing is written.
        accounting_after: The administration's payload after ``to_write`` is applied.
    """

    to_write: Mapping[str, Any]
    inbound: Mapping[str, Any]
    conflicts: tuple[ConflictDecision, ...]
    manual: bool
    accounting_after: Mapping[str, Any]

    @property
    def unchanged(self) -> bool:
        """Nothing to write and nothing came in."""
        return not self.to_write and not self.inbound and not self.conflicts


def merge_fields(
    *,
    crm_now: Mapping[str, Any],
    snapshot: Snapshot,
    accounting_now: Mapping[str, Any] | None,
    policy: ConflictPolicy,
    administration: str,
    entity: str,
    crm_key: str,
    crm_updated_at: datetime | None = None,
    accounting_modified_at: datetime | None = None,
) -> FieldMerge:
    """Merge one record three ways, field by field.

    Args:
        crm_now: The CRM payload now.
        snapshot: What finlink knew after the last sync.
        accounting_now: The administration's payload now, or None when no change on that side
            is known (then the snapshot's accounting side stands).
        policy: Decides fields both sides changed to different values.
        administration: For the conflicts' context.
        entity: For the conflicts' context.
        crm_key: For the conflicts' context.
        crm_updated_at: When the CRM changed the record (for ``newest_wins``).
        accounting_modified_at: When the administration changed it (for ``newest_wins``).
    """
    accounting = dict(snapshot.accounting if accounting_now is None else accounting_now)
    to_write: dict[str, Any] = {}
    inbound: dict[str, Any] = {}
    decisions: list[ConflictDecision] = []
    manual = False
    for field in crm_now.keys() | accounting.keys():
        crm_value = crm_now.get(field)
        acc_value = accounting.get(field)
        crm_changed = crm_value != snapshot.crm.get(field)
        acc_changed = acc_value != snapshot.accounting.get(field)
        if crm_value == acc_value:
            continue
        if crm_changed and not acc_changed:
            to_write[field] = crm_value
        elif acc_changed and not crm_changed:
            inbound[field] = acc_value
        elif crm_changed and acc_changed:
            resolution = policy(
                FieldConflict(
                    administration=administration,
                    entity=entity,
                    crm_key=crm_key,
                    field=field,
                    crm_value=crm_value,
                    accounting_value=acc_value,
                    crm_base=snapshot.crm.get(field),
                    accounting_base=snapshot.accounting.get(field),
                    crm_updated_at=crm_updated_at,
                    accounting_modified_at=accounting_modified_at,
                )
            )
            decisions.append(
                ConflictDecision(
                    field=field,
                    crm_value=crm_value,
                    accounting_value=acc_value,
                    resolution=resolution.value,
                )
            )
            if resolution is Resolution.CRM:
                to_write[field] = crm_value
            elif resolution is Resolution.ACCOUNTING:
                inbound[field] = acc_value
            else:
                manual = True
        # Neither side changed, yet they differ: the administration cannot hold the CRM's value
        # exactly (a vendor that trims or drops a field). Sending again would change nothing.
    if manual:
        to_write = {}
    after = {**accounting, **to_write}
    return FieldMerge(
        to_write=to_write,
        inbound=inbound,
        conflicts=tuple(decisions),
        manual=manual,
        accounting_after=after,
    )
