"""A pool of PostgreSQL connections with per-thread, nestable transactions.

The plumbing under :class:`~finlink.sync.store.PostgresStore`. Each call borrows a
connection from the pool for as long as it runs; a :meth:`PostgresConnection.transaction`
keeps the borrowed connection for the calling thread until it ends, so every call the thread
makes inside it runs on that connection, in that transaction. Other threads keep borrowing
their own connections meanwhile: one store is shared by the threads of a worker without a
lock around it.

Errors are translated where they happen: a connection that broke or a server that went
away becomes :class:`~finlink.StoreUnavailableError` (retriable; the transaction was rolled
back), anything else PostgreSQL refuses becomes :class:`~finlink.SyncError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg_pool
from psycopg.rows import dict_row

from finlink._errors import StoreUnavailableError, SyncError

__all__ = ["ANALYZE_AFTER_ROWS", "Conn", "PostgresConnection", "translate"]

_log = logging.getLogger("finlink.sync.store")

#: Rows a store writes to a table before it has PostgreSQL analyse the table (then again
#: after as many more as were written before: 1,000, 2,000, 4,000, ...). See
#: :meth:`PostgresConnection.wrote`.
ANALYZE_AFTER_ROWS = 1000

#: What the statement modules run on: a cursor whose rows are dicts (column name → value).
#: A cursor rather than the connection, so a pool the caller lent keeps its row factory.
Conn = psycopg.Cursor[dict[str, Any]]


def translate(exc: BaseException) -> SyncError:
    """Return the finlink error that stands for a psycopg or pool error."""
    if isinstance(exc, psycopg_pool.PoolClosed):
        # The store that made the pool was closed while another (for_namespace) still used it.
        return SyncError("the state store is closed (its connection pool was closed)")
    if isinstance(exc, (psycopg.OperationalError, psycopg_pool.PoolTimeout)):
        # OperationalError covers a terminated backend, a server shut down or restarted,
        # a network cut: nothing of the transaction stayed, so trying again is safe.
        return StoreUnavailableError(f"the state store's database is unavailable: {exc}")
    if isinstance(exc, psycopg.InterfaceError) and "closed" in str(exc):
        return StoreUnavailableError(f"the state store's database is unavailable: {exc}")
    return SyncError(f"the state store failed: {exc}")


class _Held(threading.local):
    """What one thread holds: its transaction's connection and how deep it is nested."""

    conn: psycopg.Connection[Any] | None = None
    depth: int = 0


