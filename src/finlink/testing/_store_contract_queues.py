"""Contract tests for the outbox, reviews, runs and transactions; see :mod:`.store_contract`."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from finlink._errors import SyncError
from finlink.clock import SimulatedClock
from finlink.sync.store import ReviewResolution, StateStore
from finlink.testing._pytest import pytest

ADM = "acme-bv"
OTHER = "acme-foundation"
REL = "relation"
PRJ = "project"

__all__ = ["QueueBehaviours"]


class _AbortError(Exception):
    """Raised by a test to abandon a transaction."""


class QueueBehaviours:
    """The outbox, the review queue, runs and status, transactions and closing.

    Needs the ``store`` and ``clock`` fixtures of :class:`.store_contract.StateStoreContract`.
    """

    # -- outbox ----------------------------------------------------------------------------

    def test_an_enqueued_change_is_claimed_with_a_lease(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """An enqueued change is claimed with a lease."""
        entry = store.enqueue(REL, "C-1", {"name": "Acme", "limit": Decimal("10.00")}, [ADM])
        claimed = store.claim(10, "worker-a", lease_seconds=60)
        assert [c.entry_id for c in claimed] == [entry.entry_id]
        assert claimed[0].payload == {"limit": "10.00", "name": "Acme"}
        assert claimed[0].administrations == (ADM,)
        assert claimed[0].claimed_by == "worker-a"
        assert claimed[0].lease_until == clock.now() + timedelta(seconds=60)
        assert store.claim(10, "worker-b", lease_seconds=60) == []

    def test_rapid_edits_to_one_record_coalesce_into_one_entry(self, store: StateStore) -> None:
        """Rapid edits to one record coalesce into one entry."""
        first = store.enqueue(REL, "C-1", {"name": "Acme"})
        store.enqueue(REL, "C-1", {"name": "Acme B.V."})
        last = store.enqueue(REL, "C-1", {"name": "Acme Holding B.V."})
        assert last.entry_id == first.entry_id
        assert last.revision == 3
        assert store.outbox_depth() == 1
        [claimed] = store.claim(10, "w", lease_seconds=60)
        assert claimed.payload == {"name": "Acme Holding B.V."}

    def test_an_edit_while_claimed_queues_behind_the_change_in_flight(
        self, store: StateStore
    ) -> None:
        """An edit while claimed queues behind the change in flight."""
        first = store.enqueue(REL, "C-1", {"v": 1})
        [in_flight] = store.claim(10, "w", lease_seconds=60)
        second = store.enqueue(REL, "C-1", {"v": 2})
        third = store.enqueue(REL, "C-1", {"v": 3})
        assert second.entry_id != first.entry_id
        assert third.entry_id == second.entry_id
        # The change in flight is neither lost nor overwritten...
        assert store.get_outbox_entry(first.entry_id).payload == {"v": 1}  # type: ignore[union-attr]
        # ...and the record is never in flight twice: the newer change waits for the ack.
        assert store.claim(10, "other", lease_seconds=60) == []
        assert store.ack(in_flight.entry_id, "w") is True
        [next_one] = store.claim(10, "other", lease_seconds=60)
        assert next_one.payload == {"v": 3}

    def test_claim_goes_in_order_of_first_enqueue_and_respects_the_limit(
        self, store: StateStore
    ) -> None:
        """Claim goes in order of first enqueue and respects the limit."""
        a = store.enqueue(REL, "A", {"v": 1})
        b = store.enqueue(REL, "B", {"v": 1})
        c = store.enqueue(PRJ, "C", {"v": 1})
        store.enqueue(REL, "A", {"v": 2})  # coalesced: keeps its place in the queue
        got = store.claim(2, "w", lease_seconds=60)
        assert [e.entry_id for e in got] == [a.entry_id, b.entry_id]
        assert [e.entry_id for e in store.claim(2, "w", lease_seconds=60)] == [c.entry_id]

    def test_an_expired_lease_gives_the_entry_to_another_worker(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """An expired lease gives the entry to another worker."""
        entry = store.enqueue(REL, "C-1", {"v": 1})
        store.claim(1, "dead-worker", lease_seconds=30)
        clock.advance(29)
        assert store.claim(1, "w2", lease_seconds=30) == []
        clock.advance(1)
        [again] = store.claim(1, "w2", lease_seconds=30)
        assert again.entry_id == entry.entry_id
        assert again.claimed_by == "w2"
        assert store.ack(entry.entry_id, "dead-worker") is False
        assert store.ack(entry.entry_id, "w2") is True
        assert store.outbox_depth() == 0

    def test_an_edit_to_an_entry_whose_worker_died_queues_behind_it(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """An edit to an entry whose worker died queues behind it."""
        old = store.enqueue(REL, "C-1", {"v": 1})
        store.claim(1, "dead-worker", lease_seconds=30)
        clock.advance(60)
        store.enqueue(REL, "C-1", {"v": 2})
        [first] = store.claim(10, "w2", lease_seconds=30)
        assert first.entry_id == old.entry_id
        store.ack(first.entry_id, "w2")
        [second] = store.claim(10, "w2", lease_seconds=30)
        assert second.payload == {"v": 2}

    def test_extending_a_lease_keeps_the_entry_from_other_workers(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Extending a lease keeps the entry from other workers."""
        entry = store.enqueue(REL, "C-1", {"v": 1})
        store.claim(1, "w", lease_seconds=30)
        clock.advance(25)
        assert store.extend_lease(entry.entry_id, "w", lease_seconds=30) is True
        clock.advance(25)
        assert store.claim(1, "other", lease_seconds=30) == []
        held = store.get_outbox_entry(entry.entry_id)
        assert held is not None
        assert held.lease_until == clock.now() + timedelta(seconds=5)
        assert store.extend_lease(entry.entry_id, "other", lease_seconds=30) is False
        with pytest.raises(ValueError, match="lease"):
            store.extend_lease(entry.entry_id, "w", lease_seconds=0)
        clock.advance(5)
        assert [e.claimed_by for e in store.claim(1, "other", lease_seconds=30)] == ["other"]

    def test_ack_by_a_worker_that_does_not_hold_the_entry_is_refused(
        self, store: StateStore
    ) -> None:
        """Ack by a worker that does not hold the entry is refused."""
        entry = store.enqueue(REL, "C-1", {"v": 1})
        assert store.ack(entry.entry_id, "w") is False  # not claimed at all
        store.claim(1, "w", lease_seconds=60)
        assert store.ack(entry.entry_id, "intruder") is False
        assert store.outbox_depth() == 1

    def test_release_backs_off_until_retry_at_and_counts_attempts(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Release backs off until retry_at and counts attempts."""
        entry = store.enqueue(REL, "C-1", {"v": 1})
        store.claim(1, "w", lease_seconds=60)
        retry_at = clock.now() + timedelta(minutes=5)
        assert store.release(entry.entry_id, "w", error="503 from Exact", retry_at=retry_at)
        released = store.get_outbox_entry(entry.entry_id)
        assert released is not None
        assert (released.attempts, released.last_error, released.claimed_by) == (
            1,
            "503 from Exact",
            None,
        )
        assert released.available_at == retry_at
        clock.advance(minutes=4)
        assert store.claim(1, "w", lease_seconds=60) == []
        clock.advance(minutes=1)
        assert [e.entry_id for e in store.claim(1, "w", lease_seconds=60)] == [entry.entry_id]

    def test_a_new_edit_makes_a_backed_off_entry_available_at_once(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """A new edit makes a backed off entry available at once."""
        entry = store.enqueue(REL, "C-1", {"email": "not-an-address"})
        store.claim(1, "w", lease_seconds=60)
        store.release(
            entry.entry_id, "w", error="bad e-mail", retry_at=clock.now() + timedelta(hours=1)
        )
        store.enqueue(REL, "C-1", {"email": "info@acme.nl"})
        [fixed] = store.claim(1, "w", lease_seconds=60)
        assert fixed.payload == {"email": "info@acme.nl"}

    def test_release_folds_a_failed_entry_into_a_newer_edit(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Release folds a failed entry into a newer edit."""
        old = store.enqueue(REL, "C-1", {"v": 1}, [ADM])
        store.claim(1, "w", lease_seconds=60)
        newer = store.enqueue(REL, "C-1", {"v": 2}, [OTHER])
        store.release(old.entry_id, "w", error="refused", retry_at=clock.now() + timedelta(hours=1))
        assert store.get_outbox_entry(old.entry_id) is None
        [claimed] = store.claim(10, "w", lease_seconds=60)
        assert claimed.entry_id == newer.entry_id
        assert claimed.payload == {"v": 2}
        assert claimed.administrations == (ADM, OTHER)

    def test_a_failed_entry_for_every_administration_keeps_that_when_folded(
        self, store: StateStore
    ) -> None:
        """A failed entry for every administration keeps that when folded."""
        old = store.enqueue(REL, "C-1", {"v": 1})
        store.claim(1, "w", lease_seconds=60)
        store.enqueue(REL, "C-1", {"v": 2}, [OTHER])
        store.release(old.entry_id, "w", error="refused")
        [claimed] = store.claim(10, "w", lease_seconds=60)
        assert claimed.payload == {"v": 2}
        assert claimed.administrations is None
        assert claimed.last_error == "refused"

    def test_release_by_a_worker_that_does_not_hold_the_entry_is_refused(
        self, store: StateStore
    ) -> None:
        """Release by a worker that does not hold the entry is refused."""
        entry = store.enqueue(REL, "C-1", {"v": 1})
        store.claim(1, "w", lease_seconds=60)
        assert store.release(entry.entry_id, "intruder", error="x") is False
        assert store.get_outbox_entry(entry.entry_id).claimed_by == "w"  # type: ignore[union-attr]

    def test_coalescing_joins_administrations_and_none_means_every_one(
        self, store: StateStore
    ) -> None:
        """Coalescing joins administrations and none means every one."""
        store.enqueue(REL, "C-1", {"v": 1}, [OTHER])
        joined = store.enqueue(REL, "C-1", {"v": 2}, [ADM, OTHER])
        assert joined.administrations == (ADM, OTHER)
        every = store.enqueue(REL, "C-1", {"v": 3})
        assert every.administrations is None
        still_every = store.enqueue(REL, "C-1", {"v": 4}, [ADM])
        assert still_every.administrations is None

    def test_enqueue_refuses_an_empty_administration_list(self, store: StateStore) -> None:
        """Enqueue refuses an empty administration list."""
        with pytest.raises(ValueError, match="None"):
            store.enqueue(REL, "C-1", {}, [])

    def test_outbox_depth_counts_per_administration(self, store: StateStore) -> None:
        """Outbox depth counts per administration."""
        store.enqueue(REL, "C-1", {}, [ADM])
        store.enqueue(REL, "C-2", {}, [OTHER])
        store.enqueue(REL, "C-3", {})
        assert store.outbox_depth() == 3
        assert store.outbox_depth(ADM) == 2
        assert store.outbox_depth(OTHER) == 2
        assert store.outbox_depth("elsewhere") == 1

    def test_record_outcome_acknowledges_the_outbox_entry(self, store: StateStore) -> None:
        """Record outcome acknowledges the outbox entry."""
        entry = store.enqueue(REL, "C-1", {"v": 1}, [ADM])
        store.claim(1, "w", lease_seconds=60)
        store.record_outcome(
            ADM,
            REL,
            "C-1",
            remote_id="R-1",
            snapshot={"v": 1},
            outbox_entry=entry.entry_id,
            worker="w",
        )
        assert store.get_outbox_entry(entry.entry_id) is None
        assert store.outbox_depth() == 0

    def test_record_failure_releases_the_outbox_entry(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Record failure releases the outbox entry."""
        entry = store.enqueue(REL, "C-1", {"v": 1}, [ADM])
        store.claim(1, "w", lease_seconds=60)
        retry_at = clock.now() + timedelta(minutes=2)
        store.record_failure(
            ADM,
            REL,
            "C-1",
            kind="ServerError",
            message="Exact answered 503",
            retriable=True,
            outbox_entry=entry.entry_id,
            worker="w",
            retry_at=retry_at,
        )
        released = store.get_outbox_entry(entry.entry_id)
        assert released is not None
        assert released.claimed_by is None
        assert released.available_at == retry_at
        assert released.last_error == "Exact answered 503"

    def test_claim_refuses_a_bad_limit_or_lease(self, store: StateStore) -> None:
        """Claim refuses a bad limit or lease."""
        with pytest.raises(ValueError, match="limit"):
            store.claim(0, "w", lease_seconds=60)
        with pytest.raises(ValueError, match="lease"):
            store.claim(1, "w", lease_seconds=0)

    def test_an_outbox_ack_or_release_needs_the_worker(self, store: StateStore) -> None:
        """An outbox ack or release needs the worker."""
        with pytest.raises(SyncError, match="worker"):
            store.record_outcome(ADM, REL, "C-1", remote_id="R", snapshot=None, outbox_entry=1)
        with pytest.raises(SyncError, match="worker"):
            store.record_failure(
                ADM, REL, "C-1", kind="k", message="m", retriable=True, outbox_entry=1
            )

    # -- reviews ---------------------------------------------------------------------------

    def test_a_record_has_one_open_review_item_which_adding_again_updates(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """A record has one open review item which adding again updates."""
        first = store.add_review(
            ADM,
            REL,
            "C-1",
            reason="two debtors match",
            candidates=[{"remote_id": "R-1", "score": 0.91}],
            payload={"name": "Acme"},
        )
        clock.advance(60)
        again = store.add_review(
            ADM,
            REL,
            "C-1",
            reason="three debtors match",
            candidates=[{"remote_id": "R-1"}, {"remote_id": "R-2"}, {"remote_id": "R-3"}],
            payload={"name": "Acme B.V."},
        )
        assert again.review_id == first.review_id
        assert again.reason == "three debtors match"
        assert len(again.candidates) == 3
        assert again.created_at == first.created_at
        assert again.updated_at == clock.now()
        assert again.is_open
        assert store.reviews() == [again]

    def test_resolving_a_review_settles_it_once(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Resolving a review settles it once."""
        item = store.add_review(ADM, REL, "C-1", reason="r", candidates=[], payload={})
        settled = store.resolve_review(item.review_id, "link", remote_id="R-2")
        assert settled.resolution is ReviewResolution.LINK
        assert settled.remote_id == "R-2"
        assert settled.resolved_at == clock.now()
        assert store.get_review(item.review_id) == settled
        assert store.reviews() == []
        assert store.reviews(open_only=False) == [settled]
        with pytest.raises(SyncError, match="already resolved"):
            store.resolve_review(item.review_id, ReviewResolution.DISMISS)
        # A later doubt about the same record opens a new item.
        new = store.add_review(ADM, REL, "C-1", reason="again", candidates=[], payload={})
        assert new.review_id != item.review_id

    def test_resolve_review_checks_the_resolution(self, store: StateStore) -> None:
        """Resolve review checks the resolution."""
        item = store.add_review(ADM, REL, "C-1", reason="r", candidates=[], payload={})
        with pytest.raises(SyncError, match="remote_id"):
            store.resolve_review(item.review_id, ReviewResolution.LINK)
        with pytest.raises(SyncError, match="remote_id"):
            store.resolve_review(item.review_id, ReviewResolution.CREATE, remote_id="R-1")
        with pytest.raises(ValueError, match="merge"):
            store.resolve_review(item.review_id, "merge")
        with pytest.raises(SyncError, match="no review item"):
            store.resolve_review(item.review_id + 1000, ReviewResolution.DISMISS)
        assert store.get_review(item.review_id).is_open  # type: ignore[union-attr]

    def test_reviews_filter_by_administration(self, store: StateStore) -> None:
        """Reviews filter by administration."""
        store.add_review(ADM, REL, "C-1", reason="r", candidates=[], payload={})
        store.add_review(OTHER, REL, "C-1", reason="r", candidates=[], payload={})
        assert [r.administration for r in store.reviews(ADM)] == [ADM]
        assert len(store.reviews()) == 2

    # -- runs and status -------------------------------------------------------------------

    def test_last_run_is_the_latest_successful_one_by_default(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Last run is the latest successful one by default."""
        t0 = clock.now()
        ok = store.record_run(
            ADM,
            "push",
            started_at=t0,
            finished_at=t0 + timedelta(seconds=5),
            ok=True,
            counts={"created": 2},
        )
        failed = store.record_run(
            ADM,
            "push",
            started_at=t0 + timedelta(minutes=1),
            finished_at=t0 + timedelta(minutes=2),
            ok=False,
            counts={"failed": 1},
        )
        pull = store.record_run(
            ADM, "pull", started_at=t0, finished_at=t0 + timedelta(seconds=1), ok=True, counts={}
        )
        assert store.last_run(ADM) == ok
        assert store.last_run(ADM, ok=None) == failed
        assert store.last_run(ADM, "push", ok=False) == failed
        assert store.last_run(ADM, "pull") == pull
        assert store.last_run(OTHER) is None
        assert ok.counts == {"created": 2}

    def test_status_sums_up_one_administration(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Status sums up one administration."""
        empty = store.status(ADM)
        assert (empty.outbox_depth, empty.failed, empty.review_open, empty.pending_intents) == (
            0,
            0,
            0,
            0,
        )
        assert empty.last_successful_run is None
        store.enqueue(REL, "C-1", {}, [ADM])
        store.enqueue(REL, "C-2", {}, [OTHER])
        store.record_failure(ADM, REL, "C-3", kind="k", message="m", retriable=True)
        store.record_failure(OTHER, REL, "C-3", kind="k", message="m", retriable=True)
        store.add_review(ADM, REL, "C-4", reason="r", candidates=[], payload={})
        store.begin_intent(ADM, REL, "C-5", reference="R5", operation="create", payload_hash="h")
        done = clock.now()
        store.record_run(ADM, "push", started_at=done, finished_at=done, ok=True, counts={})
        status = store.status(ADM)
        assert (status.outbox_depth, status.failed, status.review_open, status.pending_intents) == (
            1,
            1,
            1,
            1,
        )
        assert status.last_successful_run == done
        assert status.administration == ADM

    # -- transactions and lifecycle --------------------------------------------------------

    def test_an_exception_inside_a_transaction_leaves_nothing(self, store: StateStore) -> None:
        """An exception inside a transaction leaves nothing."""

        def write_then_fail() -> None:
            with store.transaction():
                store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={})
                store.enqueue(REL, "C-2", {})
                store.set_cursor(ADM, "s", "1")
                store.record_failure(ADM, REL, "C-3", kind="k", message="m", retriable=True)
                raise _AbortError

        with pytest.raises(_AbortError):
            write_then_fail()
        assert store.get_link(ADM, REL, "C-1") is None
        assert store.outbox_depth() == 0
        assert store.get_cursor(ADM, "s") is None
        assert store.errors() == []

    def test_a_failed_inner_transaction_undoes_only_its_own_work(self, store: StateStore) -> None:
        """A failed inner transaction undoes only its own work."""

        def inner() -> None:
            with store.transaction():
                store.set_cursor(ADM, "s", "1")
                # Refused: R-1 is linked to C-1 already.
                store.record_outcome(ADM, REL, "C-2", remote_id="R-1", snapshot={})

        with store.transaction():
            store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={})
            with pytest.raises(SyncError):
                inner()
            store.set_cursor(ADM, "t", "2")
        assert store.get_link(ADM, REL, "C-1") is not None
        assert store.get_link(ADM, REL, "C-2") is None
        assert store.get_cursor(ADM, "s") is None
        assert store.get_cursor(ADM, "t") == "2"

    def test_naive_datetimes_are_refused(self, store: StateStore) -> None:
        """Naive datetimes are refused."""
        naive = datetime(2026, 1, 5, 9, 0)  # noqa: DTZ001 - the point of the test
        with pytest.raises(ValueError, match="timezone"):
            store.record_run(ADM, "push", started_at=naive, finished_at=naive, ok=True, counts={})

    def test_a_closed_store_refuses_calls(self, store: StateStore) -> None:
        """A closed store refuses calls."""
        store.close()
        store.close()  # closing twice is harmless
        with pytest.raises(SyncError, match="closed"):
            store.get_link(ADM, REL, "C-1")
        with pytest.raises(SyncError, match="closed"):
            store.enqueue(REL, "C-1", {})
