"""The PostgreSQL store's intent and outcome statements, run inside a transaction it opened.

As in SQLite, ``record_outcome`` and ``record_failure`` write the link, the snapshot, the
intent, the error log and the outbox entry together or not at all: PostgreSQL commits the
transaction whole or, if the connection breaks first, rolls all of it back.
"""

from __future__ import annotations

from datetime import datetime

from finlink._errors import SyncError
from finlink.sync.store import _postgres_outbox as outbox
from finlink.sync.store import _postgres_rows as rows
from finlink.sync.store._postgres_connection import Conn
from finlink.sync.store._postgres_lookups import Key
from finlink.sync.store._records import ErrorEntry, Intent, Link

__all__ = ["begin_intent", "record_failure", "record_outcome"]


def begin_intent(
    conn: Conn,
    now: datetime,
    key: Key,
    *,
    reference: str,
    operation: str,
    payload_hash: str,
) -> Intent:
    """Insert the record's intent, or count one more attempt of the same one."""
    namespace, administration, entity, crm_key = key
    row = conn.execute(
        "SELECT reference FROM finlink_intents WHERE namespace = %s AND administration = %s "
        "AND entity = %s AND crm_key = %s FOR UPDATE",
        key,
    ).fetchone()
    if row is not None:
        if row["reference"] != reference:
            raise SyncError(
                f"{entity} {crm_key!r} in administration {administration!r} has a pending "
                f"write with reference {row['reference']!r}; probe for it and record the "
                f"outcome (or clear the intent) before writing with {reference!r}"
            )
        written = conn.execute(
            "UPDATE finlink_intents SET attempts = attempts + 1, operation = %s, "
            "payload_hash = %s, updated_at = %s WHERE namespace = %s AND administration = %s "
            "AND entity = %s AND crm_key = %s RETURNING *",
            (operation, payload_hash, now, *key),
        ).fetchone()
    else:
        other = conn.execute(
            "SELECT crm_key FROM finlink_intents WHERE namespace = %s AND administration = %s "
            "AND entity = %s AND reference = %s",
            (namespace, administration, entity, reference),
        ).fetchone()
        if other is not None:
            raise SyncError(
                f"reference {reference!r} is already pending for {entity} "
                f"{other['crm_key']!r} in administration {administration!r}; two records "
                "cannot share the reference the vendor stores"
            )
        written = conn.execute(
            "INSERT INTO finlink_intents (namespace, administration, entity, crm_key, "
            "reference, operation, payload_hash, created_at, updated_at, attempts) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 1) RETURNING *",
            (*key, reference, operation, payload_hash, now, now),
        ).fetchone()
    assert written is not None  # RETURNING of the row just written
    return rows.intent(written)


def record_outcome(
    conn: Conn,
    now: datetime,
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
    namespace, administration, entity, crm_key = key
    owner = conn.execute(
        "SELECT crm_key FROM finlink_links WHERE namespace = %s AND administration = %s "
        "AND entity = %s AND remote_id = %s AND crm_key <> %s",
        (namespace, administration, entity, remote_id, crm_key),
    ).fetchone()
    if owner is not None:
        # Two CRM records on one remote record would make every later update of either
        # overwrite the other in the accounting system.
        raise SyncError(
            f"remote {entity} {remote_id!r} in administration {administration!r} is already "
            f"linked to CRM record {owner['crm_key']!r}; not linking it to {crm_key!r} as well"
        )
    # One round trip: the intent and the error go in the same statement as the link.
    written = conn.execute(
        "WITH dropped_intent AS (DELETE FROM finlink_intents WHERE namespace = %(ns)s "
        "AND administration = %(adm)s AND entity = %(entity)s AND crm_key = %(key)s), "
        "dropped_error AS (DELETE FROM finlink_errors WHERE namespace = %(ns)s "
        "AND administration = %(adm)s AND entity = %(entity)s AND crm_key = %(key)s) "
        "INSERT INTO finlink_links (namespace, administration, entity, crm_key, remote_id, "
        "snapshot, snapshot_hash, remote_version, synced_at) VALUES (%(ns)s, %(adm)s, "
        "%(entity)s, %(key)s, %(remote)s, %(snapshot)s::jsonb, %(hash)s, %(version)s, %(now)s) "
        "ON CONFLICT (namespace, administration, entity, crm_key) DO UPDATE SET "
        "remote_id = excluded.remote_id, snapshot = excluded.snapshot, "
        "snapshot_hash = excluded.snapshot_hash, remote_version = excluded.remote_version, "
        "synced_at = excluded.synced_at RETURNING *",
        {
            "ns": namespace,
            "adm": administration,
            "entity": entity,
            "key": crm_key,
            "remote": remote_id,
            "snapshot": snapshot,
            "hash": snapshot_hash,
            "version": remote_version,
            "now": now,
        },
    ).fetchone()
    assert written is not None  # RETURNING of the row just written
    if outbox_entry is not None and worker is not None:
        outbox.ack(conn, namespace, outbox_entry, worker)
    return rows.link(written)


def record_failure(
    conn: Conn,
    now: datetime,
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
    retry_at: datetime,
) -> ErrorEntry:
    """Write the error-log entry, drop a settled intent, release the outbox entry."""
    written = conn.execute(
        "INSERT INTO finlink_errors (namespace, administration, entity, crm_key, kind, "
        "message, field_path, rule, vendor_code, retriable, attempts, first_seen, last_seen) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s) "
        "ON CONFLICT (namespace, administration, entity, crm_key) DO UPDATE SET "
        "kind = excluded.kind, message = excluded.message, field_path = excluded.field_path, "
        "rule = excluded.rule, vendor_code = excluded.vendor_code, "
        "retriable = excluded.retriable, attempts = finlink_errors.attempts + 1, "
        "last_seen = excluded.last_seen RETURNING *",
        (*key, kind, message, field_path, rule, vendor_code, retriable, now, now),
    ).fetchone()
    assert written is not None  # RETURNING of the row just written
    if not outcome_unknown:
        # The vendor answered with a refusal, so nothing was created and the next attempt
        # need not probe. With an unknown outcome the intent stays: probe first.
        conn.execute(
            "DELETE FROM finlink_intents WHERE namespace = %s AND administration = %s "
            "AND entity = %s AND crm_key = %s",
            key,
        )
    if outbox_entry is not None and worker is not None:
        outbox.release(conn, key[0], outbox_entry, worker, error=message, retry_at=retry_at)
    return rows.error_entry(written)
