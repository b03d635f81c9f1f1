"""The data of one Exact administration (division): tables, row versions, deletions.

Every insert or update takes the next ``Timestamp`` (a rowversion shared by the whole
division, "no relation with actual date or time", reference §4.7), which is what
``/sync/...?$filter=Timestamp gt nL`` reads. Deletions go to the ``sync/Deleted`` log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from finlink.clock import Clock
from finlink.testing.exact.entities.base import Record

__all__ = ["DivisionStore", "OpenItem", "Payment"]


@attrs.define(kw_only=True)
class Payment:
    """A payment matched against an open item (a cash-flow entry in Exact)."""

    hid: int
    entry_number: int
    amount: Decimal
    date: datetime


@attrs.define(kw_only=True)
class OpenItem:
    """One payment term of a sales or purchase entry (receivable or payable)."""

    hid: int
    entry_id: uuid.UUID
    sales: bool
    payments: list[Payment] = attrs.field(factory=list)


class DivisionStore:
    """Tables of one division.

    Args:
        code: The division number (``Code`` in ``system/Divisions``).
        description: The administration's name.
        clock: Where ``Created``/``Modified`` come from.
        user_id: The user that appears as creator/modifier.
        on_change: Called with (division, entity path, action, key) after each change, for
            webhooks.
    """

    def __init__(
        self,
        code: int,
        description: str,
        clock: Clock,
        user_id: uuid.UUID,
        on_change: Callable[[int, str, str, Any], None] | None = None,
    ) -> None:
        self.code = code
        self.description = description
        self.clock = clock
        self.user_id = user_id
        self.on_change = on_change
        self._tables: dict[str, dict[Any, Record]] = {}
        # rowversions are large numbers in real divisions; start somewhere plausible
        self._rowversion = 1_000_000 + (code % 1000) * 10
        self._hid = 0
        self.deleted: list[Record] = []
        self.open_items: dict[uuid.UUID, OpenItem] = {}
        self.entry_numbers: dict[str, int] = {}

    def table(self, path: str) -> dict[Any, Record]:
        """The rows of one entity, by key (created on first use)."""
        return self._tables.setdefault(path, {})

    def next_timestamp(self) -> int:
        """The next rowversion."""
        self._rowversion += 1
        return self._rowversion

    def next_hid(self) -> int:
        """The next human-readable id (``HID``)."""
        self._hid += 1
        return self._hid

    def next_entry_number(self, journal: str, year: int) -> int:
        """The next entry number of a journal: ``YYJJ0001`` style (ossobv README pattern)."""
        current = self.entry_numbers.get(journal)
        if current is None:
            digits = "".join(ch for ch in journal if ch.isdigit())[-2:] or "0"
            current = int(f"{year % 100:02d}{int(digits):02d}0000")
        self.entry_numbers[journal] = current + 1
        return current + 1

    def insert(self, path: str, key: Any, record: Record, *, notify: bool = True) -> Record:
        """Store a new row with fresh Created/Modified/Timestamp."""
        now = self.clock.now()
        record["Division"] = self.code
        record["Created"] = record.get("Created") or now
        record["Modified"] = now
        record["Creator"] = record.get("Creator") or self.user_id
        record["Modifier"] = self.user_id
        record["Timestamp"] = self.next_timestamp()
        self.table(path)[key] = record
        if notify and self.on_change is not None:
            self.on_change(self.code, path, "Create", key)
        return record

    def touch(self, path: str, key: Any, *, notify: bool = True) -> Record:
        """Mark a row changed: bumps Modified and Timestamp."""
        record = self.table(path)[key]
        record["Modified"] = self.clock.now()
        record["Modifier"] = self.user_id
        record["Timestamp"] = self.next_timestamp()
        if notify and self.on_change is not None:
            self.on_change(self.code, path, "Update", key)
        return record

    def delete(
        self, path: str, key: Any, entity_type: int | None, *, notify: bool = True
    ) -> Record:
        """Remove a row and log it in ``sync/Deleted`` when the entity is tracked there."""
        record = self.table(path).pop(key)
        if entity_type is not None:
            self.deleted.append(
                {
                    "ID": uuid.uuid4(),
                    "Timestamp": self.next_timestamp(),
                    "DeletedBy": self.user_id,
                    "DeletedDate": self.clock.now(),
                    "Division": self.code,
                    "EntityKey": key,
                    "EntityType": entity_type,
                }
            )
        if notify and self.on_change is not None:
            self.on_change(self.code, path, "Delete", key)
        return record
