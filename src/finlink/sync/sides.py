"""A review item's CRM record beside each candidate, field by field, differences marked.

A review screen shows the CRM record and the remote records it might be side by side, with
the fields that differ highlighted. The engine keeps each candidate's record with the item
(``candidate["record"]``, read while matching), in the same form as the item's
``payload``; :func:`side_by_side` lines the two up::

    from finlink.sync.sides import side_by_side

    for candidate in review.candidates:
        for row in side_by_side(review.payload, candidate.get("record")):
            print(row.field, row.crm, row.candidate, "≠" if row.differs else "")

Nested values are flattened to paths (``visiting_address.city``); lists of records by
position (``contacts[0].email``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

__all__ = ["FieldSides", "side_by_side"]

_MISSING: Any = object()


@attrs.frozen(kw_only=True)
class FieldSides:
    """One field of the CRM record beside the candidate's.

    Attributes:
        field: The field's path (``name``, ``visiting_address.postcode``).
        crm: The CRM record's value (JSON form), None when it has none.
        candidate: The candidate's value, None when it has none.
        differs: Whether the two differ (both empty counts as equal).
    """

    field: str
    crm: Any
    candidate: Any
    differs: bool


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def _empty(value: Any) -> bool:
    return value is None or value is _MISSING or value in ("", [], {})


def side_by_side(crm: Mapping[str, Any], candidate: Mapping[str, Any] | None) -> list[FieldSides]:
    """Every field of ``crm`` beside ``candidate``'s, in the CRM record's order.

    Fields only the candidate has come after the CRM record's. Without a candidate record
    (an item raised before finlink kept them, or a candidate not read while matching) every
    field shows the CRM value alone, marked as not differing.
    """
    mine = dict(_flatten(crm))
    theirs = dict(_flatten(candidate)) if candidate is not None else {}
    fields = list(mine) + [f for f in theirs if f not in mine]
    rows = []
    for field in fields:
        left, right = mine.get(field, _MISSING), theirs.get(field, _MISSING)
        differs = candidate is not None and not (_empty(left) and _empty(right)) and left != right
        rows.append(
            FieldSides(
                field=field,
                crm=None if left is _MISSING else left,
                candidate=None if right is _MISSING else right,
                differs=differs,
            )
        )
    return rows
