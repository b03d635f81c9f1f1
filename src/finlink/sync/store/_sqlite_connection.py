"""One SQLite connection with the store's pragmas, a lock, and nestable transactions."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from finlink._errors import SyncError
from finlink.sync.store import _sqlite_schema as schema

__all__ = ["SQLiteConnection"]

logger = logging.getLogger(__name__)


def _set_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, waiting up to ``timeout`` for a lock another opener holds.

    SQLite answers "database is locked" to the switch at once, without its busy handler,
    while another process opening the same new file holds a lock (it is migrating the
    schema): wait for it as ``busy_timeout`` waits for any other lock.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
        else:
            return


class SQLiteConnection:
    """An open, migrated database: the plumbing under :class:`~finlink.sync.store.SQLiteStore`.

    Args:
        path: The database file, or ``":memory:"``.
        synchronous: ``"FULL"`` or ``"NORMAL"`` (see the store's docstring).
        busy_timeout: Seconds to wait for another process's write lock.

    Raises:
        SyncError: If the file cannot be opened or migrated, or is from a newer finlink.
        ValueError: For another ``synchronous`` value.
    """

    def __init__(
        self,
        path: str,
        *,
        synchronous: Literal["FULL", "NORMAL"],
        busy_timeout: float,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be 'FULL' or 'NORMAL'")
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        try:
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
            )
        except sqlite3.Error as exc:
            raise SyncError(f"cannot open the state store {path!r}: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            # WAL: readers do not block the writer, and a commit is one append (+ fsync).
            _set_wal(conn, busy_timeout)
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            # Looked up at call time, so tests can put a longer migration list in place.
            schema.migrate(conn, schema.MIGRATIONS)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise SyncError(f"cannot open the state store {path!r}: {exc}") from exc
            raise
        self._conn: sqlite3.Connection | None = conn

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise SyncError("the state store is closed")
        return self._conn

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and yield the connection; SQLite errors become ``SyncError``.

        Raises:
            SyncError: If the store is closed or a statement fails.
        """
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise SyncError(f"the state store failed: {exc}") from exc

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """Like :meth:`reading`, inside a (possibly nested) transaction.

        Raises:
            SyncError: If the store is closed, the lock is not had, or a statement fails.
        """
        with self.transaction():
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise SyncError(f"the state store failed: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Open a transaction (outermost: ``BEGIN IMMEDIATE``) or a savepoint (nested).

        An exception inside rolls back to where this level began and propagates.

        Raises:
            SyncError: If the store is closed, the write lock is not had within the busy
                timeout, or the commit fails (everything is rolled back then).
        """
        with self._lock:
            conn = self._connection()
            if self._depth == 0:
                # IMMEDIATE takes the write lock up front: a deferred transaction that reads
                # first and writes later can fail with SQLITE_BUSY halfway instead of waiting.
                _run(conn, "BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield
                except BaseException:
                    self._depth = 0
                    _rollback(conn)
                    raise
                self._depth = 0
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    _rollback(conn)
                    raise SyncError(f"the state store could not commit: {exc}") from exc
            else:
                name = f"finlink_{self._depth}"
                _run(conn, f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield
                except BaseException:
                    self._depth -= 1
                    _run(conn, f"ROLLBACK TO {name}")
                    _run(conn, f"RELEASE {name}")
                    raise
                self._depth -= 1
                _run(conn, f"RELEASE {name}")

    def backup(self, target: str) -> None:
        """Copy the committed database into a new file with SQLite's online backup.

        Raises:
            SyncError: If the copy fails.
        """
        with self.reading() as conn:
            dest = sqlite3.connect(target)
            try:
                conn.backup(dest)
            finally:
                dest.close()

    def close(self) -> None:
        """Close the connection; calling it again does nothing.

        Raises:
            SyncError: Inside a transaction: closing would silently throw its work away.
        """
        with self._lock:
            if self._depth:
                raise SyncError("cannot close the state store inside a transaction")
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _run(conn: sqlite3.Connection, statement: str) -> None:
    try:
        conn.execute(statement)
    except sqlite3.Error as exc:
        raise SyncError(f"the state store failed: {exc}") from exc


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may already have rolled back on its own (disk full, I/O error); then there is
    # no transaction left and ROLLBACK itself would fail. A failing ROLLBACK is only logged:
    # the exception that caused it is the one the caller needs to see.
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        logger.warning("the state store could not roll back", exc_info=True)
