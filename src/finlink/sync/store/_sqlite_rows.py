"""Turning SQLite rows into store records, and times into the fixed-width text stored."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from finlink.sync.store._records import (
    ErrorEntry,
    Intent,
    Link,
    OutboxEntry,
    Review,
    ReviewResolution,
    Run,
    utc,
)

__all__ = [
    "error_entry",
    "intent",
    "link",
    "outbox_entry",
    "parse_time",
    "review",
    "run",
    "stored_object",
    "time_text",
]

# Fixed width with microseconds and a literal Z: stored times sort as text in time order,
# so SQL can compare them (lease expiry, backoff) without date functions.
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def time_text(value: datetime) -> str:
    """Return the stored text of an aware datetime (UTC, fixed width).

    Raises:
        ValueError: For a naive datetime.
    """
    return utc(value).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Read back a time stored by :func:`time_text`."""
    # fromisoformat reads the trailing Z from Python 3.11 on, and is many times faster than
    # strptime, which matters when links() streams 100,000 rows.
    return datetime.fromisoformat(text)


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


def stored_object(text: str | None) -> dict[str, Any] | None:
    """The JSON object a payload column holds, or None."""
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):  # pragma: no cover - only the store writes these columns
        raise TypeError("a stored payload is not a JSON object")
    return value


def _required_object(text: str) -> dict[str, Any]:
    value = stored_object(text)
    assert value is not None  # the columns holding these are NOT NULL
    return value


def link(row: sqlite3.Row) -> Link:
    """Build a :class:`Link` from a ``links`` row."""
    return Link(
        administration=row["administration"],
        entity=row["entity"],
        crm_key=row["crm_key"],
        remote_id=row["remote_id"],
        snapshot=stored_object(row["snapshot"]),
        snapshot_hash=row["snapshot_hash"],
        remote_version=row["remote_version"],
        synced_at=parse_time(row["synced_at"]),
    )


def intent(row: sqlite3.Row) -> Intent:
    """Build an :class:`Intent` from an ``intents`` row."""
    return Intent(
        administration=row["administration"],
        entity=row["entity"],
        crm_key=row["crm_key"],
        reference=row["reference"],
        operation=row["operation"],
        payload_hash=row["payload_hash"],
        created_at=parse_time(row["created_at"]),
        attempts=int(row["attempts"]),
    )


def outbox_entry(row: sqlite3.Row, targets: Sequence[str]) -> OutboxEntry:
    """Build an :class:`OutboxEntry` from an ``outbox`` row and its target administrations."""
    return OutboxEntry(
        entry_id=int(row["entry_id"]),
        entity=row["entity"],
        crm_key=row["crm_key"],
        payload=_required_object(row["payload"]),
        administrations=None if row["all_administrations"] else tuple(sorted(targets)),
        revision=int(row["revision"]),
        enqueued_at=parse_time(row["enqueued_at"]),
        updated_at=parse_time(row["updated_at"]),
        available_at=parse_time(row["available_at"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        claimed_by=row["claimed_by"],
        lease_until=_optional_time(row["lease_until"]),
    )


def error_entry(row: sqlite3.Row) -> ErrorEntry:
    """Build an :class:`ErrorEntry` from an ``errors`` row."""
    return ErrorEntry(
        administration=row["administration"],
        entity=row["entity"],
        crm_key=row["crm_key"],
        kind=row["kind"],
        message=row["message"],
        field_path=row["field_path"],
        rule=row["rule"],
        vendor_code=row["vendor_code"],
        retriable=bool(row["retriable"]),
        attempts=int(row["attempts"]),
        first_seen=parse_time(row["first_seen"]),
        last_seen=parse_time(row["last_seen"]),
    )


def review(row: sqlite3.Row) -> Review:
    """Build a :class:`Review` from a ``reviews`` row."""
    candidates = json.loads(row["candidates"])
    resolution = row["resolution"]
    return Review(
        review_id=int(row["review_id"]),
        administration=row["administration"],
        entity=row["entity"],
        crm_key=row["crm_key"],
        reason=row["reason"],
        candidates=tuple(candidates),
        payload=_required_object(row["payload"]),
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
        resolution=None if resolution is None else ReviewResolution(resolution),
        remote_id=row["remote_id"],
        resolved_at=_optional_time(row["resolved_at"]),
        choices=stored_object(row["choices"]),
    )


def run(row: sqlite3.Row) -> Run:
    """Build a :class:`Run` from a ``runs`` row."""
    return Run(
        run_id=int(row["run_id"]),
        administration=row["administration"],
        kind=row["kind"],
        started_at=parse_time(row["started_at"]),
        finished_at=parse_time(row["finished_at"]),
        ok=bool(row["ok"]),
        counts=_required_object(row["counts"]),
    )
