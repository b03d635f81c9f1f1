"""``SQLiteStore``: the embedded default state store, one SQLite file.

Durability: the file runs in WAL mode with ``synchronous=FULL`` by default, so a commit
that returned survives a killed process *and* a power cut; ``NORMAL`` survives a killed
process but may lose the last commits on a power cut, and writes several times faster
(``bench/bench_store.py`` measures both).

Concurrency: one :class:`SQLiteStore` is safe to share between threads; its calls are
serialised by a lock, and a :meth:`~SQLiteStore.transaction` holds that lock until it ends.
Several processes (or one store per thread) may open the same file: every write runs under
``BEGIN IMMEDIATE``, so writers queue (up to ``busy_timeout``) instead of failing halfway,
and :meth:`~SQLiteStore.claim` never hands the same outbox entry to two workers.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self

from finlink._errors import SyncError
from finlink.clock import Clock, SystemClock
from finlink.sync.store import _sqlite_batches as batches
from finlink.sync.store import _sqlite_lookups as lookups
from finlink.sync.store import _sqlite_outbox as outbox
from finlink.sync.store import _sqlite_outcomes as outcomes
from finlink.sync.store import _sqlite_reviews as reviews
from finlink.sync.store import _sqlite_rows as rows
from finlink.sync.store._batches import IntentRequest, OutcomeRequest
from finlink.sync.store._records import (
    ErrorEntry,
    Intent,
    Link,
    OutboxEntry,
    Review,
    ReviewResolution,
    Run,
    StoreStatus,
    canonical_json,
    check_page,
    checked_choices,
    checked_kinds,
)
from finlink.sync.store._sqlite_connection import SQLiteConnection

__all__ = ["SQLiteStore"]


class SQLiteStore:
    """The embedded :class:`~finlink.sync.store.StateStore`: one SQLite file (or memory).

    Opening the file creates it if needed and applies every pending schema migration.
    Each method is documented on the protocol; only what is particular to SQLite is here.

    Args:
        path: The database file, or ``":memory:"`` for a private in-memory store (tests).
        clock: Where times come from (leases, backoff, timestamps); the system clock by
            default, a :class:`~finlink.clock.SimulatedClock` in tests.
        synchronous: ``"FULL"`` (default: a returned commit survives a power cut) or
            ``"NORMAL"`` (survives a killed process only; faster).
        busy_timeout: Seconds to wait for another process's write lock before failing.
        page_size: Rows per page when :meth:`links` streams.

    Raises:
        SyncError: If the file cannot be opened, is not a finlink store, or was written by a
            newer finlink (schema version above what this one knows).
        ValueError: For a bad ``synchronous`` or ``page_size``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        busy_timeout: float = 30.0,
        page_size: int = 500,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._clock: Clock = clock or SystemClock()
        self._page_size = page_size
        self._db = SQLiteConnection(
            os.fspath(path), synchronous=synchronous, busy_timeout=busy_timeout
        )

    def __repr__(self) -> str:
        return f"SQLiteStore({self._db.path!r})"

    def _now(self) -> str:
        return rows.time_text(self._clock.now())

    # -- lifecycle -------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Group several calls into one atomic unit.

        The outermost transaction takes the write lock at once (``BEGIN IMMEDIATE``) and
        commits on leaving; an exception inside rolls all of it back and propagates. Nested
        transactions are savepoints: an inner one that fails undoes only its own work. The
        store's lock is held throughout, so other threads using this store wait.

        Raises:
            SyncError: If the store is closed, the write lock is not had within
                ``busy_timeout``, or the commit fails (everything is rolled back then).
        """
        return self._db.transaction()

    def close(self) -> None:
        """Close the database; calling it again does nothing.

        Raises:
            SyncError: Inside a :meth:`transaction`.
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

    def backup(self, target: str | os.PathLike[str]) -> None:
        """Copy the store, consistently, into a new file at ``target`` while it is in use.

        Uses SQLite's online backup, which sees committed data only. Copying the ``.db``
        file alone while a process writes (without its ``-wal`` file) is not a backup.

        Raises:
            SyncError: If the copy fails.
        """
        self._db.backup(os.fspath(target))

    # -- links ---------------------------------------------------------------------------

    def get_link(self, administration: str, entity: str, crm_key: str) -> Link | None:
        """Return the link of one CRM record in one administration, or None."""
        with self._db.reading() as conn:
            return lookups.link(conn, (administration, entity, crm_key))

    def get_links(
        self, administration: str, entity: str, crm_keys: Sequence[str]
    ) -> dict[str, Link]:
        """Return the links of many records at once (see ``BatchReads``), by CRM key."""
        with self._db.reading() as conn:
            return batches.links(conn, administration, entity, crm_keys)

    def get_link_by_remote(self, administration: str, entity: str, remote_id: str) -> Link | None:
        """Return the link that points at ``remote_id``, or None."""
        with self._db.reading() as conn:
            return lookups.link_by_remote(conn, administration, entity, remote_id)

    def links(self, administration: str, entity: str) -> Iterator[Link]:
        """Yield every link of one entity in one administration, ordered by CRM key.

        Reads ``page_size`` rows at a time by key (keyset paging) and holds no read
        transaction between pages, so writing while iterating is safe: a link written
        after the current position is seen, one before it is not.
        """
        after: str | None = None
        while True:
            with self._db.reading() as conn:
                page = lookups.links_page(conn, administration, entity, after, self._page_size)
            for row in page:
                yield rows.link(row)
            if len(page) < self._page_size:
                return
            after = page[-1]["crm_key"]

    def link_fingerprints(
        self, administration: str, entity: str
    ) -> Iterator[tuple[str, str, str | None, str | None]]:
        """Yield ``(crm_key, remote_id, remote_version, fingerprint)`` of every link, by key.

        The fingerprint has a column of its own (SQLite computes it from the snapshot), so no
        snapshot is read. Paged like :meth:`links`.
        """
        after = ""
        while True:
            with self._db.reading() as conn:
                page = lookups.fingerprints_page(
                    conn, administration, entity, after, self._page_size
                )
            yield from page
            if len(page) < self._page_size:
                return
            after = page[-1][0]

    def link_fingerprints_for(
        self, administration: str, entity: str, crm_keys: Iterable[str]
    ) -> list[tuple[str, str, str | None, str | None]]:
        """Return ``(crm_key, remote_id, remote_version, fingerprint)`` of the given keys' links.

        Keys without a link are left out; the order is not defined. One read (a statement per
        500 keys) instead of one per key; no snapshot is read.
        """
        keys = list(dict.fromkeys(crm_keys))
        if not keys:
            return []
        with self._db.reading() as conn:
            return lookups.fingerprints_of(conn, administration, entity, keys)

    def delete_link(self, administration: str, entity: str, crm_key: str) -> bool:
        """Forget one link; return whether there was one."""
        with self._db.writing() as conn:
            return lookups.delete_row(conn, "links", (administration, entity, crm_key))

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
        with self._db.writing() as conn:
            return outcomes.begin_intent(
                conn,
                self._now(),
                (administration, entity, crm_key),
                reference=reference,
                operation=operation,
                payload_hash=payload_hash,
            )

    def get_intent(self, administration: str, entity: str, crm_key: str) -> Intent | None:
        """Return the pending intent of one record, or None."""
        with self._db.reading() as conn:
            return lookups.intent(conn, (administration, entity, crm_key))

    def pending_intents(self, administration: str | None = None) -> list[Intent]:
        """Return every pending intent (of one administration), oldest first."""
        with self._db.reading() as conn:
            return lookups.pending_intents(conn, administration)

    def clear_intent(self, administration: str, entity: str, crm_key: str) -> bool:
        """Drop a pending intent; return whether there was one."""
        with self._db.writing() as conn:
            return lookups.delete_row(conn, "intents", (administration, entity, crm_key))

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
        with self._db.writing() as conn:
            return outcomes.record_outcome(
                conn,
                self._now(),
                (administration, entity, crm_key),
                remote_id=remote_id,
                snapshot=text,
                snapshot_hash=digest,
                remote_version=remote_version,
                outbox_entry=outbox_entry,
                worker=worker,
            )

    def begin_intents(self, requests: Sequence[IntentRequest]) -> list[Intent | SyncError]:
        """Begin many intents in one transaction (see :class:`~finlink.sync.store.BatchWrites`).

        Raises:
            SyncError: If the store fails (then nothing is written).
        """
        if not requests:
            return []
        with self._db.writing() as conn:
            return batches.begin_intents(conn, self._now(), requests)

    def record_outcomes(self, outcomes: Sequence[OutcomeRequest]) -> None:
        """Record many outcomes in one transaction, all or none (see ``BatchWrites``).

        Raises:
            SyncError: If a remote id is linked to another CRM record (nothing is written).
        """
        if not outcomes:
            return
        with self._db.writing() as conn:
            batches.record_outcomes(conn, self._now(), outcomes)

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
        retry = None if retry_at is None else rows.time_text(retry_at)
        with self._db.writing() as conn:
            now = self._now()
            return outcomes.record_failure(
                conn,
                now,
                (administration, entity, crm_key),
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
            row = conn.execute(
                "SELECT value FROM cursors WHERE administration = ? AND stream = ?",
                (administration, stream),
            ).fetchone()
        return None if row is None else str(row["value"])

    def set_cursor(self, administration: str, stream: str, value: str | None) -> None:
        """Store the cursor of one read stream; None forgets it."""
        with self._db.writing() as conn:
            if value is None:
                conn.execute(
                    "DELETE FROM cursors WHERE administration = ? AND stream = ?",
                    (administration, stream),
                )
            else:
                conn.execute(
                    "INSERT INTO cursors (administration, stream, value, updated_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (administration, stream) DO UPDATE SET "
                    "value = excluded.value, updated_at = excluded.updated_at",
                    (administration, stream, value, self._now()),
                )

    # -- outbox ----------------------------------------------------------------------------

    def enqueue(
        self,
        entity: str,
        crm_key: str,
        payload: dict[str, Any],
        administrations: Sequence[str] | None = None,
    ) -> OutboxEntry:
        """Put a record's latest state in the outbox, coalescing (see the protocol).

        Raises:
            ValueError: For an empty ``administrations`` (pass None for every one) or a
                payload JSON cannot hold.
        """
        targets = None if administrations is None else sorted(set(administrations))
        if targets is not None and not targets:
            raise ValueError("administrations is empty; pass None to mean every administration")
        text = canonical_json(payload)
        with self._db.writing() as conn:
            entry_id = outbox.enqueue(
                conn, self._now(), entity=entity, crm_key=crm_key, payload=text, targets=targets
            )
            entry = outbox.fetch(conn, entry_id)
        assert entry is not None  # written in the same transaction
        return entry

    def claim(self, limit: int, worker: str, lease_seconds: float) -> list[OutboxEntry]:
        """Lease available entries to ``worker`` (see the protocol).

        Raises:
            ValueError: For a limit below 1 or a lease that is not positive.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        with self._db.writing() as conn:
            now = self._clock.now()
            until = rows.time_text(now + timedelta(seconds=lease_seconds))
            return outbox.claim(conn, rows.time_text(now), until, limit, worker)

    def claim_record(
        self, entity: str, crm_key: str, worker: str, lease_seconds: float
    ) -> OutboxEntry | None:
        """Lease one record's oldest entry now, out of its backoff (see the protocol).

        Raises:
            SyncError: If another worker holds it right now.
            ValueError: For a lease that is not positive.
        """
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        with self._db.writing() as conn:
            now = self._clock.now()
            until = rows.time_text(now + timedelta(seconds=lease_seconds))
            return outbox.claim_record(
                conn, rows.time_text(now), until, entity=entity, crm_key=crm_key, worker=worker
            )

    def extend_lease(self, entry_id: int, worker: str, lease_seconds: float) -> bool:
        """Hold an entry longer; False if ``worker`` no longer holds it.

        Raises:
            ValueError: For a lease that is not positive.
        """
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        until = rows.time_text(self._clock.now() + timedelta(seconds=lease_seconds))
        with self._db.writing() as conn:
            return outbox.extend_lease(conn, entry_id, worker, until)

    def ack(self, entry_id: int, worker: str) -> bool:
        """Remove a processed entry; return False if ``worker`` no longer holds it."""
        with self._db.writing() as conn:
            return outbox.ack(conn, entry_id, worker)

    def release(
        self,
        entry_id: int,
        worker: str,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """Give an entry back after a failure (see the protocol)."""
        retry = None if retry_at is None else rows.time_text(retry_at)
        with self._db.writing() as conn:
            return outbox.release(conn, entry_id, worker, error, retry or self._now())

    def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        """Return one outbox entry, or None once it is acknowledged."""
        with self._db.reading() as conn:
            return outbox.fetch(conn, entry_id)

    def outbox_depth(self, administration: str | None = None) -> int:
        """Count the entries waiting (for one administration)."""
        with self._db.reading() as conn:
            return outbox.depth(conn, administration)

    # -- error log -------------------------------------------------------------------------

    def get_error(self, administration: str, entity: str, crm_key: str) -> ErrorEntry | None:
        """Return the error-log entry of one record, or None."""
        with self._db.reading() as conn:
            return lookups.error(conn, (administration, entity, crm_key))

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
                conn, administration, entity, after=after, limit=limit, kinds=checked_kinds(kinds)
            )

    def count_errors(self, administration: str | None = None, entity: str | None = None) -> int:
        """Count the error-log entries (of one administration and/or entity)."""
        with self._db.reading() as conn:
            return lookups.count_errors(conn, administration, entity)

    def clear_error(self, administration: str, entity: str, crm_key: str) -> bool:
        """Drop one record's error-log entry; return whether there was one."""
        with self._db.writing() as conn:
            return lookups.delete_row(conn, "errors", (administration, entity, crm_key))

    # -- review queue ----------------------------------------------------------------------

    def add_review(
        self,
        administration: str,
        entity: str,
        crm_key: str,
        *,
        reason: str,
        candidates: Sequence[dict[str, Any]],
        payload: dict[str, Any],
    ) -> Review:
        """Raise a review item, or update the record's open one (see the protocol)."""
        with self._db.writing() as conn:
            return reviews.add_review(
                conn,
                self._now(),
                (administration, entity, crm_key),
                reason=reason,
                candidates=canonical_json(list(candidates)),
                payload=canonical_json(payload),
            )

    def get_review(self, review_id: int) -> Review | None:
        """Return one review item, or None."""
        with self._db.reading() as conn:
            return reviews.fetch_review(conn, review_id)

    def latest_review(self, administration: str, entity: str, crm_key: str) -> Review | None:
        """Return one record's latest review item, open or settled (see ``ReviewReads``)."""
        with self._db.reading() as conn:
            return reviews.latest_review(conn, (administration, entity, crm_key))

    def reviews(
        self,
        administration: str | None = None,
        *,
        open_only: bool = True,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Review]:
        """Return review items (of one administration) by review_id, a page at a time.

        Raises:
            ValueError: For a ``limit`` below 1 or an ``after`` that is not a whole number.
        """
        check_page(after, limit)
        with self._db.reading() as conn:
            return reviews.list_reviews(conn, administration, open_only, after=after, limit=limit)

    def resolve_review(
        self,
        review_id: int,
        resolution: ReviewResolution | str,
        *,
        remote_id: str | None = None,
        choices: Mapping[str, str] | None = None,
    ) -> Review:
        """Settle an open review item (see the protocol).

        Raises:
            SyncError: For an unknown or settled item, or a ``remote_id`` or ``choices`` that
                does not fit the resolution.
            ValueError: For an unknown resolution or a bad choice (naming the field).
        """
        chosen = ReviewResolution(resolution)
        checked = checked_choices(chosen, choices)
        with self._db.writing() as conn:
            return reviews.resolve_review(
                conn, self._now(), review_id, chosen, remote_id, choices=checked
            )

    # -- runs and status -------------------------------------------------------------------

    def record_run(
        self,
        administration: str,
        kind: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        ok: bool,
        counts: dict[str, int],
    ) -> Run:
        """Record a finished run."""
        with self._db.writing() as conn:
            return reviews.record_run(
                conn,
                administration,
                kind,
                started_at=rows.time_text(started_at),
                finished_at=rows.time_text(finished_at),
                ok=ok,
                counts=canonical_json(counts),
            )

    def last_run(
        self, administration: str, kind: str | None = None, *, ok: bool | None = True
    ) -> Run | None:
        """Return the latest-finished run (of a kind; successful by default, any with None)."""
        with self._db.reading() as conn:
            return reviews.last_run(conn, administration, kind, ok)

    def status(self, administration: str) -> StoreStatus:
        """Return outbox depth, failed records, open reviews, pending intents, last success."""
        with self._db.reading() as conn:
            failed, review_open, pending = lookups.status_counts(conn, administration)
            depth = outbox.depth(conn, administration)
            last = reviews.last_run(conn, administration, None, True)
        return StoreStatus(
            administration=administration,
            outbox_depth=depth,
            failed=failed,
            review_open=review_open,
            pending_intents=pending,
            last_successful_run=None if last is None else last.finished_at,
        )
