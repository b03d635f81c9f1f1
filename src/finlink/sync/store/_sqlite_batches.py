"""The SQLite store's batched intents and outcomes, run inside a transaction it opened.

Each batch reads what it must check in a few ``IN (...)`` look-ups, decides every request in
Python in order (a request sees the ones before it, as the per-record calls would), and then
writes with ``executemany``: a few statements for a chunk instead of four or five per record.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence

from finlink._errors import SyncError
from finlink.sync.store import _sqlite_rows as rows
from finlink.sync.store._batches import IntentRequest, OutcomeRequest
from finlink.sync.store._records import Intent, Link, canonical_json

__all__ = ["begin_intents", "links", "record_outcomes"]

#: Values per ``IN (...)`` look-up: far below SQLite's limit on bound parameters (32,766
#: since 3.32, 999 before), with both lists of a look-up bound at once.
_CHUNK = 400

Key = tuple[str, str, str]


def _groups(
    items: Sequence[IntentRequest] | Sequence[OutcomeRequest],
) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(administration, entity, CRM keys, second values) per group and chunk, for look-ups."""
    grouped: dict[tuple[str, str], list[IntentRequest | OutcomeRequest]] = {}
    for item in items:
        grouped.setdefault((item.administration, item.entity), []).append(item)
    for (administration, entity), members in grouped.items():
        for first in range(0, len(members), _CHUNK):
            part = members[first : first + _CHUNK]
            seconds = [m.reference if isinstance(m, IntentRequest) else m.remote_id for m in part]
            yield administration, entity, [m.crm_key for m in part], seconds


def _lookup(columns: str, table: str, column: str, count: int) -> str:
    """A look-up of one group's rows by ``count`` values of ``column`` (a keyed column).

    One ``IN`` per statement: with ``a IN (...) OR b IN (...)`` SQLite may scan the whole
    table instead of using both indexes, which grows with every link. Only finlink's own
    column and table names and ``?`` placeholders go into the text.
    """
    marks = ", ".join("?" * count)
    return (
        f"SELECT {columns} FROM {table} WHERE administration = ? AND entity = ? "  # noqa: S608
        f"AND {column} IN ({marks})"
    )


def begin_intents(
    conn: sqlite3.Connection, now: str, requests: Sequence[IntentRequest]
) -> list[Intent | SyncError]:
    """Begin each intent as ``begin_intent`` would, in order; a refusal in its place."""
    # The pending intents the batch touches: by record, and by reference.
    pending: dict[Key, tuple[str, str, int]] = {}  # key -> (reference, created_at, attempts)
    by_reference: dict[Key, str] = {}  # (administration, entity, reference) -> CRM key
    for administration, entity, keys, references in _groups(requests):
        columns = "crm_key, reference, created_at, attempts"
        found = [
            *conn.execute(
                _lookup(columns, "intents", "crm_key", len(keys)), (administration, entity, *keys)
            ),
            *conn.execute(
                _lookup(columns, "intents", "reference", len(references)),
                (administration, entity, *references),
            ),
        ]
        for crm_key, reference, created_at, attempts in found:
            pending[(administration, entity, crm_key)] = (reference, created_at, int(attempts))
            by_reference[(administration, entity, reference)] = crm_key
    results: list[Intent | SyncError] = []
    inserts: list[tuple[str, ...]] = []
    updates: dict[Key, tuple[str, str, int]] = {}  # key -> (operation, hash, attempts)
    for request in requests:
        administration, entity, crm_key = key = (
            request.administration,
            request.entity,
            request.crm_key,
        )
        reference = request.reference
        mine = pending.get(key)
        if mine is not None:
            if mine[0] != reference:
                results.append(
                    SyncError(
                        f"{entity} {crm_key!r} in administration {administration!r} has a "
                        f"pending write with reference {mine[0]!r}; probe for it and record "
                        f"the outcome (or clear the intent) before writing with {reference!r}"
                    )
                )
                continue
            attempts = mine[2] + 1
            pending[key] = (reference, mine[1], attempts)
            updates[key] = (request.operation, request.payload_hash, attempts)
            created_at = mine[1]
        else:
            other = by_reference.get((administration, entity, reference))
            if other is not None:
                results.append(
                    SyncError(
                        f"reference {reference!r} is already pending for {entity} {other!r} "
                        f"in administration {administration!r}; two records cannot share "
                        "the reference the vendor stores"
                    )
                )
                continue
            attempts, created_at = 1, now
            pending[key] = (reference, now, 1)
            by_reference[(administration, entity, reference)] = crm_key
            inserts.append((*key, reference, request.operation, request.payload_hash, now, now))
        results.append(
            Intent(
                administration=administration,
                entity=entity,
                crm_key=crm_key,
                reference=reference,
                operation=request.operation,
                payload_hash=request.payload_hash,
                created_at=rows.parse_time(created_at),
                attempts=attempts,
            )
        )
    if inserts:
        conn.executemany(
            "INSERT INTO intents (administration, entity, crm_key, reference, operation, "
            "payload_hash, created_at, updated_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            inserts,
        )
    if updates:
        # Absolute counts (not attempts + 1): a record asked for twice in one batch counts
        # both, whatever order the rows are written in.
        conn.executemany(
            "UPDATE intents SET attempts = ?, operation = ?, payload_hash = ?, updated_at = ? "
            "WHERE administration = ? AND entity = ? AND crm_key = ?",
            [(n, op, digest, now, *key) for key, (op, digest, n) in updates.items()],
        )
    return results


