"""The PostgreSQL store's intent and outcome statements, run inside a transaction it opened.

As in SQLite, ``record_outcome`` and ``record_failure`` write the link, the snapshot, the
intent, the error log and the outbox entry together or not at all: PostgreSQL commits the
transaction whole or, if the connection breaks first, rolls all of it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from finlink._errors import SyncError
from finlink.sync.store import _postgres_outbox as outbox
from finlink.sync.store import _postgres_rows as rows
from finlink.sync.store._batches import IntentRequest, OutcomeRequest
from finlink.sync.store._postgres_connection import Conn
from finlink.sync.store._postgres_lookups import Key
from finlink.sync.store._records import ErrorEntry, Intent, Link, canonical_json

__all__ = [
    "begin_intent",
    "begin_intents",
    "record_failure",
    "record_outcome",
    "record_outcomes",
]


def begin_intent(
    conn: Conn,
    now: datetime,
    key: Key,
    *,
    reference: str,
    operation: str,
    payload_hash: str,
) -> Intent:
    """Insert the record's intent, or count one more attempt of the same one.

    One statement (atomic on its own): the checks read in CTEs, and the write happens only
    when they pass; the result says which check failed.
    """
    row = conn.execute(
        _BEGIN_INTENT, _intent_params(now, key, reference, operation, payload_hash)
    ).fetchone()
    assert row is not None  # the outer SELECT always yields one row
    return _intent_result(row, key, reference)


def begin_intents(
    conn: Conn, now: datetime, namespace: str, requests: Sequence[IntentRequest]
) -> list[Intent | SyncError]:
    """Begin each intent as ``begin_intent`` would, in order, in one pipelined round trip.

    Each statement writes only when its checks pass, so a refused one writes nothing and
    leaves the others standing, with no savepoint per request.
    """
    conn.executemany(
        _BEGIN_INTENT,
        [
            _intent_params(
                now,
                (namespace, r.administration, r.entity, r.crm_key),
                r.reference,
                r.operation,
                r.payload_hash,
            )
            for r in requests
        ],
        returning=True,
    )
    results: list[Intent | SyncError] = []
    for request in requests:
        row = conn.fetchone()
        assert row is not None  # the outer SELECT always yields one row
        key = (namespace, request.administration, request.entity, request.crm_key)
        try:
            results.append(_intent_result(row, key, request.reference))
        except SyncError as refused:
            results.append(refused)
        conn.nextset()
    return results


_BEGIN_INTENT = (
    "WITH mine AS (SELECT reference FROM finlink_intents WHERE namespace = %(ns)s "
    "AND administration = %(adm)s AND entity = %(entity)s AND crm_key = %(key)s), "
    "other AS (SELECT crm_key FROM finlink_intents WHERE namespace = %(ns)s "
    "AND administration = %(adm)s AND entity = %(entity)s AND reference = %(ref)s "
    "AND crm_key <> %(key)s), "
    "written AS (INSERT INTO finlink_intents (namespace, administration, entity, crm_key, "
    "reference, operation, payload_hash, created_at, updated_at, attempts) "
    "SELECT %(ns)s, %(adm)s, %(entity)s, %(key)s, %(ref)s, %(op)s, %(hash)s, "
    "%(now)s::timestamptz, %(now)s::timestamptz, 1 "
    "WHERE NOT EXISTS (SELECT 1 FROM other) "
    "AND NOT EXISTS (SELECT 1 FROM mine WHERE reference <> %(ref)s) "
    "ON CONFLICT (namespace, administration, entity, crm_key) DO UPDATE SET "
    "attempts = finlink_intents.attempts + 1, operation = excluded.operation, "
    "payload_hash = excluded.payload_hash, updated_at = excluded.updated_at "
    "WHERE finlink_intents.reference = excluded.reference RETURNING *) "
    "SELECT (SELECT reference FROM mine) AS pending_reference, "
    "(SELECT crm_key FROM other LIMIT 1) AS other_record, written.* "
    "FROM (SELECT 1) AS one LEFT JOIN written ON true"
)


def _intent_params(
    now: datetime, key: Key, reference: str, operation: str, payload_hash: str
) -> dict[str, Any]:
    namespace, administration, entity, crm_key = key
    return {
        "ns": namespace,
        "adm": administration,
        "entity": entity,
        "key": crm_key,
        "ref": reference,
        "op": operation,
        "hash": payload_hash,
        "now": now,
    }


def _intent_result(row: dict[str, Any], key: Key, reference: str) -> Intent:
    """The intent the statement wrote, or the refusal its checks found."""
    _, administration, entity, crm_key = key
    pending = row["pending_reference"]
    if pending is not None and pending != reference:
        raise SyncError(
            f"{entity} {crm_key!r} in administration {administration!r} has a pending "
            f"write with reference {pending!r}; probe for it and record the "
            f"outcome (or clear the intent) before writing with {reference!r}"
        )
    if row["other_record"] is not None:
        raise SyncError(
            f"reference {reference!r} is already pending for {entity} "
            f"{row['other_record']!r} in administration {administration!r}; two records "
            "cannot share the reference the vendor stores"
        )
    if row["reference"] is None:
        # Another worker began an intent for this record in between: tell the caller, as
        # the check above would have a moment later.
        raise SyncError(
            f"{entity} {crm_key!r} in administration {administration!r} got another pending "
            f"write at the same moment; not beginning {reference!r}"
        )
    return rows.intent(row)


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
    """Write the link, clear intent and error, acknowledge the outbox entry.

    One statement, so atomic on its own and one round trip: the check that ``remote_id`` is
    not another record's reads in a CTE, and every write is conditional on it.
    """
    row = conn.execute(
        _RECORD_OUTCOME,
        _outcome_params(
            now,
            key,
            remote_id=remote_id,
            snapshot=snapshot,
            snapshot_hash=snapshot_hash,
            remote_version=remote_version,
            outbox_entry=outbox_entry,
            worker=worker,
        ),
    ).fetchone()
    assert row is not None  # the outer SELECT always yields one row
    _check_owner(row, key, remote_id)
    return rows.link(row)


def record_outcomes(
    conn: Conn, now: datetime, namespace: str, outcomes: Sequence[OutcomeRequest]
) -> None:
    """Record each outcome as ``record_outcome`` would, in order, in one pipelined round trip.

    Run inside the caller's transaction: a refused one raises, and the caller's rollback
    undoes the whole batch.

    Raises:
        SyncError: If a remote id is linked to another CRM record at its turn.
    """
    params = []
    for outcome in outcomes:
        text = None if outcome.snapshot is None else canonical_json(outcome.snapshot)
        params.append(
            _outcome_params(
                now,
                (namespace, outcome.administration, outcome.entity, outcome.crm_key),
                remote_id=outcome.remote_id,
                snapshot=text,
                snapshot_hash=None if text is None else hashlib.sha256(text.encode()).hexdigest(),
                remote_version=outcome.remote_version,
                outbox_entry=None,
                worker=None,
            )
        )
    conn.executemany(_RECORD_OUTCOMES, params, returning=True)
    for outcome in outcomes:
        row = conn.fetchone()
        assert row is not None  # the outer SELECT always yields one row
        key = (namespace, outcome.administration, outcome.entity, outcome.crm_key)
        _check_owner(row, key, outcome.remote_id)
        conn.nextset()


_RECORD_OUTCOME = (
    "WITH owner AS (SELECT crm_key FROM finlink_links WHERE namespace = %(ns)s "
    "AND administration = %(adm)s AND entity = %(entity)s AND remote_id = %(remote)s "
    "AND crm_key <> %(key)s), "
    "dropped_intent AS (DELETE FROM finlink_intents WHERE namespace = %(ns)s "
    "AND administration = %(adm)s AND entity = %(entity)s AND crm_key = %(key)s "
    "AND NOT EXISTS (SELECT 1 FROM owner)), "
    "dropped_error AS (DELETE FROM finlink_errors WHERE namespace = %(ns)s "
    "AND administration = %(adm)s AND entity = %(entity)s AND crm_key = %(key)s "
    "AND NOT EXISTS (SELECT 1 FROM owner)), "
    # A lease lost meanwhile is no error: the entry is then simply not deleted.
    "acked AS (DELETE FROM finlink_outbox WHERE namespace = %(ns)s "
    "AND entry_id = %(entry)s AND claimed_by = %(worker)s "
    "AND NOT EXISTS (SELECT 1 FROM owner)), "
    "written AS (INSERT INTO finlink_links (namespace, administration, entity, crm_key, "
    "remote_id, snapshot, snapshot_hash, remote_version, synced_at) "
    "SELECT %(ns)s, %(adm)s, %(entity)s, %(key)s, %(remote)s, %(snapshot)s::jsonb, "
    "%(hash)s, %(version)s, %(now)s::timestamptz WHERE NOT EXISTS (SELECT 1 FROM owner) "
    "ON CONFLICT (namespace, administration, entity, crm_key) DO UPDATE SET "
    "remote_id = excluded.remote_id, snapshot = excluded.snapshot, "
    "snapshot_hash = excluded.snapshot_hash, remote_version = excluded.remote_version, "
    "synced_at = excluded.synced_at RETURNING *) "
    "SELECT (SELECT crm_key FROM owner LIMIT 1) AS owner, written.* "
    "FROM (SELECT 1) AS one LEFT JOIN written ON true"
)


#: The same statement for a batch: it returns only the owner found (the batch returns no
#: links), not the written row, whose snapshot would travel back and be parsed for nothing.
#: A data-modifying CTE runs whether or not the query reads it.
_RECORD_OUTCOMES = _RECORD_OUTCOME.replace(
    "synced_at = excluded.synced_at RETURNING *) ", "synced_at = excluded.synced_at) "
).replace(
    "SELECT (SELECT crm_key FROM owner LIMIT 1) AS owner, written.* "
    "FROM (SELECT 1) AS one LEFT JOIN written ON true",
    "SELECT (SELECT crm_key FROM owner LIMIT 1) AS owner",
)
assert "RETURNING" not in _RECORD_OUTCOMES
assert "written.*" not in _RECORD_OUTCOMES


def _outcome_params(
    now: datetime,
    key: Key,
    *,
    remote_id: str,
    snapshot: str | None,
    snapshot_hash: str | None,
    remote_version: str | None,
    outbox_entry: int | None,
    worker: str | None,
) -> dict[str, Any]:
    namespace, administration, entity, crm_key = key
    return {
        "ns": namespace,
        "adm": administration,
        "entity": entity,
        "key": crm_key,
        "remote": remote_id,
        "snapshot": snapshot,
        "hash": snapshot_hash,
        "version": remote_version,
        "now": now,
        "entry": outbox_entry if worker is not None else None,
        "worker": worker,
    }


def _check_owner(row: dict[str, Any], key: Key, remote_id: str) -> None:
    """Refuse a remote id the statement found linked to another CRM record."""
    _, administration, entity, crm_key = key
    if row["owner"] is not None:
        # Two CRM records on one remote record would make every later update of either
        # overwrite the other in the accounting system.
        raise SyncError(
            f"remote {entity} {remote_id!r} in administration {administration!r} is already "
            f"linked to CRM record {row['owner']!r}; not linking it to {crm_key!r} as well"
        )


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
