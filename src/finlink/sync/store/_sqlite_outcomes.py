"""The SQLite store's intent and outcome statements, run inside a transaction it opened.

``record_outcome`` and ``record_failure`` are the heart of exactly-once writes: the link,
the snapshot, the intent, the error log and the outbox entry change together or not at all,
so a process killed between any two statements leaves either the state before the write or
the state after it, never a link without its acknowledgement or the reverse.
"""

from __future__ import annotations

import sqlite3

from finlink._errors import SyncError
from finlink.sync.store import _sqlite_outbox as outbox
from finlink.sync.store import _sqlite_rows as rows
from finlink.sync.store._records import ErrorEntry, Intent, Link

__all__ = ["begin_intent", "record_failure", "record_outcome"]

Key = tuple[str, str, str]


def begin_intent(
    conn: sqlite3.Connection,
    now: str,
    key: Key,
    *,
    reference: str,
    operation: str,
    payload_hash: str,
) -> Intent:
    """Insert the record's intent, or count one more attempt of the same one."""
    administration, entity, crm_key = key
    row = conn.execute(
        "SELECT * FROM intents WHERE administration = ? AND entity = ? AND crm_key = ?", key
    ).fetchone()
    if row is not None:
        if row["reference"] != reference:
            raise SyncError(
                f"{entity} {crm_key!r} in administration {administration!r} has a pending "
                f"write with reference {row['reference']!r}; probe for it and record the "
                f"outcome (or clear the intent) before writing with {reference!r}"
            )
        conn.execute(
            "UPDATE intents SET attempts = attempts + 1, operation = ?, payload_hash = ?, "
            "updated_at = ? WHERE administration = ? AND entity = ? AND crm_key = ?",
            (operation, payload_hash, now, *key),
        )
    else:
        other = conn.execute(
            "SELECT crm_key FROM intents WHERE administration = ? AND entity = ? AND reference = ?",
            (administration, entity, reference),
        ).fetchone()
        if other is not None:
            raise SyncError(
                f"reference {reference!r} is already pending for {entity} "
                f"{other['crm_key']!r} in administration {administration!r}; two records "
                "cannot share the reference the vendor stores"
            )
        conn.execute(
            "INSERT INTO intents (administration, entity, crm_key, reference, operation, "
            "payload_hash, created_at, updated_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (*key, reference, operation, payload_hash, now, now),
        )
        # What was just inserted, without reading it back (a batch reserves many at once).
        return Intent(
            administration=administration,
            entity=entity,
            crm_key=crm_key,
            reference=reference,
            operation=operation,
            payload_hash=payload_hash,
            created_at=rows.parse_time(now),
            attempts=1,
        )
    return rows.intent(
        conn.execute(
            "SELECT * FROM intents WHERE administration = ? AND entity = ? AND crm_key = ?", key
        ).fetchone()
    )


def record_outcome(
    conn: sqlite3.Connection,
    now: str,
    key: Key,
    *,
    remote_id: str,
    snapshot: str | None,
    snapshot_hash: str | None,
    remote_version: str | None,
    outbox_entry: int | None,
    worker: str | None,
) -> Link:
    """Write the link, clear intent and error, acknowledge the outbox entry."""
    administration, entity, crm_key = key
    owner = conn.execute(
        "SELECT crm_key FROM links WHERE administration = ? AND entity = ? AND remote_id = ? "
        "AND crm_key <> ?",
        (administration, entity, remote_id, crm_key),
    ).fetchone()
    if owner is not None:
        # Two CRM records on one remote record would make every later update of either
        # overwrite the other in the accounting system.
        raise SyncError(
            f"remote {entity} {remote_id!r} in administration {administration!r} is already "
            f"linked to CRM record {owner['crm_key']!r}; not linking it to {crm_key!r} as well"
        )
    conn.execute(
        "INSERT INTO links (administration, entity, crm_key, remote_id, snapshot, "
        "snapshot_hash, remote_version, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (administration, entity, crm_key) DO UPDATE SET "
        "remote_id = excluded.remote_id, snapshot = excluded.snapshot, "
        "snapshot_hash = excluded.snapshot_hash, remote_version = excluded.remote_version, "
        "synced_at = excluded.synced_at",
        (*key, remote_id, snapshot, snapshot_hash, remote_version, now),
    )
    conn.execute("DELETE FROM intents WHERE administration = ? AND entity = ? AND crm_key = ?", key)
    conn.execute("DELETE FROM errors WHERE administration = ? AND entity = ? AND crm_key = ?", key)
    if outbox_entry is not None and worker is not None:
        outbox.ack(conn, outbox_entry, worker)
    # The row just written, without reading it back: this runs for every record of a sync.
    return Link(
        administration=administration,
        entity=entity,
        crm_key=crm_key,
        remote_id=remote_id,
        snapshot=rows.stored_object(snapshot),
        snapshot_hash=snapshot_hash,
        remote_version=remote_version,
        synced_at=rows.parse_time(now),
    )


def record_failure(
    conn: sqlite3.Connection,
    now: str,
    key: Key,
    *,
    kind: str,
    message: str,
    retriable: bool,
    field_path: str | None,
    rule: str | None,
    vendor_code: str | None,
    outcome_unknown: bool,
    outbox_entry: int | None,
    worker: str | None,
    retry_at: str,
) -> ErrorEntry:
    """Write the error-log entry, drop a settled intent, release the outbox entry."""
    conn.execute(
        "INSERT INTO errors (administration, entity, crm_key, kind, message, field_path, "
        "rule, vendor_code, retriable, attempts, first_seen, last_seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
        "ON CONFLICT (administration, entity, crm_key) DO UPDATE SET "
        "kind = excluded.kind, message = excluded.message, field_path = excluded.field_path, "
        "rule = excluded.rule, vendor_code = excluded.vendor_code, "
        "retriable = excluded.retriable, attempts = errors.attempts + 1, "
        "last_seen = excluded.last_seen",
        (*key, kind, message, field_path, rule, vendor_code, int(retriable), now, now),
    )
    if not outcome_unknown:
        # The vendor answered with a refusal, so nothing was created and the next attempt
        # need not probe. With an unknown outcome the intent stays: probe first.
        conn.execute(
            "DELETE FROM intents WHERE administration = ? AND entity = ? AND crm_key = ?", key
        )
    if outbox_entry is not None and worker is not None:
        outbox.release(conn, outbox_entry, worker, message, retry_at)
    return rows.error_entry(
        conn.execute(
            "SELECT * FROM errors WHERE administration = ? AND entity = ? AND crm_key = ?", key
        ).fetchone()
    )
