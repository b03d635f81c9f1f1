"""A token store in PostgreSQL, so workers on several machines share one Exact connection.

Exact rotates the refresh token on every refresh and refuses the old one (exact-online.md
§1.3, §1.4): if two machines refresh at once, one of them locks the customer out. The backend
already refreshes under :meth:`~finlink.http.TokenStore.lock` and re-reads the stored tokens
after taking it (:class:`~finlink.backends.exact.ExactAuth`); this store makes that lock and
that re-read hold across machines:

- ``lock(key)`` takes a **row lock** (``SELECT … FOR UPDATE``) on the key's row in
  ``finlink_token_locks``, in a transaction kept open on a connection of its own until the
  block ends. Every other worker's ``lock(key)`` waits in PostgreSQL; when it gets the lock,
  its ``load`` reads the committed tokens of the worker before it, and finds them fresh.
- ``save`` writes ``finlink_tokens`` on *another* connection and commits at once, while the
  lock is still held: the new refresh token is durable before anyone uses it, so a worker
  killed right after a refresh leaves the new pair behind, not the dead one. (The tokens live
  in another table than the lock rows so that this write never waits for the lock its own
  caller holds.)
- A killed worker's session ends and PostgreSQL drops its row lock: no stale lock to clear.

The tokens are stored as the same JSON :class:`~finlink.http.FileTokenStore` writes, tokens in
clear: protect the database as you would the token file (or encrypt the column at rest).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from finlink._errors import ConfigurationError
from finlink.http._pgconnect import checkout, ensure_tables, make_pool
from finlink.http._tokens import TokenSet

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresTokenStore"]

_TABLES = (
    "CREATE TABLE IF NOT EXISTS finlink_tokens ("
    " namespace text NOT NULL,"
    " key text NOT NULL,"
    " tokens jsonb NOT NULL,"
    " saved_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (namespace, key))",
    "CREATE TABLE IF NOT EXISTS finlink_token_locks ("
    " namespace text NOT NULL,"
    " key text NOT NULL,"
    " PRIMARY KEY (namespace, key))",
)


class PostgresTokenStore:
    """A :class:`~finlink.http.TokenStore` in PostgreSQL, locked across processes and machines.

    Give it to :class:`~finlink.backends.exact.ExactBackend` as ``token_store`` in every worker;
    the backend's refresh then happens once per expiry, in whichever worker needs it first,
    and the others pick up the new tokens. Thread-safe. Locks are not reentrant (as the
    protocol says), but ``load`` and ``save`` inside ``lock`` are fine.

    Args:
        source: A DSN, or a ``psycopg_pool.ConnectionPool`` to share (it needs room for two
            connections per refresh in flight).
        namespace: The tenant whose connections these are.

    Raises:
        ConfigurationError: The ``postgres`` extra is missing or the DSN is invalid; from
            ``load``, a stored token set that cannot be read.
        TransportError: The database cannot be reached (from every method, too).
    """

    def __init__(self, source: str | ConnectionPool[Any], *, namespace: str = "default") -> None:
        self.namespace = namespace
        self._pool, self._owns = make_pool(source, what="the token store", max_size=8)
        ensure_tables(self._pool, _TABLES)

    def load(self, key: str) -> TokenSet | None:
        """The token set stored under ``key``, as last committed by any process, or ``None``.

        Raises:
            ConfigurationError: The stored row is not a token set.
            TransportError: The database cannot be reached.
        """
        with checkout(self._pool, "reading tokens") as conn:
            row = conn.execute(
                "SELECT tokens FROM finlink_tokens WHERE namespace = %s AND key = %s",
                (self.namespace, key),
            ).fetchone()
        if row is None:
            return None
        try:
            return TokenSet.from_json_dict(row[0])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"stored tokens of {key!r} are not readable: {exc}") from exc

    def save(self, key: str, tokens: TokenSet) -> None:
        """Store ``tokens`` under ``key`` and commit at once (also while ``lock`` is held).

        Raises:
            TransportError: The database cannot be reached.
        """
        with checkout(self._pool, "saving tokens") as conn:
            conn.execute(
                "INSERT INTO finlink_tokens (namespace, key, tokens) VALUES (%s, %s, %s::jsonb) "
                "ON CONFLICT (namespace, key) DO UPDATE "
                "SET tokens = EXCLUDED.tokens, saved_at = now()",
                (self.namespace, key, json.dumps(tokens.to_json_dict())),
            )

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold ``key``'s row lock (across every process and machine) while the block runs.

        Raises:
            TransportError: The database cannot be reached.
        """
        with checkout(self._pool, "locking tokens") as conn:
            conn.execute(
                "INSERT INTO finlink_token_locks (namespace, key) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (self.namespace, key),
            )
            with conn.transaction():
                conn.execute(
                    "SELECT 1 FROM finlink_token_locks WHERE namespace = %s AND key = %s "
                    "FOR UPDATE",
                    (self.namespace, key),
                )
                yield

    def close(self) -> None:
        """Close the pool this store opened (a shared pool is left to its owner)."""
        if self._owns:
            self._pool.close()

    def __repr__(self) -> str:
        return f"PostgresTokenStore(namespace={self.namespace!r})"
