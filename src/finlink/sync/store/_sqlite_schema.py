"""The SQLite store's schema: an ordered list of forward migrations, applied at open.

The schema version lives in a one-row ``schema_version`` table. Opening a database runs
every migration above its version, each in its own transaction, in order. A database from
a newer finlink (a version above the last migration here) is refused rather than guessed
at: an older finlink writing to it could lose what the newer one keeps.

Column types are plain ``TEXT``/``INTEGER`` and times are fixed-width UTC text
(``2026-01-05T09:00:00.000000Z``), so comparisons in SQL are string comparisons and the same
statements read naturally on PostgreSQL.
"""

from __future__ import annotations

import logging
import sqlite3

import attrs

from finlink._errors import SyncError

__all__ = ["MIGRATIONS", "Migration", "migrate", "schema_version"]

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class Migration:
    """One forward step of the schema.

    Attributes:
        version: The version the database has after this step (1, 2, ...).
        description: What the step does, for the log.
        statements: The SQL statements, run in one transaction.
    """

    version: int
    description: str
    statements: tuple[str, ...]


_V1 = (
    # One row per CRM record and administration; remote_id is unique too, so two CRM
    # records can never claim the same remote record (that would merge them remotely).
    """CREATE TABLE links (
        administration TEXT NOT NULL,
        entity TEXT NOT NULL,
        crm_key TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        snapshot TEXT,
        snapshot_hash TEXT,
        remote_version TEXT,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (administration, entity, crm_key),
        UNIQUE (administration, entity, remote_id)
    )""",
    # At most one pending write per record, and one record per reference: the reference
    # is what the engine probes by after a crash.
    """CREATE TABLE intents (
        administration TEXT NOT NULL,
        entity TEXT NOT NULL,
        crm_key TEXT NOT NULL,
        reference TEXT NOT NULL,
        operation TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        PRIMARY KEY (administration, entity, crm_key),
        UNIQUE (administration, entity, reference)
    )""",
    """CREATE TABLE cursors (
        administration TEXT NOT NULL,
        stream TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (administration, stream)
    )""",
    """CREATE TABLE outbox (
        entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
        entity TEXT NOT NULL,
        crm_key TEXT NOT NULL,
        payload TEXT NOT NULL,
        all_administrations INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        enqueued_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        available_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claimed_by TEXT,
        lease_until TEXT
    )""",
    "CREATE INDEX outbox_by_record ON outbox (entity, crm_key, entry_id)",
    "CREATE INDEX outbox_by_available ON outbox (available_at)",
    """CREATE TABLE outbox_targets (
        entry_id INTEGER NOT NULL REFERENCES outbox (entry_id) ON DELETE CASCADE,
        administration TEXT NOT NULL,
        PRIMARY KEY (entry_id, administration)
    )""",
    "CREATE INDEX outbox_targets_by_administration ON outbox_targets (administration)",
    """CREATE TABLE errors (
        administration TEXT NOT NULL,
        entity TEXT NOT NULL,
        crm_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        field_path TEXT,
        rule TEXT,
        vendor_code TEXT,
        retriable INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (administration, entity, crm_key)
    )""",
    """CREATE TABLE reviews (
        review_id INTEGER PRIMARY KEY AUTOINCREMENT,
        administration TEXT NOT NULL,
        entity TEXT NOT NULL,
        crm_key TEXT NOT NULL,
        reason TEXT NOT NULL,
        candidates TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        resolution TEXT,
        remote_id TEXT,
        resolved_at TEXT
    )""",
    # One open item per record; settled items stay as history.
    """CREATE UNIQUE INDEX reviews_open_per_record
        ON reviews (administration, entity, crm_key) WHERE resolution IS NULL""",
    """CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY AUTOINCREMENT,
        administration TEXT NOT NULL,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        ok INTEGER NOT NULL,
        counts TEXT NOT NULL
    )""",
    "CREATE INDEX runs_by_administration ON runs (administration, ok, finished_at)",
)

