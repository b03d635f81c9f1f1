"""Opening a PostgreSQL store: checking the DSN, making the pool, checking the schema.

Everything here runs once per store (or once per ``finlink db upgrade``). A DSN that does
not parse, a server that does not answer, a refused login or a missing database at this
point are set-up mistakes, so they are :class:`~finlink.ConfigurationError` naming the
host, port, database and user (never the password). Once a store is open, a database that
goes away is :class:`~finlink.StoreUnavailableError` instead (see
:mod:`._postgres_connection`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from finlink._errors import ConfigurationError, SyncError
from finlink.sync.store import _postgres_schema as schema
from finlink.sync.store._postgres_connection import Conn, translate

__all__ = ["describe_dsn", "ensure_schema", "found_version", "make_pool", "probe", "run"]

T = TypeVar("T")


def describe_dsn(dsn: str) -> str:
    """Return where a DSN points, for messages: ``user@host:port/dbname``, no password."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "an unreadable DSN"
    host = parts.get("host") or parts.get("hostaddr") or "the local socket"
    port = parts.get("port") or "5432"
    user = parts.get("user") or "the default user"
    dbname = parts.get("dbname") or "the default database"
    return f"{user}@{host}:{port}/{dbname}"


def probe(dsn: str, *, connect_timeout: float) -> psycopg.Connection[Any]:
    """Connect once (autocommit) to check the DSN; the caller closes the connection.

    Raises:
        ConfigurationError: If the DSN does not parse, or no server accepts the connection.
    """
    try:
        conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        # The parser's message may quote the DSN, password included: keep only its kind.
        raise ConfigurationError(
            "the PostgreSQL DSN is not valid: give a URL like "
            "'postgresql://user@host:5432/dbname' or 'host=... dbname=... user=...'"
        ) from exc
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, int(connect_timeout)))
    except psycopg.Error as exc:
        raise ConfigurationError(
            f"cannot connect to the PostgreSQL state store at {describe_dsn(dsn)}: "
            f"{_first_line(exc)}; check the DSN (host, port, database, user; the password "
            "belongs in PGPASSWORD or ~/.pgpass) and that the server is running"
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def ensure_schema(conn: psycopg.Connection[Any], *, migrate: bool) -> int:
    """Migrate the schema (``migrate``) or check that it is current; return its version.

    Raises:
        SyncError: If the schema is newer than this finlink, or (without ``migrate``) older
            or missing, or a migration fails.
    """
    target = schema.current_version()
    try:
        if migrate:
            # Checked first without the lock: a current schema (the usual case) costs one
            # read, and several workers starting at once do not queue on the lock for it.
            if schema.checked_version(conn, target) < target:
                return schema.migrate(conn)
            return target
        found = schema.checked_version(conn, target)
    except psycopg.Error as exc:
        raise translate(exc) from exc
    if found < target:
        raise SyncError(
            f"the state store's schema is at version {found}, this finlink needs {target}; "
            "run 'finlink db upgrade' (or open the store with migrate=True)"
        )
    return found


def make_pool(
    dsn: str, *, min_size: int, max_size: int, name: str
) -> psycopg_pool.ConnectionPool[Any]:
    """Open a pool of autocommit connections to ``dsn``.

    Autocommit: a lone read is one round trip, and the store opens its transactions itself.
    Connections are opened in the background; a broken one is dropped when it comes back.
    """
    return psycopg_pool.ConnectionPool(
        dsn,
        kwargs={"autocommit": True},
        min_size=min_size,
        max_size=max_size,
        open=True,
        name=name,
    )


def found_version(conn: psycopg.Connection[Any]) -> int:
    """Return the schema version the database has (0: no finlink tables yet).

    Raises:
        SyncError: If the version table is damaged or the query fails.
    """
    try:
        return schema.schema_version(conn)
    except psycopg.Error as exc:
        raise translate(exc) from exc


def run(conn: psycopg.Connection[Any], work: Callable[[Conn], T]) -> T:
    """Run ``work`` on a dict-row cursor of ``conn``, psycopg errors made finlink's.

    Raises:
        SyncError: If a statement fails (``StoreUnavailableError``: database unavailable).
    """
    try:
        return work(conn.cursor(row_factory=dict_row))
    except psycopg.Error as exc:
        raise translate(exc) from exc
