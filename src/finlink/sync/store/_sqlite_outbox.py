"""The SQLite store's outbox statements, run inside a transaction the store opened.

The rules (see :meth:`finlink.sync.store.StateStore.enqueue` and ``claim``): a record has at
most one entry no worker holds, which later edits overwrite; an entry a worker holds is never
changed, a later edit queues behind it; only the oldest entry of a record is claimable, so
one record is never in flight twice and its changes reach the vendor in order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from finlink._errors import SyncError
from finlink.sync.store import _sqlite_rows as rows
from finlink.sync.store._records import OutboxEntry

__all__ = ["ack", "claim", "claim_record", "depth", "enqueue", "extend_lease", "fetch", "release"]


def fetch(conn: sqlite3.Connection, entry_id: int) -> OutboxEntry | None:
    """Return one entry with its target administrations, or None."""
    row = conn.execute("SELECT * FROM outbox WHERE entry_id = ?", (entry_id,)).fetchone()
    if row is None:
        return None
    targets = [
        t[0]
        for t in conn.execute(
            "SELECT administration FROM outbox_targets WHERE entry_id = ?", (entry_id,)
        )
    ]
    return rows.outbox_entry(row, targets)


def _add_targets(conn: sqlite3.Connection, entry_id: int, targets: Sequence[str]) -> None:
    for administration in targets:
        conn.execute(
            "INSERT INTO outbox_targets (entry_id, administration) VALUES (?, ?) "
            "ON CONFLICT (entry_id, administration) DO NOTHING",
            (entry_id, administration),
        )


def _make_all(conn: sqlite3.Connection, entry_id: int) -> None:
    conn.execute("UPDATE outbox SET all_administrations = 1 WHERE entry_id = ?", (entry_id,))
    conn.execute("DELETE FROM outbox_targets WHERE entry_id = ?", (entry_id,))


def enqueue(
    conn: sqlite3.Connection,
    now: str,
    *,
    entity: str,
    crm_key: str,
    payload: str,
    targets: Sequence[str] | None,
) -> int:
    """Insert or coalesce an entry; return its id."""
    row = conn.execute(
        "SELECT entry_id, all_administrations FROM outbox "
        "WHERE entity = ? AND crm_key = ? AND claimed_by IS NULL "
        "ORDER BY entry_id DESC LIMIT 1",
        (entity, crm_key),
    ).fetchone()
    if row is None:
        cursor = conn.execute(
            "INSERT INTO outbox (entity, crm_key, payload, all_administrations, revision, "
            "enqueued_at, updated_at, available_at, attempts) VALUES (?, ?, ?, ?, 1, ?, ?, ?, 0)",
            (entity, crm_key, payload, 1 if targets is None else 0, now, now, now),
        )
        entry_id = cursor.lastrowid
        assert entry_id is not None  # an INSERT into a rowid table always sets it
        if targets is not None:
            _add_targets(conn, entry_id, targets)
        return entry_id
    entry_id = int(row["entry_id"])
    # A new edit may fix whatever made the last attempt fail, so it is available at once
    # rather than after the backoff.
    conn.execute(
        "UPDATE outbox SET payload = ?, revision = revision + 1, updated_at = ?, "
        "available_at = ? WHERE entry_id = ?",
        (payload, now, now, entry_id),
    )
    if row["all_administrations"]:
        return entry_id
    if targets is None:
        _make_all(conn, entry_id)
    else:
        _add_targets(conn, entry_id, targets)
    return entry_id


def claim(
    conn: sqlite3.Connection, now: str, lease_until: str, limit: int, worker: str
) -> list[OutboxEntry]:
    """Lease up to ``limit`` available entries to ``worker``."""
    ids = [
        int(r[0])
        for r in conn.execute(
            "SELECT o.entry_id FROM outbox o "
            "WHERE (o.claimed_by IS NULL OR o.lease_until <= ?) AND o.available_at <= ? "
            "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.entity = o.entity "
            "AND p.crm_key = o.crm_key AND p.entry_id < o.entry_id) "
            "ORDER BY o.entry_id LIMIT ?",
            (now, now, limit),
        )
    ]
    claimed = []
    for entry_id in ids:
        conn.execute(
            "UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE entry_id = ?",
            (worker, lease_until, entry_id),
        )
        entry = fetch(conn, entry_id)
        assert entry is not None  # selected in this same transaction
        claimed.append(entry)
    return claimed


def claim_record(
    conn: sqlite3.Connection,
    now: str,
    lease_until: str,
    *,
    entity: str,
    crm_key: str,
    worker: str,
) -> OutboxEntry | None:
    """Lease one record's oldest entry to ``worker`` now, out of its backoff; None if none.

    Raises:
        SyncError: If another worker holds the entry and its lease has not run out.
    """
    row = conn.execute(
        "SELECT entry_id, claimed_by, lease_until FROM outbox WHERE entity = ? AND crm_key = ? "
        "ORDER BY entry_id LIMIT 1",
        (entity, crm_key),
    ).fetchone()
    if row is None:
        return None
    holder = row["claimed_by"]
    if holder is not None and holder != worker and row["lease_until"] > now:
        raise SyncError(
            f"{entity} {crm_key!r} is being sent right now by worker {holder}; "
            "wait for that attempt to finish"
        )
    entry_id = int(row["entry_id"])
    conn.execute(
        "UPDATE outbox SET claimed_by = ?, lease_until = ?, available_at = ? WHERE entry_id = ?",
        (worker, lease_until, now, entry_id),
    )
    return fetch(conn, entry_id)


def extend_lease(conn: sqlite3.Connection, entry_id: int, worker: str, until: str) -> bool:
    """Move the lease of an entry ``worker`` holds to ``until``; return whether it did."""
    cursor = conn.execute(
        "UPDATE outbox SET lease_until = ? WHERE entry_id = ? AND claimed_by = ?",
        (until, entry_id, worker),
    )
    return cursor.rowcount == 1


def ack(conn: sqlite3.Connection, entry_id: int, worker: str) -> bool:
    """Delete an entry ``worker`` holds; return whether it did."""
    cursor = conn.execute(
        "DELETE FROM outbox WHERE entry_id = ? AND claimed_by = ?", (entry_id, worker)
    )
    return cursor.rowcount == 1


def release(
    conn: sqlite3.Connection,
    entry_id: int,
    worker: str,
    error: str | None,
    retry_at: str,
) -> bool:
    """Give an entry back for a later attempt, or fold it into a newer one of its record."""
    row = conn.execute(
        "SELECT * FROM outbox WHERE entry_id = ? AND claimed_by = ?", (entry_id, worker)
    ).fetchone()
    if row is None:
        return False
    newer = conn.execute(
        "SELECT entry_id, all_administrations FROM outbox "
        "WHERE entity = ? AND crm_key = ? AND entry_id > ? ORDER BY entry_id LIMIT 1",
        (row["entity"], row["crm_key"], entry_id),
    ).fetchone()
    if newer is None:
        conn.execute(
            "UPDATE outbox SET claimed_by = NULL, lease_until = NULL, attempts = attempts + 1, "
            "last_error = ?, available_at = ? WHERE entry_id = ?",
            (error, retry_at, entry_id),
        )
        return True
    # The newer entry carries the record's latest state, which supersedes the failed one;
    # keeping the failed one would hold the newer change back behind its backoff. Its
    # administrations still need the change, so they join the newer entry's.
    newer_id = int(newer["entry_id"])
    if row["all_administrations"]:
        _make_all(conn, newer_id)
    elif not newer["all_administrations"]:
        conn.execute(
            "INSERT INTO outbox_targets (entry_id, administration) "
            "SELECT ?, administration FROM outbox_targets WHERE entry_id = ? "
            "AND administration NOT IN "
            "(SELECT administration FROM outbox_targets WHERE entry_id = ?)",
            (newer_id, entry_id, newer_id),
        )
    conn.execute(
        "UPDATE outbox SET last_error = COALESCE(last_error, ?) WHERE entry_id = ?",
        (error, newer_id),
    )
    conn.execute("DELETE FROM outbox WHERE entry_id = ?", (entry_id,))
    return True


def depth(conn: sqlite3.Connection, administration: str | None) -> int:
    """Count the waiting entries (for one administration)."""
    if administration is None:
        row = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()
    else:
        row = conn.execute(
            "SELECT COUNT(*) FROM outbox o WHERE o.all_administrations = 1 OR EXISTS "
            "(SELECT 1 FROM outbox_targets t WHERE t.entry_id = o.entry_id "
            "AND t.administration = ?)",
            (administration,),
        ).fetchone()
    return int(row[0])