def record_outcomes(conn: sqlite3.Connection, now: str, outcomes: Sequence[OutcomeRequest]) -> None:
    """Write every link, clear intents and errors; refuse the batch if one is refused.

    Raises:
        SyncError: If a remote id is linked to another CRM record at its turn (the caller's
            transaction then rolls the whole batch back).
    """
    owner: dict[Key, str] = {}  # (administration, entity, remote id) -> CRM key
    current: dict[Key, str] = {}  # (administration, entity, CRM key) -> remote id
    for administration, entity, keys, remote_ids in _groups(outcomes):
        found = [
            *conn.execute(
                _lookup("crm_key, remote_id", "links", "crm_key", len(keys)),
                (administration, entity, *keys),
            ),
            *conn.execute(
                _lookup("crm_key, remote_id", "links", "remote_id", len(remote_ids)),
                (administration, entity, *remote_ids),
            ),
        ]
        for crm_key, remote_id in found:
            owner[(administration, entity, remote_id)] = crm_key
            current[(administration, entity, crm_key)] = remote_id
    links: list[tuple[str | None, ...]] = []
    keys_written: list[Key] = []
    for outcome in outcomes:
        administration, entity, crm_key = key = (
            outcome.administration,
            outcome.entity,
            outcome.crm_key,
        )
        remote = (administration, entity, outcome.remote_id)
        holder = owner.get(remote)
        if holder is not None and holder != crm_key:
            # Two CRM records on one remote record would make every later update of either
            # overwrite the other in the accounting system.
            raise SyncError(
                f"remote {entity} {outcome.remote_id!r} in administration {administration!r} "
                f"is already linked to CRM record {holder!r}; not linking it to {crm_key!r} "
                "as well"
            )
        before = current.get(key)
        if before is not None and owner.get((administration, entity, before)) == crm_key:
            del owner[(administration, entity, before)]  # re-linked: the old id is free
        owner[remote] = crm_key
        current[key] = outcome.remote_id
        # One JSON encoding serves as the stored text and as the input of its hash.
        text = None if outcome.snapshot is None else canonical_json(outcome.snapshot)
        digest = None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()
        links.append((*key, outcome.remote_id, text, digest, outcome.remote_version, now))
        keys_written.append(key)
    conn.executemany(
        "INSERT INTO links (administration, entity, crm_key, remote_id, snapshot, "
        "snapshot_hash, remote_version, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (administration, entity, crm_key) DO UPDATE SET "
        "remote_id = excluded.remote_id, snapshot = excluded.snapshot, "
        "snapshot_hash = excluded.snapshot_hash, remote_version = excluded.remote_version, "
        "synced_at = excluded.synced_at",
        links,
    )
    conn.executemany(
        "DELETE FROM intents WHERE administration = ? AND entity = ? AND crm_key = ?",
        keys_written,
    )
    conn.executemany(
        "DELETE FROM errors WHERE administration = ? AND entity = ? AND crm_key = ?",
        keys_written,
    )


def links(
    conn: sqlite3.Connection, administration: str, entity: str, crm_keys: Sequence[str]
) -> dict[str, Link]:
    """The links of ``crm_keys`` (those that have one), by CRM key."""
    found: dict[str, Link] = {}
    for first in range(0, len(crm_keys), _CHUNK):
        part = crm_keys[first : first + _CHUNK]
        for row in conn.execute(
            _lookup("*", "links", "crm_key", len(part)), (administration, entity, *part)
        ):
            found[row["crm_key"]] = rows.link(row)
    return found
