"""The PostgreSQL store's plain reads and deletes of links, intents, errors and cursors.

Every statement is scoped by ``namespace`` (the tenant), the first column of every key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, LiteralString

from finlink.sync.store import _postgres_rows as rows
from finlink.sync.store._paging import error_keyset
from finlink.sync.store._postgres_connection import Conn
from finlink.sync.store._records import ErrorEntry, Intent, Link

__all__ = [
    "count_errors",
    "Key",
    "delete_row",
    "error",
    "errors",
    "errors_page_query",
    "fingerprints_of",
    "fingerprints_page",
    "get_cursor",
    "intent",
    "link",
    "link_by_remote",
    "links",
    "links_page",
    "pending_intents",
    "set_cursor",
    "status_counts",
]

#: (namespace, administration, entity, crm_key): one record's row in one tenant.
Key = tuple[str, str, str, str]

# Written out in full rather than formatted, so no table name ever comes from a variable.
_SELECT: dict[str, LiteralString] = {
    "links": "SELECT * FROM finlink_links WHERE namespace = %s AND administration = %s "
    "AND entity = %s AND crm_key = %s",
    "intents": "SELECT * FROM finlink_intents WHERE namespace = %s AND administration = %s "
    "AND entity = %s AND crm_key = %s",
    "errors": "SELECT * FROM finlink_errors WHERE namespace = %s AND administration = %s "
    "AND entity = %s AND crm_key = %s",
}
_DELETE: dict[str, LiteralString] = {
    "links": "DELETE FROM finlink_links WHERE namespace = %s AND administration = %s "
    "AND entity = %s AND crm_key = %s",
    "intents": "DELETE FROM finlink_intents WHERE namespace = %s AND administration = %s "
    "AND entity = %s AND crm_key = %s",
    "errors": "DELETE FROM finlink_errors WHERE namespace = %s AND administration = %s "
    "AND entity = %s AND crm_key = %s",
}

Table = Literal["links", "intents", "errors"]


def link(conn: Conn, key: Key) -> Link | None:
    """Return the link of one record, or None."""
    row = conn.execute(_SELECT["links"], key).fetchone()
    return None if row is None else rows.link(row)


def links(
    conn: Conn, namespace: str, administration: str, entity: str, crm_keys: Sequence[str]
) -> dict[str, Link]:
    """Return the links of ``crm_keys`` (those that have one), by CRM key: one statement."""
    found = conn.execute(
        "SELECT * FROM finlink_links WHERE namespace = %s AND administration = %s "
        "AND entity = %s AND crm_key = ANY(%s)",
        (namespace, administration, entity, list(crm_keys)),
    ).fetchall()
    return {row["crm_key"]: rows.link(row) for row in found}


def link_by_remote(
    conn: Conn, namespace: str, administration: str, entity: str, remote_id: str
) -> Link | None:
    """Return the link pointing at ``remote_id``, or None."""
    row = conn.execute(
        "SELECT * FROM finlink_links WHERE namespace = %s AND administration = %s "
        "AND entity = %s AND remote_id = %s",
        (namespace, administration, entity, remote_id),
    ).fetchone()
    return None if row is None else rows.link(row)


def links_page(
    conn: Conn, namespace: str, administration: str, entity: str, *, after: str | None, limit: int
) -> list[Link]:
    """Return up to ``limit`` links with a CRM key above ``after``, in (bytewise) key order."""
    if after is None:
        found = conn.execute(
            "SELECT * FROM finlink_links WHERE namespace = %s AND administration = %s "
            "AND entity = %s ORDER BY crm_key LIMIT %s",
            (namespace, administration, entity, limit),
        ).fetchall()
    else:
        found = conn.execute(
            "SELECT * FROM finlink_links WHERE namespace = %s AND administration = %s "
            "AND entity = %s AND crm_key > %s ORDER BY crm_key LIMIT %s",
            (namespace, administration, entity, after, limit),
        ).fetchall()
    return [rows.link(row) for row in found]


def fingerprints_page(
    conn: Conn, namespace: str, administration: str, entity: str, *, after: str | None, limit: int
) -> list[tuple[str, str, str | None, str | None]]:
    """Return up to ``limit`` (crm_key, remote_id, remote_version, fingerprint) above ``after``."""
    select = (
        "SELECT crm_key, remote_id, remote_version, fingerprint "
        "FROM finlink_links WHERE namespace = %s AND administration = %s AND entity = %s "
    )
    if after is None:
        found = conn.execute(
            select + "ORDER BY crm_key LIMIT %s", (namespace, administration, entity, limit)
        ).fetchall()
    else:
        found = conn.execute(
            select + "AND crm_key > %s ORDER BY crm_key LIMIT %s",
            (namespace, administration, entity, after, limit),
        ).fetchall()
    return [
        (row["crm_key"], row["remote_id"], row["remote_version"], row["fingerprint"])
        for row in found
    ]


def fingerprints_of(
    conn: Conn, namespace: str, administration: str, entity: str, crm_keys: list[str]
) -> list[tuple[str, str, str | None, str | None]]:
    """Return (crm_key, remote_id, remote_version, fingerprint) of the keys that have a link."""
    # One statement for the whole list: ``= ANY`` over an array is one bound parameter. On
    # fresh statistics it is an index range over the listed keys alone; on a table filled
    # since its last ANALYZE it may scan the administration's whole key range instead, so the
    # store has the links analysed as they grow (PostgresConnection.wrote).
    found = conn.execute(
        "SELECT crm_key, remote_id, remote_version, fingerprint FROM finlink_links "
        "WHERE namespace = %s AND administration = %s AND entity = %s AND crm_key = ANY(%s)",
        (namespace, administration, entity, crm_keys),
    ).fetchall()
    return [
        (row["crm_key"], row["remote_id"], row["remote_version"], row["fingerprint"])
        for row in found
    ]


def intent(conn: Conn, key: Key) -> Intent | None:
    """Return the pending intent of one record, or None."""
    row = conn.execute(_SELECT["intents"], key).fetchone()
    return None if row is None else rows.intent(row)


def pending_intents(conn: Conn, namespace: str, administration: str | None) -> list[Intent]:
    """Return the pending intents (of one administration), oldest first."""
    found = conn.execute(
        "SELECT * FROM finlink_intents WHERE namespace = %s "
        "AND (%s::text IS NULL OR administration = %s) "
        "ORDER BY created_at, administration, entity, crm_key",
        (namespace, administration, administration),
    )
    return [rows.intent(row) for row in found]


def error(conn: Conn, key: Key) -> ErrorEntry | None:
    """Return the error-log entry of one record, or None."""
    row = conn.execute(_SELECT["errors"], key).fetchone()
    return None if row is None else rows.error_entry(row)


def _error_where(
    namespace: str, administration: str | None, entity: str | None
) -> tuple[list[str], list[str]]:
    clauses, params = ["namespace = %s"], [namespace]
    if administration is not None:
        clauses.append("administration = %s")
        params.append(administration)
    if entity is not None:
        clauses.append("entity = %s")
        params.append(entity)
    return clauses, params


def errors_page_query(
    namespace: str,
    administration: str | None,
    entity: str | None,
    after: tuple[str, str, str] | None,
    limit: int | None,
    *,
    kinds: Sequence[str] | None = None,
) -> tuple[str, list[object]] | None:
    """The statement and parameters of one page of a tenant's error log; None when empty.

    Fixed fragments only (values as parameters); the keyset is rewritten on the columns the
    filter leaves free, so a page is one range of the primary key or ``errors_by_entity``.
    ``kinds`` filters within that range.
    """
    clauses, values = _error_where(namespace, administration, entity)
    params: list[object] = list(values)
    if kinds is not None:
        if not kinds:
            return None
        clauses.append("kind = ANY(%s)")
        params.append(list(kinds))
    if after is not None:
        keyset = error_keyset(administration, entity, after)
        if keyset is None:
            return None
        condition, extra = keyset
        if condition:
            clauses.append(condition.format(*(["%s"] * len(extra))))
            params.extend(extra)
    where = " AND ".join(clauses)
    sql = (
        f"SELECT * FROM finlink_errors WHERE {where} "  # noqa: S608
        "ORDER BY administration, entity, crm_key"
    )
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return sql, params


def errors(
    conn: Conn,
    namespace: str,
    administration: str | None,
    entity: str | None,
    *,
    after: tuple[str, str, str] | None = None,
    limit: int | None = None,
    kinds: Sequence[str] | None = None,
) -> list[ErrorEntry]:
    """Return the error log (of one administration and/or entity), ordered by key, paged."""
    query = errors_page_query(namespace, administration, entity, after, limit, kinds=kinds)
    if query is None:
        return []
    sql, params = query
    return [rows.error_entry(row) for row in conn.execute(sql.encode(), params)]


def count_errors(conn: Conn, namespace: str, administration: str | None, entity: str | None) -> int:
    """Count the error-log entries (of one administration and/or entity)."""
    clauses, params = _error_where(namespace, administration, entity)
    where = " AND ".join(clauses)
    sql = f"SELECT COUNT(*) AS n FROM finlink_errors WHERE {where}"  # noqa: S608
    row = conn.execute(sql.encode(), params).fetchone()
    assert row is not None  # COUNT(*) always gives a row
    return int(row["n"])


def delete_row(conn: Conn, table: Table, key: Key) -> bool:
    """Delete one record's row from ``table``; return whether there was one."""
    return conn.execute(_DELETE[table], key).rowcount == 1


