"""The SQLite store's plain reads and deletes of links, intents, errors and cursors."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Literal

from finlink.sync.store import _sqlite_rows as rows
from finlink.sync.store._paging import error_keyset
from finlink.sync.store._records import ErrorEntry, Intent, Link

__all__ = [
    "delete_row",
    "error",
    "count_errors",
    "errors",
    "errors_page_query",
    "fingerprints_of",
    "fingerprints_page",
    "intent",
    "link",
    "link_by_remote",
    "links_page",
    "pending_intents",
    "status_counts",
]

Key = tuple[str, str, str]

# Written out in full rather than formatted, so no table name ever comes from a variable.
_SELECT = {
    "links": "SELECT * FROM links WHERE administration = ? AND entity = ? AND crm_key = ?",
    "intents": "SELECT * FROM intents WHERE administration = ? AND entity = ? AND crm_key = ?",
    "errors": "SELECT * FROM errors WHERE administration = ? AND entity = ? AND crm_key = ?",
}
_DELETE = {
    "links": "DELETE FROM links WHERE administration = ? AND entity = ? AND crm_key = ?",
    "intents": "DELETE FROM intents WHERE administration = ? AND entity = ? AND crm_key = ?",
    "errors": "DELETE FROM errors WHERE administration = ? AND entity = ? AND crm_key = ?",
}

Table = Literal["links", "intents", "errors"]


def link(conn: sqlite3.Connection, key: Key) -> Link | None:
    """Return the link of one record, or None."""
    row = conn.execute(_SELECT["links"], key).fetchone()
    return None if row is None else rows.link(row)


def link_by_remote(
    conn: sqlite3.Connection, administration: str, entity: str, remote_id: str
) -> Link | None:
    """Return the link pointing at ``remote_id``, or None."""
    row = conn.execute(
        "SELECT * FROM links WHERE administration = ? AND entity = ? AND remote_id = ?",
        (administration, entity, remote_id),
    ).fetchone()
    return None if row is None else rows.link(row)


def links_page(
    conn: sqlite3.Connection, administration: str, entity: str, after: str | None, limit: int
) -> list[sqlite3.Row]:
    """Return up to ``limit`` link rows with a CRM key above ``after``, in key order."""
    if after is None:
        return conn.execute(
            "SELECT * FROM links WHERE administration = ? AND entity = ? ORDER BY crm_key LIMIT ?",
            (administration, entity, limit),
        ).fetchall()
    return conn.execute(
        "SELECT * FROM links WHERE administration = ? AND entity = ? AND crm_key > ? "
        "ORDER BY crm_key LIMIT ?",
        (administration, entity, after, limit),
    ).fetchall()


def fingerprints_page(
    conn: sqlite3.Connection, administration: str, entity: str, after: str, limit: int
) -> list[tuple[str, str, str | None, str | None]]:
    """Return up to ``limit`` (crm_key, remote_id, remote_version, fingerprint) above ``after``."""
    found = conn.execute(
        "SELECT crm_key, remote_id, remote_version, fingerprint "
        "FROM links WHERE administration = ? AND entity = ? AND crm_key > ? "
        "ORDER BY crm_key LIMIT ?",
        (administration, entity, after, limit),
    ).fetchall()
    return [(row[0], row[1], row[2], row[3]) for row in found]


#: Keys per statement: well below SQLite's smallest limit of bound parameters (999).
KEYS_PER_QUERY = 500


def fingerprints_of(
    conn: sqlite3.Connection, administration: str, entity: str, crm_keys: list[str]
) -> list[tuple[str, str, str | None, str | None]]:
    """Return (crm_key, remote_id, remote_version, fingerprint) of the keys that have a link."""
    found: list[tuple[str, str, str | None, str | None]] = []
    for first in range(0, len(crm_keys), KEYS_PER_QUERY):
        part = crm_keys[first : first + KEYS_PER_QUERY]
        marks = ", ".join("?" * len(part))
        # Only "?" marks are formatted in, never a value: the keys are bound parameters.
        found.extend(
            conn.execute(
                "SELECT crm_key, remote_id, remote_version, fingerprint FROM links "  # noqa: S608
                f"WHERE administration = ? AND entity = ? AND crm_key IN ({marks})",
                (administration, entity, *part),
            ).fetchall()
        )
    return [(row[0], row[1], row[2], row[3]) for row in found]


def intent(conn: sqlite3.Connection, key: Key) -> Intent | None:
    """Return the pending intent of one record, or None."""
    row = conn.execute(_SELECT["intents"], key).fetchone()
    return None if row is None else rows.intent(row)


def pending_intents(conn: sqlite3.Connection, administration: str | None) -> list[Intent]:
    """Return the pending intents (of one administration), oldest first."""
    found = conn.execute(
        "SELECT * FROM intents WHERE (? IS NULL OR administration = ?) "
        "ORDER BY created_at, administration, entity, crm_key",
        (administration, administration),
    )
    return [rows.intent(row) for row in found]


def error(conn: sqlite3.Connection, key: Key) -> ErrorEntry | None:
    """Return the error-log entry of one record, or None."""
    row = conn.execute(_SELECT["errors"], key).fetchone()
    return None if row is None else rows.error_entry(row)


def _error_where(administration: str | None, entity: str | None) -> tuple[list[str], list[str]]:
    clauses, params = [], []
    if administration is not None:
        clauses.append("administration = ?")
        params.append(administration)
    if entity is not None:
        clauses.append("entity = ?")
        params.append(entity)
    return clauses, params


def errors_page_query(
    administration: str | None,
    entity: str | None,
    after: tuple[str, str, str] | None,
    limit: int | None,
    *,
    kinds: Sequence[str] | None = None,
) -> tuple[str, list[object]] | None:
    """The statement and parameters of one page of the error log; None for an empty page.

    Built from fixed fragments (values as parameters) so each case is one range of an index:
    the primary key, or ``errors_by_entity`` for one entity in every administration.
    ``kinds`` filters within that range.
    """
    clauses, values = _error_where(administration, entity)
    params: list[object] = list(values)
    if kinds is not None:
        if not kinds:
            return None
        clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if after is not None:
        keyset = error_keyset(administration, entity, after)
        if keyset is None:
            return None
        condition, extra = keyset
        if condition:
            clauses.append(condition.format(*("?" * len(extra))))
            params.extend(extra)
    by_entity = entity is not None and administration is None
    hint = " INDEXED BY errors_by_entity" if by_entity else ""
    sql = f"SELECT * FROM errors{hint}"  # noqa: S608 (fixed fragments; values are parameters)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY administration, entity, crm_key"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, params


def errors(
    conn: sqlite3.Connection,
    administration: str | None,
    entity: str | None,
    *,
    after: tuple[str, str, str] | None = None,
    limit: int | None = None,
    kinds: Sequence[str] | None = None,
) -> list[ErrorEntry]:
    """Return the error log (of one administration and/or entity), ordered by key, paged."""
    query = errors_page_query(administration, entity, after, limit, kinds=kinds)
    if query is None:
        return []
    return [rows.error_entry(row) for row in conn.execute(*query)]


def count_errors(conn: sqlite3.Connection, administration: str | None, entity: str | None) -> int:
    """Count the error-log entries (of one administration and/or entity)."""
    clauses, params = _error_where(administration, entity)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    return int(conn.execute(f"SELECT COUNT(*) FROM errors{where}", params).fetchone()[0])  # noqa: S608


def delete_row(conn: sqlite3.Connection, table: Table, key: Key) -> bool:
    """Delete one record's row from ``table``; return whether there was one."""
    return conn.execute(_DELETE[table], key).rowcount == 1


def status_counts(conn: sqlite3.Connection, administration: str) -> tuple[int, int, int]:
    """Return (failed records, open review items, pending intents) of one administration."""
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM errors WHERE administration = ?), "
        # Named: the planner would take the administration's index of every item.
        "(SELECT COUNT(*) FROM reviews INDEXED BY reviews_open_by_administration "
        "WHERE administration = ? AND resolution IS NULL), "
        "(SELECT COUNT(*) FROM intents WHERE administration = ?)",
        (administration, administration, administration),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
