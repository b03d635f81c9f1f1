"""Contract tests for batched intents and outcomes; see :mod:`.store_contract`.

They go through :func:`finlink.sync.store.begin_intents`,
:func:`~finlink.sync.store.get_links` and :func:`~finlink.sync.store.record_outcomes`, which
use a store's own batch methods (:class:`~finlink.sync.store.BatchWrites`,
:class:`~finlink.sync.store.BatchReads`) where it has them and one call per record where it
does not: either way the results must be those of the per-record calls made in order.
"""

from __future__ import annotations

from typing import Any

from finlink._errors import SyncError
from finlink.sync.store import (
    Intent,
    IntentRequest,
    OutcomeRequest,
    ReviewReads,
    StateStore,
    begin_intents,
    get_links,
    payload_hash,
    record_outcomes,
)
from finlink.testing._pytest import pytest

ADM = "acme-bv"
REL = "relation"
CON = "contact"

__all__ = ["BatchBehaviours"]


def _intent(crm_key: str, reference: str, entity: str = REL) -> IntentRequest:
    return IntentRequest(
        administration=ADM,
        entity=entity,
        crm_key=crm_key,
        reference=reference,
        operation="create",
        payload_hash=f"hash-of-{crm_key}",
    )


def _outcome(
    crm_key: str, remote_id: str, snapshot: dict[str, Any] | None = None
) -> OutcomeRequest:
    return OutcomeRequest(
        administration=ADM,
        entity=REL,
        crm_key=crm_key,
        remote_id=remote_id,
        snapshot=snapshot,
        remote_version="1",
    )


