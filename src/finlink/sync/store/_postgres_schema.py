"""The PostgreSQL store's schema: an ordered list of forward migrations.

The schema version lives in the one-row ``finlink_schema_version`` table. :func:`migrate`
runs every migration above the database's version, each in its own transaction, under a
transaction-scoped advisory lock, so several workers starting at once apply each step once.
A database from a newer finlink (a version above the last migration here) is refused rather
than guessed at, exactly as :mod:`._sqlite_schema` does.

Every table has a ``namespace``: one database serves many tenants, every key includes it
and every statement is scoped by it, so a tenant's queries never touch another's rows. Every
table is named ``finlink_*`` because the database is usually the host's own, next to its
tables. Keys are ``COLLATE "C"`` (bytewise, the order SQLite's ``BINARY`` gives); times are
``timestamptz``; JSON is ``jsonb`` (the engine reads ``snapshot->>'fingerprint'`` without
decoding snapshots).

Another finlink part that keeps state here (rate budgets, tokens) appends its own
:class:`Migration` to :data:`MIGRATIONS`; a released step is never edited.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import psycopg

from finlink._errors import SyncError

__all__ = ["MIGRATIONS", "Migration", "current_version", "migrate", "schema_version"]

logger = logging.getLogger(__name__)

#: The advisory lock key every migration holds (``'finlink'`` in ASCII): one migrator at a time.
MIGRATION_LOCK = 0x66696E6C696E6B


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
    """CREATE TABLE finlink_schema_version (version integer NOT NULL)""",
    # One row per CRM record and administration; remote_id is unique too, so two CRM
    # records can never claim the same remote record (that would merge them remotely).
    # The second key leads with remote_id rather than sharing the primary key's first three
    # columns: on a table whose statistics lag behind a bulk load (an initial sync), the
    # planner takes such a twin for a lookup by crm_key and scans a whole entity per record.
    # The same goes for the intents' reference.
    """CREATE TABLE finlink_links (
        namespace text COLLATE "C" NOT NULL,
        administration text COLLATE "C" NOT NULL,
        entity text COLLATE "C" NOT NULL,
        crm_key text COLLATE "C" NOT NULL,
        remote_id text COLLATE "C" NOT NULL,
        snapshot jsonb,
        snapshot_hash text,
        remote_version text,
        synced_at timestamptz NOT NULL,
        PRIMARY KEY (namespace, administration, entity, crm_key),
        UNIQUE (remote_id, namespace, administration, entity)
    )""",
    """CREATE TABLE finlink_intents (
        namespace text COLLATE "C" NOT NULL,
        administration text COLLATE "C" NOT NULL,
        entity text COLLATE "C" NOT NULL,
        crm_key text COLLATE "C" NOT NULL,
        reference text COLLATE "C" NOT NULL,
        operation text NOT NULL,
        payload_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        attempts integer NOT NULL,
        PRIMARY KEY (namespace, administration, entity, crm_key),
        UNIQUE (reference, namespace, administration, entity)
    )""",
    """CREATE TABLE finlink_cursors (
        namespace text COLLATE "C" NOT NULL,
        administration text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        value text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (namespace, administration, stream)
    )""",
    # ``administrations`` NULL means every administration; otherwise a sorted array. An
    # array instead of SQLite's side table: one row per entry keeps claim() a single UPDATE.
    """CREATE TABLE finlink_outbox (
        entry_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text COLLATE "C" NOT NULL,
        entity text COLLATE "C" NOT NULL,
        crm_key text COLLATE "C" NOT NULL,
        payload jsonb NOT NULL,
        administrations text[],
        revision integer NOT NULL,
        enqueued_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        available_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        claimed_by text,
        lease_until timestamptz
    )""",
    """CREATE INDEX finlink_outbox_by_record
        ON finlink_outbox (namespace, entity, crm_key, entry_id)""",
    "CREATE INDEX finlink_outbox_by_namespace ON finlink_outbox (namespace, entry_id)",
    """CREATE TABLE finlink_errors (
        namespace text COLLATE "C" NOT NULL,
        administration text COLLATE "C" NOT NULL,
        entity text COLLATE "C" NOT NULL,
        crm_key text COLLATE "C" NOT NULL,
        kind text NOT NULL,
        message text NOT NULL,
        field_path text,
        rule text,
        vendor_code text,
        retriable boolean NOT NULL,
        attempts integer NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        PRIMARY KEY (namespace, administration, entity, crm_key)
    )""",
    """CREATE TABLE finlink_reviews (
        review_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text COLLATE "C" NOT NULL,
        administration text COLLATE "C" NOT NULL,
        entity text COLLATE "C" NOT NULL,
        crm_key text COLLATE "C" NOT NULL,
        reason text NOT NULL,
        candidates jsonb NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        resolution text,
        remote_id text,
        resolved_at timestamptz
    )""",
    # One open item per record; settled items stay as history.
    """CREATE UNIQUE INDEX finlink_reviews_open_per_record
        ON finlink_reviews (namespace, administration, entity, crm_key)
        WHERE resolution IS NULL""",
    "CREATE INDEX finlink_reviews_by_namespace ON finlink_reviews (namespace, created_at)",
    """CREATE TABLE finlink_runs (
        run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text COLLATE "C" NOT NULL,
        administration text COLLATE "C" NOT NULL,
        kind text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        ok boolean NOT NULL,
        counts jsonb NOT NULL
    )""",
    """CREATE INDEX finlink_runs_by_administration
        ON finlink_runs (namespace, administration, ok, finished_at)""",
)

_V2 = (
    # A conflict decided field by field keeps its choices with the item.
    "ALTER TABLE finlink_reviews ADD COLUMN choices jsonb",
    # The review page reads one page of open items at a time, by review_id after the last
    # one shown: these indexes make that a range read, however long the queue.
    """CREATE INDEX finlink_reviews_open_by_administration
        ON finlink_reviews (namespace, administration, review_id) WHERE resolution IS NULL""",
    """CREATE INDEX finlink_reviews_open
        ON finlink_reviews (namespace, review_id) WHERE resolution IS NULL""",
    """CREATE INDEX finlink_reviews_by_administration
        ON finlink_reviews (namespace, administration, review_id)""",
    # One record's latest item (open or settled), read by a run that looks at few records.
    """CREATE INDEX finlink_reviews_per_record
        ON finlink_reviews (namespace, administration, entity, crm_key, review_id)""",
    # Reviews are listed by review_id now; the created_at order of version 1 is gone.
    "DROP INDEX finlink_reviews_by_namespace",
    "CREATE INDEX finlink_reviews_by_id ON finlink_reviews (namespace, review_id)",
    # The error log of one entity across every administration, in the log's order.
    """CREATE INDEX finlink_errors_by_entity
        ON finlink_errors (namespace, entity, administration, crm_key)""",
)

_V3 = (
    # The link's fingerprint in a column of its own, computed from the snapshot it is part of
    # (so the two never disagree, and no statement that writes a link changes): the engine
    # reads it for every record of a batch without touching the snapshot. Only a string
    # counts (``->>`` would turn a number into text).
    """ALTER TABLE finlink_links ADD COLUMN fingerprint text GENERATED ALWAYS AS (
        CASE WHEN jsonb_typeof(snapshot -> 'fingerprint') = 'string'
            THEN snapshot ->> 'fingerprint' END
    ) STORED""",
)

#: Every migration, in order. Append only: a released step is never edited.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="links, intents, cursors, outbox, errors, reviews, runs (per namespace)",
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


def current_version(migrations: tuple[Migration, ...] | None = None) -> int:
    """Return the version these migrations (default: :data:`MIGRATIONS`) bring a database to."""
    # Looked up at call time, so tests can put a longer migration list in place.
    steps = MIGRATIONS if migrations is None else migrations
    return steps[-1].version if steps else 0


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """Return the database's schema version, 0 where finlink has no tables yet.

    Looks in the connection's current schema (the first of its ``search_path``), where
    finlink's tables are made.

    Raises:
        SyncError: If the version table is there but holds no single row.
    """
    # pg_class read with the statement's snapshot, not to_regclass(): a table another
    # migrator committed while this one waited for the lock must be seen.
    found = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
        "AND c.relname = 'finlink_schema_version'"
    ).fetchone()
    if found is None:
        return 0
    rows = conn.execute("SELECT version FROM finlink_schema_version").fetchall()
    if len(rows) != 1:
        raise SyncError("the state store's finlink_schema_version table is damaged (not one row)")
    return int(rows[0][0])


def migrate(conn: psycopg.Connection[Any], migrations: tuple[Migration, ...] | None = None) -> int:
    """Bring the database up to the last of ``migrations``; return the version it is at.

    Each step runs in its own transaction holding an advisory lock, so two processes
    upgrading a new database at once do not both apply it: the second waits, then finds the
    work done. DDL is transactional in PostgreSQL, so a failed step leaves nothing behind.

    Raises:
        SyncError: If the database is newer than these migrations know (written by a newer
            finlink) or its version table is damaged.
        psycopg.Error: If a step fails; it is rolled back and the database keeps its version
            (the store turns this into ``SyncError``).
    """
    steps = MIGRATIONS if migrations is None else migrations
    target = current_version(steps)
    for migration in steps:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            current = checked_version(conn, target)
            if current >= migration.version:
                continue
            for statement in migration.statements:
                conn.execute(statement.encode())
            if current == 0:
                conn.execute(
                    "INSERT INTO finlink_schema_version (version) VALUES (%s)",
                    (migration.version,),
                )
            else:
                conn.execute("UPDATE finlink_schema_version SET version = %s", (migration.version,))
            logger.info(
                "state store migrated to schema version %d: %s",
                migration.version,
                migration.description,
            )
    return checked_version(conn, target)


def checked_version(conn: psycopg.Connection[Any], target: int) -> int:
    """Return the schema version, refusing one above ``target``.

    Raises:
        SyncError: If the database was written by a newer finlink, or is damaged.
    """
    current = schema_version(conn)
    if current > target:
        raise SyncError(
            f"the state store was written by a newer finlink (schema version {current}; "
            f"this finlink knows up to {target}); upgrade finlink to open it"
        )
    return current
