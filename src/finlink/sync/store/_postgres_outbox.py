"""The PostgreSQL store's outbox statements, run inside a transaction the store opened.

The rules are SQLite's (see :mod:`._sqlite_outbox`): a record has at most one entry no worker
holds, which later edits overwrite; an entry a worker holds is never changed, a later edit
queues behind it; only the oldest entry of a record is claimable. What differs is how they
hold with many workers at once, each on its own connection:

- :func:`claim` is one ``UPDATE`` over rows picked ``FOR UPDATE SKIP LOCKED``: two workers
  claiming at once each skip what the other is taking, and neither waits for the other;
- :func:`enqueue` serialises the edits of one record with a transaction-scoped advisory lock
  on the record, and locks the entry it coalesces into, re-checked after the wait, so an
  entry a worker claimed meanwhile is never overwritten (the edit queues behind it);
- :func:`ack`, :func:`release` and :func:`extend_lease` only touch an entry whose
  ``claimed_by`` is still the caller: once a lease ran out and another worker claimed the
  entry, the old owner can neither acknowledge nor release it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from finlink._errors import SyncError
from finlink.sync.store import _postgres_rows as rows
from finlink.sync.store._postgres_connection import Conn
from finlink.sync.store._records import OutboxEntry

__all__ = [
    "ack",
    "claim",
    "claim_record",
    "depth",
    "enqueue",
    "extend_lease",
    "fetch",
    "namespaces_with_work",
    "release",
]

#: First key of the two-key advisory locks on one record's outbox entries (``'fobx'``); the
#: two-key form never collides with the one-key locks of migrations.
_RECORD_LOCK_CLASS = 0x66_6F_62_78


def fetch(conn: Conn, namespace: str, entry_id: int) -> OutboxEntry | None:
    """Return one entry, or None."""
    row = conn.execute(
        "SELECT * FROM finlink_outbox WHERE namespace = %s AND entry_id = %s",
        (namespace, entry_id),
    ).fetchone()
    return None if row is None else rows.outbox_entry(row)


def _joined(current: Sequence[str] | None, added: Sequence[str] | None) -> list[str] | None:
    """Join two administration lists; None (every administration) absorbs the other."""
    if current is None or added is None:
        return None
    return sorted(set(current) | set(added))


def enqueue(
    conn: Conn,
    now: datetime,
    *,
    namespace: str,
    entity: str,
    crm_key: str,
    payload: str,
    targets: Sequence[str] | None,
) -> OutboxEntry:
    """Insert or coalesce an entry; return it."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
        (_RECORD_LOCK_CLASS, f"{namespace}\x1f{entity}\x1f{crm_key}"),
    )
    row = conn.execute(
        "SELECT entry_id, administrations FROM finlink_outbox "
        "WHERE namespace = %s AND entity = %s AND crm_key = %s AND claimed_by IS NULL "
        "ORDER BY entry_id DESC LIMIT 1 FOR UPDATE",
        (namespace, entity, crm_key),
    ).fetchone()
    if row is None:
        inserted = conn.execute(
            "INSERT INTO finlink_outbox (namespace, entity, crm_key, payload, administrations, "
            "revision, enqueued_at, updated_at, available_at, attempts) "
            "VALUES (%s, %s, %s, %s::jsonb, %s, 1, %s, %s, %s, 0) RETURNING *",
            (namespace, entity, crm_key, payload, targets, now, now, now),
        ).fetchone()
    else:
        # A new edit may fix whatever made the last attempt fail, so it is available at once
        # rather than after the backoff.
        inserted = conn.execute(
            "UPDATE finlink_outbox SET payload = %s::jsonb, revision = revision + 1, "
            "updated_at = %s, available_at = %s, administrations = %s "
            "WHERE entry_id = %s RETURNING *",
            (payload, now, now, _joined(row["administrations"], targets), row["entry_id"]),
        ).fetchone()
    assert inserted is not None  # RETURNING of a row written in this transaction
    return rows.outbox_entry(inserted)


def claim(
    conn: Conn, namespace: str, *, now: datetime, lease_until: datetime, limit: int, worker: str
) -> list[OutboxEntry]:
    """Lease up to ``limit`` available entries of ``namespace`` to ``worker``."""
    found = conn.execute(
        "WITH picked AS (SELECT o.entry_id FROM finlink_outbox o "
        "WHERE o.namespace = %(ns)s AND (o.claimed_by IS NULL OR o.lease_until <= %(now)s) "
        "AND o.available_at <= %(now)s "
        "AND NOT EXISTS (SELECT 1 FROM finlink_outbox p WHERE p.namespace = o.namespace "
        "AND p.entity = o.entity AND p.crm_key = o.crm_key AND p.entry_id < o.entry_id) "
        "ORDER BY o.entry_id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
        "UPDATE finlink_outbox SET claimed_by = %(worker)s, lease_until = %(until)s "
        "FROM picked WHERE finlink_outbox.entry_id = picked.entry_id RETURNING finlink_outbox.*",
        {"ns": namespace, "now": now, "limit": limit, "worker": worker, "until": lease_until},
    ).fetchall()
    return sorted((rows.outbox_entry(row) for row in found), key=lambda e: e.entry_id)


