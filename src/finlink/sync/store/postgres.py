"""``PostgresStore``: the state store in PostgreSQL, shared by workers on several machines.

Public API (``pip install 'finlink[postgres]'``; psycopg 3 and psycopg_pool)::

    PostgresStore(dsn_or_pool, *, namespace="default", clock=None, migrate=True,
                  page_size=500, min_size=1, max_size=10, timeout=30.0,
                  connect_timeout=10.0)
    store.namespace / store.pool                 # the tenant; the pool (share it)
    store.for_namespace(namespace) -> PostgresStore   # same pool, another tenant
    PostgresStore.namespaces_with_work(dsn_or_pool, *, now=None) -> list[str]
    PostgresStore.upgrade(dsn, *, connect_timeout=10.0) -> int   # `finlink db upgrade`
    PostgresStore.schema_version(dsn, *, connect_timeout=10.0) -> tuple[int, int]

plus every :class:`~finlink.sync.store.StateStore` method, unchanged.

Tenants: one database serves many CRM customers. Each store object is bound to one
``namespace``, and every statement it runs is scoped by it: one tenant's store never reads
or changes another's links, outbox entries, errors, reviews or runs. Outbox entry ids and
review ids are unique in the whole database, but a store only finds its own tenant's.

Concurrency: the store borrows a pooled connection per call, so one store is safe to share
between the threads of a worker; :meth:`~PostgresStore.transaction` holds one connection for
the calling thread until it ends (other threads are not part of it). Several processes and
machines share the database: :meth:`~PostgresStore.claim` picks rows ``FOR UPDATE SKIP
LOCKED`` and leases them, a lease runs out by the store's clock, and only the worker holding
an entry can acknowledge or release it.

Failures: a wrong DSN, a server that does not answer or a refused login when the store
opens is a :class:`~finlink.ConfigurationError`; a database that goes away later (restart,
killed connection) is a retriable :class:`~finlink.StoreUnavailableError` and the
transaction that was running is rolled back whole, so no record is half-written.

Times come from ``clock`` (not the server's), so leases and backoff follow the same clock
as in :class:`~finlink.sync.store.SQLiteStore`; keep the workers' clocks in sync (NTP).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

try:
    import psycopg_pool
except ModuleNotFoundError as exc:  # pragma: no cover - the test run has the extra
    if exc.name not in ("psycopg", "psycopg_pool"):
        raise
    raise ModuleNotFoundError(
        f"PostgresStore needs {exc.name}, which is not installed: pip install 'finlink[postgres]'",
        name=exc.name,
    ) from exc

from finlink._errors import SyncError
from finlink.clock import Clock, SystemClock
from finlink.sync.store import _postgres_lookups as lookups
from finlink.sync.store import _postgres_outbox as outbox
from finlink.sync.store import _postgres_outcomes as outcomes
from finlink.sync.store import _postgres_schema as schema
from finlink.sync.store import _postgres_setup as setup
from finlink.sync.store._batches import IntentRequest, OutcomeRequest
from finlink.sync.store._postgres_connection import PostgresConnection
from finlink.sync.store._postgres_outcomes import record_outcomes as _record_outcomes
from finlink.sync.store._postgres_queues import PostgresQueues
from finlink.sync.store._records import (
    ErrorEntry,
    Intent,
    Link,
    canonical_json,
    check_page,
    checked_kinds,
    utc,
)

__all__ = ["PostgresStore"]

Pool = psycopg_pool.ConnectionPool[Any]
_pool_numbers = itertools.count(1)


class PostgresStore(PostgresQueues):
    """The :class:`~finlink.sync.store.StateStore` in PostgreSQL, one tenant per store object.

    Opening creates finlink's tables (``finlink_*``, in the first schema of the connection's
    ``search_path``) if needed and applies every pending migration, unless ``migrate`` is
    False. Each method is documented on the protocol; only what is particular to PostgreSQL
    is here.

    Args:
        dsn_or_pool: A libpq DSN (``postgresql://user@host:5432/db``; keep the password in
            ``PGPASSWORD`` or ``~/.pgpass``), or a ``psycopg_pool.ConnectionPool`` to borrow
            from (the store then never closes it).
        namespace: The tenant whose rows this store reads and writes.
        clock: Where times come from; the system clock by default.
        migrate: Bring the schema up to date on opening (default); with False an old
            schema is refused (run ``finlink db upgrade`` first).
        page_size: Rows per page when :meth:`links` streams.
        min_size: Connections the store's own pool keeps open.
        max_size: Connections the store's own pool opens at most (one per busy thread).
        timeout: Seconds a call waits for a free pooled connection.
        connect_timeout: Seconds to wait for the server when opening.

    Raises:
        ConfigurationError: If the DSN is not valid or no server accepts the connection.
        SyncError: If the schema is from a newer finlink, or old while ``migrate`` is False.
        ValueError: For an empty namespace or a bad ``page_size``.
    """

    def __init__(
        self,
        dsn_or_pool: str | Pool,
        *,
        namespace: str = "default",
        clock: Clock | None = None,
        migrate: bool = True,
        page_size: int = 500,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
    ) -> None:
        if not isinstance(namespace, str) or not namespace.strip():
            raise ValueError("namespace must be non-empty text (the tenant's name)")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.namespace = namespace
        self._clock: Clock = clock or SystemClock()
        self._page_size = page_size
        self._timeout = timeout
        if isinstance(dsn_or_pool, str):
            self._where = setup.describe_dsn(dsn_or_pool)
            with setup.probe(dsn_or_pool, connect_timeout=connect_timeout) as conn:
                setup.ensure_schema(conn, migrate=migrate)
            pool = setup.make_pool(
                dsn_or_pool,
                min_size=min_size,
                max_size=max_size,
                name=f"finlink-store-{next(_pool_numbers)}",
            )
            self._db = PostgresConnection(pool, owns_pool=True, timeout=timeout)
        else:
            self._where = f"pool {dsn_or_pool.name!r}"
            self._db = PostgresConnection(dsn_or_pool, owns_pool=False, timeout=timeout)
            with self._db.reading() as cursor:
                setup.ensure_schema(cursor.connection, migrate=migrate)

    def __repr__(self) -> str:
        return f"PostgresStore({self._where}, namespace={self.namespace!r})"

    @property
    def pool(self) -> Pool:
        """The connection pool (lend it to :meth:`for_namespace` or another store)."""
        return self._db.pool

    def for_namespace(self, namespace: str) -> PostgresStore:
        """Return a store of another tenant on this store's pool.

        Closing the returned store leaves the pool open; closing this store (when it made the
        pool) closes the pool, after which the returned store refuses calls as closed.

        Raises:
            ValueError: For an empty namespace.
        """
        return PostgresStore(
            self._db.pool,
            namespace=namespace,
            clock=self._clock,
            migrate=False,
            page_size=self._page_size,
            timeout=self._timeout,
        )

    @classmethod
    def namespaces_with_work(
        cls, dsn_or_pool: str | Pool, *, now: datetime | None = None
    ) -> list[str]:
        """Return, sorted by name, the tenants with an outbox entry claimable at ``now``.

        A worker serving every tenant asks this, then claims from each in turn, so a busy
        tenant never starves the others. ``now`` defaults to the system clock.

        Raises:
            ConfigurationError: If a DSN is given and no server accepts it.
            SyncError: If the query fails (``StoreUnavailableError``: database unavailable).
            ValueError: For a naive ``now``.
        """
        moment = datetime.now(UTC) if now is None else utc(now)
        if isinstance(dsn_or_pool, str):
            with setup.probe(dsn_or_pool, connect_timeout=10.0) as conn:
                return setup.run(conn, lambda cursor: outbox.namespaces_with_work(cursor, moment))
        db = PostgresConnection(dsn_or_pool, owns_pool=False, timeout=30.0)
        with db.reading() as cursor:
            return outbox.namespaces_with_work(cursor, moment)

    @classmethod
    def upgrade(cls, dsn: str, *, connect_timeout: float = 10.0) -> int:
        """Create or migrate the schema at ``dsn``; return the version it is at now.

        Raises:
            ConfigurationError: If the DSN is not valid or no server accepts it.
            SyncError: If the schema is from a newer finlink or a migration fails.
        """
        with setup.probe(dsn, connect_timeout=connect_timeout) as conn:
            return setup.ensure_schema(conn, migrate=True)

    @classmethod
    def schema_version(cls, dsn: str, *, connect_timeout: float = 10.0) -> tuple[int, int]:
        """Return ``(found, needed)``: the schema version at ``dsn`` and this finlink's.

        ``found`` is 0 where finlink made no tables yet.

        Raises:
            ConfigurationError: If the DSN is not valid or no server accepts it.
            SyncError: If the version table is damaged or the query fails.
        """
        with setup.probe(dsn, connect_timeout=connect_timeout) as conn:
            return setup.found_version(conn), schema.current_version()

    # -- lifecycle -------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Group several calls of this thread into one atomic unit.

        The outermost transaction holds a pooled connection for the calling thread until it
        ends; nested ones are savepoints, an inner one that fails undoes only its own work.

        Raises:
            SyncError: If the store is closed or the commit fails (everything is rolled back
                then); ``StoreUnavailableError`` if the database cannot be reached.
        """
        return self._db.transaction()

    def close(self) -> None:
        """Close the store (and its pool, if it made it); calling it again does nothing.

        Raises:
            SyncError: Inside a :meth:`transaction` of this thread.
        """
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- links ---------------------------------------------------------------------------

    def get_link(self, administration: str, entity: str, crm_key: str) -> Link | None:
        """Return the link of one CRM record in one administration, or None."""
        with self._db.reading() as conn:
            return lookups.link(conn, self._key(administration, entity, crm_key))

    def get_links(
        self, administration: str, entity: str, crm_keys: Sequence[str]
    ) -> dict[str, Link]:
        """Return the links of many records at once (see ``BatchReads``), by CRM key."""
        if not crm_keys:
            return {}
        with self._db.reading() as conn:
            return lookups.links(conn, self.namespace, administration, entity, crm_keys)

    def get_link_by_remote(self, administration: str, entity: str, remote_id: str) -> Link | None:
        """Return the link that points at ``remote_id``, or None."""
        with self._db.reading() as conn:
            return lookups.link_by_remote(conn, self.namespace, administration, entity, remote_id)

    def links(self, administration: str, entity: str) -> Iterator[Link]:
        """Yield every link of one entity in one administration, by (bytewise) CRM key.

        Reads ``page_size`` rows at a time by key and holds no connection between pages.
        """
        after: str | None = None
        while True:
            with self._db.reading() as conn:
                page = lookups.links_page(
                    conn, self.namespace, administration, entity, after=after, limit=self._page_size
                )
            yield from page
            if len(page) < self._page_size:
                return
            after = page[-1].crm_key

    def link_fingerprints(
        self, administration: str, entity: str
    ) -> Iterator[tuple[str, str, str | None, str | None]]:
        """Yield ``(crm_key, remote_id, remote_version, fingerprint)`` of every link, by key.

        The fingerprint has a column of its own (computed from the snapshot), so no snapshot
        is read or sent. Paged like :meth:`links`.
        """
        after: str | None = None
        while True:
            with self._db.reading() as conn:
                page = lookups.fingerprints_page(
                    conn, self.namespace, administration, entity, after=after, limit=self._page_size
                )
            yield from page
            if len(page) < self._page_size:
                return
            after = page[-1][0]

    def link_fingerprints_for(
        self, administration: str, entity: str, crm_keys: Iterable[str]
    ) -> list[tuple[str, str, str | None, str | None]]:
        """Return ``(crm_key, remote_id, remote_version, fingerprint)`` of the given keys' links.

        Keys without a link are left out; the order is not defined. One statement for all
        the keys (``crm_key = ANY(...)``); no snapshot is read or sent.
        """
        keys = list(dict.fromkeys(crm_keys))
        if not keys:
            return []
        with self._db.reading() as conn:
            return lookups.fingerprints_of(conn, self.namespace, administration, entity, keys)

    def delete_link(self, administration: str, entity: str, crm_key: str) -> bool:
        """Forget one link; return whether there was one."""
        with self._db.single() as conn:
            return lookups.delete_row(conn, "links", self._key(administration, entity, crm_key))

    # -- intents and outcomes ------------------------------------------------------------

    def begin_intent(
        self,
        administration: str,
        entity: str,
        crm_key: str,
        *,
        reference: str,
        operation: str,
        payload_hash: str,
    ) -> Intent:
        """Record a write about to go out (see the protocol).

        Raises:
            SyncError: If the record has a pending intent with another reference, or the
                reference is pending for another record.
        """
        with self._db.single() as conn:
            return outcomes.begin_intent(
                conn,
                self._now(),
                self._key(administration, entity, crm_key),
                reference=reference,
                operation=operation,
                payload_hash=payload_hash,
            )

    def get_intent(self, administration: str, entity: str, crm_key: str) -> Intent | None:
        """Return the pending intent of one record, or None."""
        with self._db.reading() as conn:
            return lookups.intent(conn, self._key(administration, entity, crm_key))

    def pending_intents(self, administration: str | None = None) -> list[Intent]:
        """Return every pending intent (of one administration), oldest first."""
        with self._db.reading() as conn:
            return lookups.pending_intents(conn, self.namespace, administration)

    def clear_intent(self, administration: str, entity: str, crm_key: str) -> bool:
        """Drop a pending intent; return whether there was one."""
        with self._db.single() as conn:
            return lookups.delete_row(conn, "intents", self._key(administration, entity, crm_key))

    def record_outcome(
        self,
        administration: str,
        entity: str,
        crm_key: str,
        *,
        remote_id: str,
        snapshot: dict[str, Any] | None,
        remote_version: str | None = None,
        outbox_entry: int | None = None,
        worker: str | None = None,
    ) -> Link:
        """Record a successful write in one transaction (see the protocol).

        Raises:
            SyncError: If ``remote_id`` is linked to another CRM record, or ``outbox_entry``
                comes without ``worker``.
        """
        if outbox_entry is not None and worker is None:
            raise SyncError("acknowledging an outbox entry needs the worker that holds it")
        # One JSON encoding serves as the stored text and as the input of its hash (what
        # payload_hash computes), instead of encoding the snapshot twice.
        text = None if snapshot is None else canonical_json(snapshot)
        digest = None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._db.single() as conn:
            link = outcomes.record_outcome(
                conn,
                self._now(),
                self._key(administration, entity, crm_key),
                remote_id=remote_id,
                snapshot=text,
                snapshot_hash=digest,
                remote_version=remote_version,
                outbox_entry=outbox_entry,
                worker=worker,
            )
        self._db.wrote("finlink_links", 1)
        return link

    def begin_intents(self, requests: Sequence[IntentRequest]) -> list[Intent | SyncError]:
        """Begin many intents in one transaction (see :class:`~finlink.sync.store.BatchWrites`).

        The statements go out pipelined: one round trip for the batch.

        Raises:
            SyncError: If the store fails (then nothing is written);
                ``StoreUnavailableError`` if the database cannot be reached.
        """
        if not requests:
            return []
        with self._db.writing() as conn:
            return outcomes.begin_intents(conn, self._now(), self.namespace, requests)

    def record_outcomes(self, outcomes: Sequence[OutcomeRequest]) -> None:
        """Record many outcomes in one transaction, all or none (see ``BatchWrites``).

        Raises:
            SyncError: If a remote id is linked to another CRM record (nothing is written);
                ``StoreUnavailableError`` if the database cannot be reached.
        """
        if not outcomes:
            return
        with self._db.writing() as conn:
            # (the module function by another name: ``outcomes`` is the argument here)
            _record_outcomes(conn, self._now(), self.namespace, outcomes)
        # Many new links: PostgreSQL needs fresh statistics to look them up by key.
        self._db.wrote("finlink_links", len(outcomes))

    def record_failure(
        self,
        administration: str,
        entity: str,
        crm_key: str,
        *,
        kind: str,
        message: str,
        retriable: bool,
        field_path: str | None = None,
        rule: str | None = None,
        vendor_code: str | None = None,
        outcome_unknown: bool = False,
        outbox_entry: int | None = None,
        worker: str | None = None,
        retry_at: datetime | None = None,
    ) -> ErrorEntry:
        """Record a failed write in one transaction (see the protocol).

        Raises:
            SyncError: If ``outbox_entry`` comes without ``worker``.
        """
        if outbox_entry is not None and worker is None:
            raise SyncError("releasing an outbox entry needs the worker that holds it")
        retry = None if retry_at is None else utc(retry_at)
        with self._db.writing() as conn:
            now = self._now()
            return outcomes.record_failure(
                conn,
                now,
                self._key(administration, entity, crm_key),
                kind=kind,
                message=message,
                retriable=retriable,
                field_path=field_path,
                rule=rule,
                vendor_code=vendor_code,
                outcome_unknown=outcome_unknown,
                outbox_entry=outbox_entry,
                worker=worker,
                retry_at=retry or now,
            )

    # -- cursors ---------------------------------------------------------------------------

    def get_cursor(self, administration: str, stream: str) -> str | None:
        """Return the opaque cursor of one read stream, or None."""
        with self._db.reading() as conn:
            return lookups.get_cursor(conn, self.namespace, administration, stream)

    def set_cursor(self, administration: str, stream: str, value: str | None) -> None:
        """Store the cursor of one read stream; None forgets it."""
        with self._db.single() as conn:
            lookups.set_cursor(
                conn, self._now(), self.namespace, administration, stream, value=value
            )

    # -- error log -------------------------------------------------------------------------

    def get_error(self, administration: str, entity: str, crm_key: str) -> ErrorEntry | None:
        """Return the error-log entry of one record, or None."""
        with self._db.reading() as conn:
            return lookups.error(conn, self._key(administration, entity, crm_key))

    def errors(
        self,
        administration: str | None = None,
        entity: str | None = None,
        *,
        after: tuple[str, str, str] | None = None,
        limit: int | None = None,
        kinds: Collection[str] | None = None,
    ) -> list[ErrorEntry]:
        """Return the error log (of one administration and/or entity), by key, a page at a time.

        Raises:
            ValueError: For a ``limit`` below 1, a malformed ``after`` or a ``kinds`` that is
                a single string.
        """
        check_page(after, limit, keyset_size=3)
        with self._db.reading() as conn:
            return lookups.errors(
                conn,
                self.namespace,
                administration,
                entity,
                after=after,
                limit=limit,
                kinds=checked_kinds(kinds),
            )

    def count_errors(self, administration: str | None = None, entity: str | None = None) -> int:
        """Count the error-log entries (of one administration and/or entity)."""
        with self._db.reading() as conn:
            return lookups.count_errors(conn, self.namespace, administration, entity)

    def clear_error(self, administration: str, entity: str, crm_key: str) -> bool:
        """Drop one record's error-log entry; return whether there was one."""
        with self._db.single() as conn:
            return lookups.delete_row(conn, "errors", self._key(administration, entity, crm_key))
