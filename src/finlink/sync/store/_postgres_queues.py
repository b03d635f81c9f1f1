"""The outbox, review-queue, run and status methods of :class:`~finlink.sync.store.PostgresStore`.

Kept apart from the links, intents, errors and cursors in ``postgres.py`` only to keep each
module short; :class:`PostgresQueues` is a base of ``PostgresStore`` and means nothing alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from finlink.clock import Clock
from finlink.sync.store import _postgres_outbox as outbox
from finlink.sync.store import _postgres_reviews as reviews
from finlink.sync.store._postgres_connection import PostgresConnection
from finlink.sync.store._postgres_lookups import Key, status_counts
from finlink.sync.store._records import (
    OutboxEntry,
    Review,
    ReviewResolution,
    Run,
    StoreStatus,
    canonical_json,
    check_page,
    checked_choices,
    utc,
)

__all__ = ["PostgresQueues"]


class PostgresQueues:
    """Outbox, reviews, runs and status, for one tenant (``namespace``) of the database."""

    namespace: str
    _db: PostgresConnection
    _clock: Clock

    def _now(self) -> datetime:
        return utc(self._clock.now())

    def _key(self, administration: str, entity: str, crm_key: str) -> Key:
        return (self.namespace, administration, entity, crm_key)

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
            return outbox.enqueue(
                conn,
                self._now(),
                namespace=self.namespace,
                entity=entity,
                crm_key=crm_key,
                payload=text,
                targets=targets,
            )

    def claim(self, limit: int, worker: str, lease_seconds: float) -> list[OutboxEntry]:
        """Lease available entries of this tenant to ``worker`` (see the protocol).

        Raises:
            ValueError: For a limit below 1 or a lease that is not positive.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        now = self._now()
        until = now + timedelta(seconds=lease_seconds)
        with self._db.single() as conn:
            return outbox.claim(
                conn, self.namespace, now=now, lease_until=until, limit=limit, worker=worker
            )

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
        now = self._now()
        until = now + timedelta(seconds=lease_seconds)
        with self._db.writing() as conn:
            return outbox.claim_record(
                conn,
                self.namespace,
                now=now,
                lease_until=until,
                entity=entity,
                crm_key=crm_key,
                worker=worker,
            )

    def extend_lease(self, entry_id: int, worker: str, lease_seconds: float) -> bool:
        """Hold an entry longer; False if ``worker`` no longer holds it.

        Raises:
            ValueError: For a lease that is not positive.
        """
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        until = self._now() + timedelta(seconds=lease_seconds)
        with self._db.single() as conn:
            return outbox.extend_lease(conn, self.namespace, entry_id, worker, until)

    def ack(self, entry_id: int, worker: str) -> bool:
        """Remove a processed entry; return False if ``worker`` no longer holds it."""
        with self._db.single() as conn:
            return outbox.ack(conn, self.namespace, entry_id, worker)

    def release(
        self,
        entry_id: int,
        worker: str,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """Give an entry back after a failure (see the protocol)."""
        retry = None if retry_at is None else utc(retry_at)
        with self._db.writing() as conn:
            return outbox.release(
                conn,
                self.namespace,
                entry_id,
                worker,
                error=error,
                retry_at=retry or self._now(),
            )

    def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        """Return one outbox entry of this tenant, or None once it is acknowledged."""
        with self._db.reading() as conn:
            return outbox.fetch(conn, self.namespace, entry_id)

    def outbox_depth(self, administration: str | None = None) -> int:
        """Count this tenant's waiting entries (for one administration)."""
        with self._db.reading() as conn:
            return outbox.depth(conn, self.namespace, administration)

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
        with self._db.single() as conn:
            return reviews.add_review(
                conn,
                self._now(),
                self._key(administration, entity, crm_key),
                reason=reason,
                candidates=canonical_json(list(candidates)),
                payload=canonical_json(payload),
            )

    def get_review(self, review_id: int) -> Review | None:
        """Return one review item of this tenant, or None."""
        with self._db.reading() as conn:
            return reviews.fetch_review(conn, self.namespace, review_id)

    def latest_review(self, administration: str, entity: str, crm_key: str) -> Review | None:
        """Return one record's latest review item, open or settled (see ``ReviewReads``)."""
        with self._db.reading() as conn:
            return reviews.latest_review(conn, self._key(administration, entity, crm_key))

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
            return reviews.list_reviews(
                conn, self.namespace, administration, open_only, after=after, limit=limit
            )

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
                conn,
                self.namespace,
                self._now(),
                review_id,
                resolution=chosen,
                remote_id=remote_id,
                choices=checked,
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
        started, finished = utc(started_at), utc(finished_at)
        with self._db.single() as conn:
            return reviews.record_run(
                conn,
                self.namespace,
                administration,
                kind,
                started_at=started,
                finished_at=finished,
                ok=ok,
                counts=canonical_json(counts),
            )

    def last_run(
        self, administration: str, kind: str | None = None, *, ok: bool | None = True
    ) -> Run | None:
        """Return the latest-finished run (of a kind; successful by default, any with None)."""
        with self._db.reading() as conn:
            return reviews.last_run(conn, self.namespace, administration, kind, ok)

    def status(self, administration: str) -> StoreStatus:
        """Return outbox depth, failed records, open reviews, pending intents, last success."""
        with self._db.reading() as conn:
            failed, review_open, pending = status_counts(conn, self.namespace, administration)
            depth = outbox.depth(conn, self.namespace, administration)
            last = reviews.last_run(conn, self.namespace, administration, None, True)
        return StoreStatus(
            administration=administration,
            outbox_depth=depth,
            failed=failed,
            review_open=review_open,
            pending_intents=pending,
            last_successful_run=None if last is None else last.finished_at,
        )