class BatchBehaviours:
    """Many intents begun, and many outcomes recorded, in one call.

    Needs the ``store`` fixture of :class:`.store_contract.StateStoreContract`.
    """

    def test_begin_intents_begins_each_as_begin_intent_would(self, store: StateStore) -> None:
        """A batch of new intents: each attempt 1, all pending; again: attempt 2, same start."""
        requests = [_intent("C-1", "C-1"), _intent("C-2", "C-2"), _intent("C-1/p1", "C-1/p1", CON)]
        first = begin_intents(store, requests)
        assert [type(r) for r in first] == [Intent, Intent, Intent]
        assert all(isinstance(r, Intent) and r.attempts == 1 for r in first)
        pending = {(i.entity, i.crm_key): i for i in store.pending_intents(ADM)}
        assert set(pending) == {(REL, "C-1"), (REL, "C-2"), (CON, "C-1/p1")}
        assert pending[(REL, "C-2")].payload_hash == "hash-of-C-2"
        again = begin_intents(store, requests)
        for before, after in zip(first, again, strict=True):
            assert isinstance(before, Intent)
            assert isinstance(after, Intent)
            assert after.attempts == 2
            assert after.created_at == before.created_at
        assert store.get_intent(ADM, REL, "C-1") == again[0]

    def test_a_refused_intent_is_reported_in_its_place_and_the_others_stand(
        self, store: StateStore
    ) -> None:
        """Refusals (another reference, a shared reference) do not undo the rest."""
        store.begin_intent(ADM, REL, "C-1", reference="A", operation="create", payload_hash="")
        results = begin_intents(
            store,
            [
                _intent("C-1", "B"),  # C-1 already waits on reference A
                _intent("C-2", "A"),  # A is C-1's
                _intent("C-3", "C"),
                _intent("C-4", "C"),  # C was just taken by C-3 in this very batch
                _intent("C-5", "E"),
            ],
        )
        assert isinstance(results[0], SyncError)
        assert "pending write with reference 'A'" in str(results[0])
        assert isinstance(results[1], SyncError)
        assert "already pending for relation 'C-1'" in str(results[1])
        assert isinstance(results[2], Intent)
        assert isinstance(results[3], SyncError)
        assert "already pending for relation 'C-3'" in str(results[3])
        assert isinstance(results[4], Intent)
        pending = {i.crm_key: i.reference for i in store.pending_intents(ADM)}
        assert pending == {"C-1": "A", "C-3": "C", "C-5": "E"}

    def test_a_record_twice_in_one_batch_counts_both_attempts(self, store: StateStore) -> None:
        """The second request of a record sees the first, as separate calls would."""
        results = begin_intents(store, [_intent("C-1", "C-1"), _intent("C-1", "C-1")])
        assert [r.attempts for r in results if isinstance(r, Intent)] == [1, 2]
        intent = store.get_intent(ADM, REL, "C-1")
        assert intent is not None
        assert intent.attempts == 2

    def test_an_empty_batch_writes_nothing(self, store: StateStore) -> None:
        """Empty batches are no-ops."""
        assert begin_intents(store, []) == []
        record_outcomes(store, [])
        assert store.pending_intents() == []
        assert list(store.links(ADM, REL)) == []

    def test_record_outcomes_writes_links_and_clears_intents_and_errors(
        self, store: StateStore
    ) -> None:
        """Each outcome: the link with its canonical snapshot, intent and error gone."""
        begin_intents(store, [_intent("C-1", "C-1"), _intent("C-2", "C-2"), _intent("C-3", "C-3")])
        store.record_failure(ADM, REL, "C-2", kind="Timeout", message="slow", retriable=True)
        snapshot = {"name": "Acme", "tags": ("a", "b")}
        record_outcomes(store, [_outcome("C-1", "R-1", snapshot), _outcome("C-2", "R-2")])
        link = store.get_link(ADM, REL, "C-1")
        assert link is not None
        assert link.remote_id == "R-1"
        assert link.snapshot == {"name": "Acme", "tags": ["a", "b"]}
        assert link.snapshot_hash == payload_hash(snapshot)
        assert link.remote_version == "1"
        other = store.get_link(ADM, REL, "C-2")
        assert other is not None
        assert other.snapshot is None
        assert other.snapshot_hash is None
        assert store.get_error(ADM, REL, "C-2") is None
        assert [i.crm_key for i in store.pending_intents(ADM)] == ["C-3"]

    def test_record_outcomes_is_all_or_nothing(self, store: StateStore) -> None:
        """A remote id linked to another record refuses the whole batch; nothing is written."""
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot=None)
        begin_intents(store, [_intent("C-2", "C-2"), _intent("C-3", "C-3")])
        with pytest.raises(SyncError, match="already linked to CRM record 'C-1'"):
            record_outcomes(store, [_outcome("C-2", "R-2"), _outcome("C-3", "R-1")])
        assert store.get_link(ADM, REL, "C-2") is None
        assert store.get_link(ADM, REL, "C-3") is None
        assert {i.crm_key for i in store.pending_intents(ADM)} == {"C-2", "C-3"}

    def test_record_outcomes_apply_in_order(self, store: StateStore) -> None:
        """A later outcome sees the earlier ones: a freed remote id may be taken, a taken not."""
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot=None)
        record_outcomes(
            store,
            [_outcome("C-1", "R-9"), _outcome("C-2", "R-1"), _outcome("C-2", "R-1", {"v": 2})],
        )
        moved = store.get_link(ADM, REL, "C-1")
        taken = store.get_link(ADM, REL, "C-2")
        assert moved is not None
        assert moved.remote_id == "R-9"
        assert taken is not None
        assert taken.remote_id == "R-1"
        assert taken.snapshot == {"v": 2}
        with pytest.raises(SyncError, match="already linked to CRM record 'C-5'"):
            record_outcomes(store, [_outcome("C-5", "R-5"), _outcome("C-6", "R-5")])
        assert store.get_link(ADM, REL, "C-5") is None

    def test_get_links_reads_the_links_of_many_records(self, store: StateStore) -> None:
        """Those with a link, by CRM key, as ``get_link`` gives them; the others absent."""
        record_outcomes(store, [_outcome("C-1", "R-1", {"name": "Acme"}), _outcome("C-2", "R-2")])
        store.record_outcome("other-adm", REL, "C-3", remote_id="R-3", snapshot=None)
        keys = ["C-1", "C-2", "C-3", "C-4", *(f"X-{i}" for i in range(1000))]
        found = get_links(store, ADM, REL, keys)
        assert set(found) == {"C-1", "C-2"}
        assert found["C-1"] == store.get_link(ADM, REL, "C-1")
        assert found["C-2"] == store.get_link(ADM, REL, "C-2")
        assert get_links(store, ADM, CON, ["C-1"]) == {}
        assert get_links(store, ADM, REL, []) == {}

    def test_latest_review_is_a_records_newest_item_open_or_settled(
        self, store: StateStore
    ) -> None:
        """``latest_review`` (optional, ``ReviewReads``) gives what the history's last item is."""
        if not isinstance(store, ReviewReads):
            pytest.skip("the store does not offer the optional latest_review (ReviewReads)")
        first = store.add_review(ADM, REL, "C-1", reason="ambiguous", candidates=[], payload={})
        store.resolve_review(first.review_id, "dismiss")
        second = store.add_review(
            ADM, REL, "C-1", reason="ambiguous again", candidates=[], payload={"v": 2}
        )
        settled = store.add_review(ADM, REL, "C-2", reason="ambiguous", candidates=[], payload={})
        store.resolve_review(settled.review_id, "create")
        store.add_review("other-adm", REL, "C-3", reason="elsewhere", candidates=[], payload={})
        history = store.reviews(ADM, open_only=False)
        for key in ("C-1", "C-2"):
            last = [r for r in history if r.crm_key == key][-1]
            assert store.latest_review(ADM, REL, key) == last
        latest = store.latest_review(ADM, REL, "C-1")
        assert latest is not None
        assert latest.review_id == second.review_id
        assert latest.is_open
        c2 = store.latest_review(ADM, REL, "C-2")
        assert c2 is not None
        assert c2.resolution is not None
        assert store.latest_review(ADM, REL, "C-3") is None  # another administration's
        assert store.latest_review(ADM, CON, "C-1") is None  # another entity's
        assert store.latest_review(ADM, REL, "C-9") is None
