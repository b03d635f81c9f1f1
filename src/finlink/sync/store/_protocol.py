"""The ``StateStore`` protocol: everything the sync engine remembers between runs."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from finlink.sync.store._records import (
    ErrorEntry,
    Intent,
    Link,
    OutboxEntry,
    Review,
    ReviewResolution,
    Run,
    StoreStatus,
)

__all__ = ["StateStore"]


@runtime_checkable
class StateStore(Protocol):
    """Links, snapshots, intents, cursors, the outbox, the error log, reviews and runs.

    A store needs no finlink base class: anything with these methods is one, and
    :class:`finlink.testing.store_contract.StateStoreContract` checks that it behaves.

    Every method that writes is atomic on its own. :meth:`transaction` groups several calls
    into one atomic unit; transactions nest (an inner one that fails undoes only its own
    work). Every method raises :class:`~finlink.SyncError` when the store itself fails
    (a locked or corrupt database, a closed store) and ``ValueError`` for a naive datetime.
    """

    # -- links ---------------------------------------------------------------------------

    def get_link(self, administration: str, entity: str, crm_key: str) -> Link | None:
        """Return the link of one CRM record in one administration, or None."""
        ...

    def get_link_by_remote(self, administration: str, entity: str, remote_id: str) -> Link | None:
        """Return the link that points at ``remote_id``, or None."""
        ...

    def links(self, administration: str, entity: str) -> Iterator[Link]:
        """Yield every link of one entity in one administration, ordered by CRM key.

        Keys are compared bytewise (SQLite's ``BINARY``, PostgreSQL's ``COLLATE "C"``), the
        same in every store. Streams: a store loads a page at a time, never the whole table.
        """
        ...

    def link_fingerprints(
        self, administration: str, entity: str
    ) -> Iterator[tuple[str, str, str | None, str | None]]:
        """Yield ``(crm_key, remote_id, remote_version, fingerprint)`` of every link.

        The snapshots themselves are not read.

        ``fingerprint`` is the snapshot's top-level ``"fingerprint"`` string, or None. The engine
        reads these for a large batch at once, so an unchanged record costs no snapshot
        decoding; keep it lean (PostgreSQL: ``snapshot->>'fingerprint'``).
        """
        ...

    def link_fingerprints_for(
        self, administration: str, entity: str, crm_keys: Iterable[str]
    ) -> list[tuple[str, str, str | None, str | None]]:
        """Return ``(crm_key, remote_id, remote_version, fingerprint)`` of the given keys' links.

        The same tuples as :meth:`link_fingerprints`, for a chunk of keys at once (the engine
        asks for a few hundred at a time): keys without a link are left out, a key given twice
        is answered once, the order is not defined. Read in one go, without the snapshots;
        this is what an unchanged record costs the store, so keep it lean.

        A store without this method still works: the engine then reads
        :meth:`link_fingerprints` for a whole administration at once (memory grows with the
        number of links), or one link at a time for a small batch.
        """
        ...

    def delete_link(self, administration: str, entity: str, crm_key: str) -> bool:
        """Forget one link; return whether there was one."""
        ...

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
        """Record that a write with ``reference`` is about to go out, before it goes.

        Idempotent: beginning the same reference for the same record again returns the
        same intent (same ``created_at``) with ``attempts`` one higher and the new
        ``payload_hash``. ``attempts > 1`` means an earlier try may have reached the vendor.

        Raises:
            SyncError: If the record has a pending intent with another reference, or the
                reference is already pending for another record: both would risk a
                duplicate or a wrong link.
        """
        ...

    def get_intent(self, administration: str, entity: str, crm_key: str) -> Intent | None:
        """Return the pending intent of one record, or None."""
        ...

    def pending_intents(self, administration: str | None = None) -> list[Intent]:
        """Return every pending intent (of one administration), oldest first."""
        ...

    def clear_intent(self, administration: str, entity: str, crm_key: str) -> bool:
        """Drop a pending intent (a probe proved nothing was written); return whether one was."""
        ...

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
        """Record a successful write, all in one transaction.

        Writes the link with its snapshot and remote version, clears the record's intent
        and its error-log entry and, given ``outbox_entry`` and ``worker``, acknowledges
        that outbox entry (a lease lost meanwhile is no error: the outcome stands).

        An entry is acknowledged once for all its administrations: pass it with the outcome
        of the last one. If another administration failed, release the entry instead; the
        next attempt finds the administrations that succeeded unchanged since their snapshot
        and skips them.

        Raises:
            SyncError: If ``remote_id`` is already linked to another CRM record in that
                administration (nothing is written then), or ``outbox_entry`` comes
                without ``worker``.
        """
        ...

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
        """Record a failed write, all in one transaction, keeping the record retryable.

        Writes or updates the error-log entry (attempts plus one, first and last seen). With
        ``outcome_unknown`` the intent is kept so the next attempt probes first; otherwise
        the vendor refused the write, nothing was created and the intent is dropped. Given
        ``outbox_entry`` and ``worker`` the entry is released to be tried again at
        ``retry_at`` (default now).

        Raises:
            SyncError: If ``outbox_entry`` comes without ``worker``.
        """
        ...

    # -- cursors ---------------------------------------------------------------------------

    def get_cursor(self, administration: str, stream: str) -> str | None:
        """Return the opaque cursor of one incremental read stream, or None."""
        ...

    def set_cursor(self, administration: str, stream: str, value: str | None) -> None:
        """Store the cursor of one read stream; None forgets it (the next read is full)."""
        ...

    # -- outbox ----------------------------------------------------------------------------

    def enqueue(
        self,
        entity: str,
        crm_key: str,
        payload: dict[str, Any],
        administrations: Sequence[str] | None = None,
    ) -> OutboxEntry:
        """Put a record's latest state in the durable outbox, coalescing rapid edits.

        If the record already has an entry no worker holds, its payload is replaced (one
        entry, ``revision`` plus one), its administrations are joined (None, meaning every
        one, absorbs the rest) and it becomes available at once. If a worker holds the
        record's entry right now, a new entry is queued after it: the change in flight is
        neither lost nor overwritten.
        """
        ...

    def claim(self, limit: int, worker: str, lease_seconds: float) -> list[OutboxEntry]:
        """Lease up to ``limit`` available entries to ``worker``, in entry-id order.

        An entry is available when nobody holds it (or its lease ran out: a killed worker's
        entries come back), its backoff is over and no older entry of the same record is
        still queued; so one record is never in flight twice. Atomic across processes: two
        workers never get the same entry. ``worker`` identifies the holder, so it must be
        unique to each worker process (host name and process id, say).

        Raises:
            ValueError: For a limit below 1 or a lease that is not positive.
        """
        ...

    def extend_lease(self, entry_id: int, worker: str, lease_seconds: float) -> bool:
        """Hold an entry ``lease_seconds`` longer from now (a long push); False if lost.

        Raises:
            ValueError: For a lease that is not positive.
        """
        ...

    def ack(self, entry_id: int, worker: str) -> bool:
        """Remove a processed entry; return False if ``worker`` no longer holds it."""
        ...

    def release(
        self,
        entry_id: int,
        worker: str,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """Give an entry back after a failure: attempts plus one, tried again at ``retry_at``.

        If a newer entry of the same record was queued meanwhile, the released one is folded
        into it (its newer payload supersedes; administrations are joined). Returns False if
        ``worker`` no longer holds the entry.
        """
        ...

    def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        """Return one outbox entry, or None once it is acknowledged."""
        ...

    def outbox_depth(self, administration: str | None = None) -> int:
        """Count the entries waiting (for one administration, counting "every" entries)."""
        ...

    def claim_record(
        self, entity: str, crm_key: str, worker: str, lease_seconds: float
    ) -> OutboxEntry | None:
        """Lease one record's oldest outbox entry to ``worker`` now, whatever its backoff.

        For a person's "retry this one now": the entry is taken out of its backoff and held
        like :meth:`claim` holds one. Returns None when the record has no entry in the outbox.

        Raises:
            SyncError: If another worker holds the entry right now (its lease has not run out).
            ValueError: For a lease that is not positive.
        """
        ...

    # -- error log -------------------------------------------------------------------------

    def get_error(self, administration: str, entity: str, crm_key: str) -> ErrorEntry | None:
        """Return the error-log entry of one record, or None."""
        ...

    def errors(
        self,
        administration: str | None = None,
        entity: str | None = None,
        *,
        after: tuple[str, str, str] | None = None,
        limit: int | None = None,
        kinds: Collection[str] | None = None,
    ) -> list[ErrorEntry]:
        """Return the error log (of one administration and/or entity), ordered by key.

        The key is ``(administration, entity, crm_key)``, compared bytewise as in
        :meth:`links`. A page at a time: ``after`` is the key of the last entry shown (only
        entries after it come back), ``limit`` the most to return (None: every one). A store
        answers a page with an index range, never by reading the whole log. ``kinds`` keeps
        only entries of those :attr:`ErrorEntry.kind` values (``status()`` asks for the first
        ``AuthenticationError`` this way, rather than reading the log).

        Raises:
            ValueError: For a ``limit`` below 1, an ``after`` that is not three strings, or a
                ``kinds`` that is a single string.
        """
        ...

    def count_errors(self, administration: str | None = None, entity: str | None = None) -> int:
        """Count the error-log entries (of one administration and/or entity), for paging."""
        ...

    def clear_error(self, administration: str, entity: str, crm_key: str) -> bool:
        """Drop one record's error-log entry; return whether there was one."""
        ...

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
        """Raise a review item; a record has at most one open item, which this updates."""
        ...

    def get_review(self, review_id: int) -> Review | None:
        """Return one review item, or None."""
        ...

    def reviews(
        self,
        administration: str | None = None,
        *,
        open_only: bool = True,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Review]:
        """Return review items (of one administration), oldest first: by ``review_id``.

        A page at a time: ``after`` is the ``review_id`` of the last item shown (only later
        items come back), ``limit`` the most to return (None: every one). A store answers a
        page with an index range, never by reading the whole queue; ``status()`` counts it.

        Raises:
            ValueError: For a ``limit`` below 1 or an ``after`` that is not a whole number.
        """
        ...

    def resolve_review(
        self,
        review_id: int,
        resolution: ReviewResolution | str,
        *,
        remote_id: str | None = None,
        choices: Mapping[str, str] | None = None,
    ) -> Review:
        """Settle an open review item.

        ``choices`` keeps a conflict's per-field decision with the item (field name to
        ``"crm"`` or ``"accounting"``, see :attr:`Review.choices`); it goes with ``link``.

        Raises:
            SyncError: For an unknown or already settled item, ``link`` without a
                ``remote_id``, a ``remote_id`` or ``choices`` with another resolution.
            ValueError: For an unknown resolution, or empty choices or a choice other than
                ``"crm"``/``"accounting"`` (naming the field).
        """
        ...

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
        ...

    def last_run(
        self, administration: str, kind: str | None = None, *, ok: bool | None = True
    ) -> Run | None:
        """Return the latest-finished run (of a kind; successful by default, any with None)."""
        ...

    def status(self, administration: str) -> StoreStatus:
        """Return outbox depth, failed records, open reviews, pending intents, last success."""
        ...

    # -- lifecycle -------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Group several calls into one atomic unit; an exception inside undoes all of it."""
        ...

    def close(self) -> None:
        """Release the store's resources; calling it again does nothing."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