class PostgresConnection:
    """A pool and the transactions of each thread on it.

    Args:
        pool: The connection pool (its connections may be in autocommit mode or not).
        owns_pool: Whether :meth:`close` closes the pool (False when the caller made it).
        timeout: Seconds to wait for a free connection before failing.
    """

    def __init__(
        self, pool: psycopg_pool.ConnectionPool[Any], *, owns_pool: bool, timeout: float
    ) -> None:
        self.pool = pool
        self._owns_pool = owns_pool
        self._timeout = timeout
        self._held = _Held()
        self._closed = False
        # Rows this store wrote per table, and the count at its last ANALYZE (see wrote()).
        self._counts_lock = threading.Lock()
        self._written: dict[str, int] = {}
        self._analysed: dict[str, int] = {}
        self._due: set[str] = set()
        self._may_analyse = True

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise SyncError("the state store is closed")

    @contextmanager
    def _borrowed(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self.pool.connection(timeout=self._timeout) as conn:
                yield conn
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise translate(exc) from exc

    @contextmanager
    def reading(self) -> Iterator[Conn]:
        """Yield a connection: the thread's transaction's, or a borrowed one.

        Raises:
            SyncError: If the store is closed or a statement fails;
                ``StoreUnavailableError`` if the database cannot be reached.
        """
        self._check_open()
        held = self._held.conn
        if held is not None:
            try:
                yield held.cursor(row_factory=dict_row)
            except psycopg.Error as exc:
                raise translate(exc) from exc
            return
        with self._borrowed() as conn:
            yield conn.cursor(row_factory=dict_row)

    @contextmanager
    def writing(self) -> Iterator[Conn]:
        """Like :meth:`reading`, inside a (possibly nested) transaction.

        Raises:
            SyncError: If the store is closed or a statement or the commit fails;
                ``StoreUnavailableError`` if the database cannot be reached.
        """
        with self.transaction():
            conn = self._held.conn
            assert conn is not None  # transaction() holds one
            try:
                yield conn.cursor(row_factory=dict_row)
            except psycopg.Error as exc:
                raise translate(exc) from exc

    @contextmanager
    def single(self) -> Iterator[Conn]:
        """Yield a cursor for exactly one statement that writes.

        One statement is atomic on its own, so outside a transaction it runs in autocommit
        mode: one round trip instead of three (``BEGIN``, the statement, ``COMMIT``). Inside
        the thread's transaction it is a savepoint, as :meth:`writing`, so a failure undoes
        only its own work.

        Raises:
            SyncError: If the store is closed or the statement fails;
                ``StoreUnavailableError`` if the database cannot be reached.
        """
        if self._held.conn is not None:
            with self.writing() as cursor:
                yield cursor
            return
        with self.reading() as cursor:
            yield cursor

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Open a transaction (outermost: ``BEGIN``) or a savepoint (nested) for this thread.

        An exception inside rolls back to where this level began and propagates.

        Raises:
            SyncError: If the store is closed or the commit fails (everything is rolled back
                then); ``StoreUnavailableError`` if the database cannot be reached.
        """
        self._check_open()
        held = self._held
        if held.conn is not None:
            held.depth += 1
            try:
                # psycopg makes a nested transaction() a savepoint, rolled back on error.
                with held.conn.transaction():
                    yield
            except psycopg.Error as exc:
                raise translate(exc) from exc
            finally:
                held.depth -= 1
            return
        with self._borrowed() as conn:
            held.conn, held.depth = conn, 1
            try:
                with conn.transaction():
                    yield
                if self._due:
                    self._analyse_due(conn)
            finally:
                held.conn, held.depth = None, 0

    def wrote(self, table: str, rows: int) -> None:
        """Count ``rows`` written to ``table``; have it analysed once they add up.

        PostgreSQL plans from statistics autovacuum gathers a minute or so after a table
        changed much. Until then a table a first sync filled with thousands of links looks
        empty, and a look-up of a chunk's keys may be planned as a scan of the whole
        administration, which makes the sync slow down as it goes. So the store has the table
        analysed itself after its first 1,000 rows, then after each doubling (at most a few
        dozen times over any run): an ANALYZE samples at most 30,000 rows, a few tens of
        milliseconds. It runs after the commit, outside the caller's transaction.
        """
        if not self._may_analyse:
            return
        with self._counts_lock:
            count = self._written[table] = self._written.get(table, 0) + rows
            last = self._analysed.get(table, 0)
            if count - last >= max(ANALYZE_AFTER_ROWS, last):
                self._due.add(table)
        if self._due and self._held.conn is None:
            with self._borrowed() as conn:
                self._analyse_due(conn)

    def _analyse_due(self, conn: psycopg.Connection[Any]) -> None:
        """Analyse the tables that are due (best effort: a refusal only logs)."""
        with self._counts_lock:
            tables, self._due = sorted(self._due), set()
            for table in tables:
                self._analysed[table] = self._written.get(table, 0)
        for table in tables:
            try:
                with conn.transaction():
                    # Never wait behind autovacuum (which then analyses it anyway) or another
                    # worker's ANALYZE: this is an optimisation, not part of the write.
                    conn.execute("SET LOCAL lock_timeout = '200ms'")
                    conn.execute(f"ANALYZE {table}".encode())
            except psycopg.errors.InsufficientPrivilege:
                # Only the table's owner may analyse it; autovacuum still does.
                self._may_analyse = False
                _log.info("not analysing %s: the store's role does not own it", table)
                return
            except psycopg.errors.LockNotAvailable:
                _log.debug("not analysing %s now: another session is at it", table)
            except psycopg.Error as exc:
                _log.debug("not analysing %s: %s", table, exc)

    def close(self) -> None:
        """Stop taking calls and close the pool if this store made it; again does nothing.

        Raises:
            SyncError: Inside a transaction of this thread.
        """
        if self._held.conn is not None:
            raise SyncError("cannot close the state store inside a transaction")
        if self._closed:
            return
        self._closed = True
        if self._owns_pool:
            self.pool.close()