def get_cursor(conn: Conn, namespace: str, administration: str, stream: str) -> str | None:
    """Return the value of one read stream's cursor, or None."""
    row = conn.execute(
        "SELECT value FROM finlink_cursors WHERE namespace = %s AND administration = %s "
        "AND stream = %s",
        (namespace, administration, stream),
    ).fetchone()
    return None if row is None else str(row["value"])


def set_cursor(
    conn: Conn,
    now: datetime,
    namespace: str,
    administration: str,
    stream: str,
    *,
    value: str | None,
) -> None:
    """Store (or, with None, forget) one read stream's cursor."""
    if value is None:
        conn.execute(
            "DELETE FROM finlink_cursors WHERE namespace = %s AND administration = %s "
            "AND stream = %s",
            (namespace, administration, stream),
        )
        return
    conn.execute(
        "INSERT INTO finlink_cursors (namespace, administration, stream, value, updated_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (namespace, administration, stream) "
        "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (namespace, administration, stream, value, now),
    )


def status_counts(conn: Conn, namespace: str, administration: str) -> tuple[int, int, int]:
    """Return (failed records, open review items, pending intents) of one administration."""
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM finlink_errors WHERE namespace = %(ns)s "
        "AND administration = %(adm)s) AS failed, "
        "(SELECT COUNT(*) FROM finlink_reviews WHERE namespace = %(ns)s "
        "AND administration = %(adm)s AND resolution IS NULL) AS review_open, "
        "(SELECT COUNT(*) FROM finlink_intents WHERE namespace = %(ns)s "
        "AND administration = %(adm)s) AS pending",
        {"ns": namespace, "adm": administration},
    ).fetchone()
    assert row is not None  # a SELECT without FROM always yields one row
    return int(row["failed"]), int(row["review_open"]), int(row["pending"])
