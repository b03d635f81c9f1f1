"""Connections for the PostgreSQL-backed rate budget and token store (``finlink[postgres]``).

psycopg is imported only when one of those is made, never when :mod:`finlink.http` is, so
finlink runs without the extra; a missing extra is a :class:`~finlink.ConfigurationError`
that says what to install. Both take a DSN (and then own a small pool) or an existing
``psycopg_pool.ConnectionPool`` to share, e.g. the state store's.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from finlink._errors import ConfigurationError, TransportError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

__all__ = ["advisory_key", "checkout", "ensure_tables", "make_pool", "unreachable"]

_INSTALL = "install the PostgreSQL extra: pip install 'finlink[postgres]'"


def make_pool(source: str | ConnectionPool[Any], *, what: str, max_size: int) -> tuple[Any, bool]:
    """Return ``(pool, owned)`` for ``source``; ``owned`` when this call opened the pool.

    Raises:
        ConfigurationError: psycopg / psycopg_pool are not installed, or the DSN is not one.
    """
    try:
        import psycopg  # noqa: PLC0415 - the postgres extra is optional
        from psycopg_pool import ConnectionPool  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigurationError(f"{what} needs psycopg; {_INSTALL}") from exc
    if not isinstance(source, str):
        return source, False
    try:
        psycopg.conninfo.conninfo_to_dict(source)
    except psycopg.ProgrammingError as exc:
        # The message of a bad DSN never quotes it: it may hold a password.
        raise ConfigurationError(f"{what}: the PostgreSQL DSN is not valid ({exc})") from None
    pool: ConnectionPool[Any] = ConnectionPool(
        source,
        min_size=1,
        max_size=max(1, max_size),
        kwargs={"autocommit": True},
        open=True,
        name=what,
        # A dead server must not hang a worker: fail the checkout, let the caller back off.
        timeout=10.0,
        check=ConnectionPool.check_connection,
    )
    return pool, True


def ensure_tables(pool: ConnectionPool[Any], statements: tuple[str, ...]) -> None:
    """Create the tables once, whichever process gets here first.

    ``CREATE TABLE IF NOT EXISTS`` is not safe against a concurrent twin (both may try to
    insert the same catalogue row), so the creation runs under a transaction-scoped
    advisory lock.

    Raises:
        TransportError: The database cannot be reached.
    """
    with checkout(pool, "creating its tables") as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("finlink-http-ddl"),))
        for statement in statements:
            conn.execute(statement)


class _Checkout:
    """``with checkout(pool, doing) as conn``: a pooled connection, errors translated."""

    def __init__(self, pool: ConnectionPool[Any], doing: str) -> None:
        self._pool = pool
        self._doing = doing
        self._manager: Any = None

    def __enter__(self) -> Connection[Any]:
        self._manager = self._pool.connection()
        try:
            conn: Connection[Any] = self._manager.__enter__()
        except Exception as exc:
            raise unreachable(self._doing, exc) from exc
        return conn

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._manager.__exit__(exc_type, exc, tb)
        if exc is not None and _is_database_error(exc):
            raise unreachable(self._doing, exc) from exc


def checkout(pool: ConnectionPool[Any], doing: str) -> _Checkout:
    """A pooled connection whose database errors become :class:`~finlink.TransportError`."""
    return _Checkout(pool, doing)


def _is_database_error(exc: BaseException) -> bool:
    try:
        import psycopg  # noqa: PLC0415
        from psycopg_pool import PoolTimeout  # noqa: PLC0415
    except ImportError:  # pragma: no cover - only reached with the extra installed
        return False
    return isinstance(exc, psycopg.OperationalError | PoolTimeout)


def unreachable(doing: str, exc: BaseException) -> TransportError:
    """The retriable error for a database that went away while ``doing``."""
    return TransportError(f"PostgreSQL cannot be reached while {doing}: {type(exc).__name__}")


def advisory_key(*parts: str) -> int:
    """A signed 64-bit advisory-lock key for ``parts`` (the same in every process).

    A collision between two keys only makes their holders wait for each other, never lets
    two holders of one key in.
    """
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