_V2 = (
    # A conflict decided field by field keeps its choices with the item (JSON object).
    "ALTER TABLE reviews ADD COLUMN choices TEXT",
    # The review page reads one page of open items at a time, by review_id after the last
    # one shown: these indexes make that a range read, however long the queue. They are not
    # partial: "resolution IS NULL" is then an index term, so counting the open items (for
    # "page x of y") reads the index alone.
    """CREATE INDEX reviews_open_by_administration
        ON reviews (administration, resolution, review_id)""",
    "CREATE INDEX reviews_open ON reviews (resolution, review_id)",
    "CREATE INDEX reviews_by_administration ON reviews (administration, review_id)",
    # One record's latest item (open or settled), read by a run that looks at few records.
    """CREATE INDEX reviews_per_record
        ON reviews (administration, entity, crm_key, review_id)""",
    # The error log of one entity across every administration, in the log's order.
    "CREATE INDEX errors_by_entity ON errors (entity, administration, crm_key)",
)

_V3 = (
    # The link's fingerprint in a column of its own, computed by SQLite from the snapshot it
    # is part of (so the two can never disagree, and no statement that writes a link changes).
    # The engine reads it for every record of a batch: from a column, no snapshot is parsed.
    # SQLite cannot add a STORED column to a table, so the table is built again; the column
    # comes before the snapshot, so reading it never steps over the snapshot's bytes.
    """CREATE TABLE links_v2 (
        administration TEXT NOT NULL,
        entity TEXT NOT NULL,
        crm_key TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        remote_version TEXT,
        fingerprint TEXT GENERATED ALWAYS AS (
            CASE json_type(snapshot, '$.fingerprint')
                WHEN 'text' THEN json_extract(snapshot, '$.fingerprint')
            END
        ) STORED,
        snapshot TEXT,
        snapshot_hash TEXT,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (administration, entity, crm_key),
        UNIQUE (administration, entity, remote_id)
    )""",
    """INSERT INTO links_v2 (administration, entity, crm_key, remote_id, remote_version,
        snapshot, snapshot_hash, synced_at)
        SELECT administration, entity, crm_key, remote_id, remote_version, snapshot,
        snapshot_hash, synced_at FROM links""",
    "DROP TABLE links",
    "ALTER TABLE links_v2 RENAME TO links",
)

#: Every migration, in order. Append only: a released step is never edited.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="links, intents, cursors, outbox, errors, reviews, runs",
        statements=_V1,
    ),
    Migration(
        version=2,
        description="per-field conflict choices on reviews; indexes for paging the queue",
        statements=_V2,
    ),
    Migration(
        version=3,
        description="links: the fingerprint in a column of its own (from the snapshot)",
        statements=_V3,
    ),
)


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the database's schema version, 0 for an empty database.

    Raises:
        SyncError: If the version table is there but holds no single row.
    """
    found = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if found is None:
        return 0
    rows = conn.execute("SELECT version FROM schema_version").fetchall()
    if len(rows) != 1:
        raise SyncError("the state store's schema_version table is damaged (not one row)")
    return int(rows[0][0])


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the database up to the last of ``migrations``; return the version it is at.

    Each step runs under ``BEGIN IMMEDIATE``, so two processes opening a new file at once do
    not both apply it: the second waits, then finds the work done. The connection must be in
    autocommit mode (``isolation_level=None``).

    Raises:
        SyncError: If the database is newer than these migrations know (written by a newer
            finlink) or its version table is damaged.
        sqlite3.Error: If a step fails; it is rolled back and the database keeps its
            version (the store turns this into ``SyncError``).
    """
    target = migrations[-1].version if migrations else 0
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = _checked_version(conn, target)
            if current < migration.version:
                for statement in migration.statements:
                    conn.execute(statement)
                if current == 0:
                    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                    conn.execute(
                        "INSERT INTO schema_version (version) VALUES (?)", (migration.version,)
                    )
                else:
                    conn.execute("UPDATE schema_version SET version = ?", (migration.version,))
                logger.info(
                    "state store migrated to schema version %d: %s",
                    migration.version,
                    migration.description,
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    # A database already at the target never enters the loop body's write path; check it
    # here too so a newer database is refused even with an empty migration list.
    return _checked_version(conn, target)


def _checked_version(conn: sqlite3.Connection, target: int) -> int:
    current = schema_version(conn)
    if current > target:
        raise SyncError(
            f"the state store was written by a newer finlink (schema version {current}; "
            f"this finlink knows up to {target}); upgrade finlink to open it"
        )
    return current
