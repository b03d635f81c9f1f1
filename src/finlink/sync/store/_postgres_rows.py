"""Turning PostgreSQL rows (dicts) into store records.

psycopg hands ``timestamptz`` back as aware datetimes in the session's time zone and
``jsonb`` already decoded; records always carry UTC, so times are converted here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from finlink.sync.store._records import (
    ErrorEntry,
    Intent,
    Link,
    OutboxEntry,
    Review,
    ReviewResolution,
    Run,
)

__all__ = ["error_entry", "intent", "link", "outbox_entry", "review", "run"]

Row = dict[str, Any]


def _time(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _optional_time(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def link(row: Row) -> Link:
    """Build a :class:`Link` from a ``finlink_links`` row."""
    return Link(
        administration=row["administration"],
        entity=row["entity"],
        crm_key=row["crm_key"],
        remote_id=row["remote_id"],
        snapshot=row["snapshot"],
        snapshot_hash=row["snapshot_hash"],
        remote_version=row["remote_version"],
        synced_at=_time(row["synced_at"]),
    )


def intent(row: Row) -> Intent:
    """Build an :class:`Intent` from a ``finlink_intents`` row."""
    return Intent(
        administration=row["administration"],
        entity=row["entity"],
        crm_key=row["crm_key"],
        reference=row["reference"],
        operation=row["operation"],
        payload_hash=row["payload_hash"],
        created_at=_time(row["created_at"]),
        attempts=int(row["attempts"]),
    )


def outbox_entry(row: Row) -> OutboxEntry:
    """Build an :class:`OutboxEntry` from a ``finlink_outbox`` row."""
    targets = row["administrations"]
    return OutboxEntry(
        entry_id=int(row["entry_id"]),
        entity=row["entity"],
        crm_key=row["crm_key"],
        payload=row["payload"],
        administrations=None if targets is None else tuple(sorted(targets)),
        revision=int(row["revision"]),
        enqueued_at=_time(row["enqueued_at"]),
        updated_at=_time(row["updated_at"]),
        available_at=_time(row["available_at"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        claimed_by=row["claimed_by"],
        lease_until=_optional_time(row["lease_until"]),
    )


def error_entry(row: Row) -> ErrorEntry:
    """Build an :class:`ErrorEntry` from a ``finlink_errors`` row."""
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
        first_seen=_time(row["first_seen"]),
        last_seen=_time(row["last_seen"]),
    )


def review(row: Row) -> Review:
    """Build a :class:`Review` from a ``finlink_reviews`` row."""
    resolution = row["resolution"]
    return Review(
        review_id=int(row["review_id"]),
        administration=row["administration"],
        entity=row["entity"],
        crm_key=row["crm_key"],
        reason=row["reason"],
        candidates=tuple(row["candidates"]),
        payload=row["payload"],
        created_at=_time(row["created_at"]),
        updated_at=_time(row["updated_at"]),
        resolution=None if resolution is None else ReviewResolution(resolution),
        remote_id=row["remote_id"],
        resolved_at=_optional_time(row["resolved_at"]),
        choices=row.get("choices"),
    )


def run(row: Row) -> Run:
    """Build a :class:`Run` from a ``finlink_runs`` row."""
    return Run(
        run_id=int(row["run_id"]),
        administration=row["administration"],
        kind=row["kind"],
        started_at=_time(row["started_at"]),
        finished_at=_time(row["finished_at"]),
        ok=bool(row["ok"]),
        counts=row["counts"],
    )