def claim_record(
    conn: Conn,
    namespace: str,
    *,
    now: datetime,
    lease_until: datetime,
    entity: str,
    crm_key: str,
    worker: str,
) -> OutboxEntry | None:
    """Lease one record's oldest entry to ``worker`` now, out of its backoff; None if none.

    Raises:
        SyncError: If another worker holds the entry and its lease has not run out.
    """
    # The row lock keeps a claim() running at the same moment from taking it too.
    row = conn.execute(
        "SELECT entry_id, claimed_by, lease_until FROM finlink_outbox "
        "WHERE namespace = %s AND entity = %s AND crm_key = %s "
        "ORDER BY entry_id LIMIT 1 FOR UPDATE",
        (namespace, entity, crm_key),
    ).fetchone()
    if row is None:
        return None
    holder = row["claimed_by"]
    if holder is not None and holder != worker and row["lease_until"] > now:
        raise SyncError(
            f"{entity} {crm_key!r} is being sent right now by worker {holder}; "
            "wait for that attempt to finish"
        )
    claimed = conn.execute(
        "UPDATE finlink_outbox SET claimed_by = %s, lease_until = %s, available_at = %s "
        "WHERE entry_id = %s RETURNING *",
        (worker, lease_until, now, row["entry_id"]),
    ).fetchone()
    assert claimed is not None  # locked just above in this transaction
    return rows.outbox_entry(claimed)


def extend_lease(conn: Conn, namespace: str, entry_id: int, worker: str, until: datetime) -> bool:
    """Move the lease of an entry ``worker`` holds to ``until``; return whether it did."""
    cursor = conn.execute(
        "UPDATE finlink_outbox SET lease_until = %s "
        "WHERE namespace = %s AND entry_id = %s AND claimed_by = %s",
        (until, namespace, entry_id, worker),
    )
    return cursor.rowcount == 1


def ack(conn: Conn, namespace: str, entry_id: int, worker: str) -> bool:
    """Delete an entry ``worker`` holds; return whether it did."""
    cursor = conn.execute(
        "DELETE FROM finlink_outbox WHERE namespace = %s AND entry_id = %s AND claimed_by = %s",
        (namespace, entry_id, worker),
    )
    return cursor.rowcount == 1


def release(
    conn: Conn,
    namespace: str,
    entry_id: int,
    worker: str,
    *,
    error: str | None,
    retry_at: datetime,
) -> bool:
    """Give an entry back for a later attempt, or fold it into a newer one of its record."""
    row = conn.execute(
        "SELECT * FROM finlink_outbox WHERE namespace = %s AND entry_id = %s "
        "AND claimed_by = %s FOR UPDATE",
        (namespace, entry_id, worker),
    ).fetchone()
    if row is None:
        return False
    newer = conn.execute(
        "SELECT entry_id, administrations FROM finlink_outbox WHERE namespace = %s "
        "AND entity = %s AND crm_key = %s AND entry_id > %s ORDER BY entry_id LIMIT 1 FOR UPDATE",
        (namespace, row["entity"], row["crm_key"], entry_id),
    ).fetchone()
    if newer is None:
        conn.execute(
            "UPDATE finlink_outbox SET claimed_by = NULL, lease_until = NULL, "
            "attempts = attempts + 1, last_error = %s, available_at = %s WHERE entry_id = %s",
            (error, retry_at, entry_id),
        )
        return True
    # The newer entry carries the record's latest state, which supersedes the failed one;
    # keeping the failed one would hold the newer change back behind its backoff. Its
    # administrations still need the change, so they join the newer entry's.
    conn.execute(
        "UPDATE finlink_outbox SET administrations = %s, last_error = COALESCE(last_error, %s) "
        "WHERE entry_id = %s",
        (_joined(newer["administrations"], row["administrations"]), error, newer["entry_id"]),
    )
    conn.execute("DELETE FROM finlink_outbox WHERE entry_id = %s", (entry_id,))
    return True


def depth(conn: Conn, namespace: str, administration: str | None) -> int:
    """Count the waiting entries (for one administration, counting "every" entries)."""
    if administration is None:
        row = conn.execute(
            "SELECT COUNT(*) AS n FROM finlink_outbox WHERE namespace = %s", (namespace,)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT COUNT(*) AS n FROM finlink_outbox WHERE namespace = %s "
            "AND (administrations IS NULL OR %s = ANY (administrations))",
            (namespace, administration),
        ).fetchone()
    assert row is not None  # COUNT(*) always yields one row
    return int(row["n"])


def namespaces_with_work(conn: Conn, now: datetime) -> list[str]:
    """Return, by name, the namespaces with an entry a worker could claim at ``now``."""
    found = conn.execute(
        "SELECT DISTINCT namespace FROM finlink_outbox "
        "WHERE (claimed_by IS NULL OR lease_until <= %s) AND available_at <= %s "
        "ORDER BY namespace",
        (now, now),
    ).fetchall()
    return [row["namespace"] for row in found]
