"""Contract tests for links, intents, failures and cursors; see :mod:`.store_contract`."""

from __future__ import annotations

from decimal import Decimal

from finlink._errors import SyncError
from finlink.clock import SimulatedClock
from finlink.sync.store import StateStore, payload_hash
from finlink.testing._pytest import pytest

ADM = "acme-bv"
OTHER = "acme-foundation"
REL = "relation"
PRJ = "project"

__all__ = ["RecordBehaviours"]


class RecordBehaviours:
    """Links and snapshots, intents, the error log and cursors.

    Needs the ``store`` and ``clock`` fixtures of :class:`.store_contract.StateStoreContract`.
    """

    # -- links ---------------------------------------------------------------------------

    def test_is_a_state_store(self, store: StateStore) -> None:
        """The store satisfies the ``StateStore`` protocol."""
        assert isinstance(store, StateStore)

    def test_recorded_outcome_is_found_by_crm_key_and_by_remote_id(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Recorded outcome is found by CRM key and by remote id."""
        link = store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"name": "Acme"})
        assert store.get_link(ADM, REL, "C-1") == link
        assert store.get_link_by_remote(ADM, REL, "R-1") == link
        assert link.remote_id == "R-1"
        assert link.synced_at == clock.now()

    def test_snapshot_is_stored_in_canonical_form_with_its_hash(self, store: StateStore) -> None:
        """Snapshot is stored in canonical form with its hash."""
        snapshot = {"name": "Acme", "credit_limit": Decimal("1250.50"), "tags": ("a", "b")}
        store.record_outcome(
            ADM, REL, "C-1", remote_id="R-1", snapshot=snapshot, remote_version="7"
        )
        link = store.get_link(ADM, REL, "C-1")
        assert link is not None
        # Money comes back as its exact string: never a float.
        assert link.snapshot == {"credit_limit": "1250.50", "name": "Acme", "tags": ["a", "b"]}
        assert link.snapshot_hash == payload_hash(snapshot)
        assert link.remote_version == "7"

    def test_outcome_without_snapshot_has_no_hash(self, store: StateStore) -> None:
        """Outcome without snapshot has no hash."""
        link = store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot=None)
        assert link.snapshot is None
        assert link.snapshot_hash is None

    def test_links_are_kept_apart_per_administration_and_entity(self, store: StateStore) -> None:
        """Links are kept apart per administration and entity."""
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={})
        store.record_outcome(OTHER, REL, "C-1", remote_id="R-9", snapshot={})
        store.record_outcome(ADM, PRJ, "C-1", remote_id="P-1", snapshot={})
        assert store.get_link(ADM, REL, "C-1").remote_id == "R-1"  # type: ignore[union-attr]
        assert store.get_link(OTHER, REL, "C-1").remote_id == "R-9"  # type: ignore[union-attr]
        assert store.get_link(ADM, PRJ, "C-1").remote_id == "P-1"  # type: ignore[union-attr]
        assert store.get_link_by_remote(OTHER, REL, "R-1") is None

    def test_recording_again_updates_the_link(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Recording again updates the link."""
        store.record_outcome(
            ADM, REL, "C-1", remote_id="R-1", snapshot={"v": 1}, remote_version="1"
        )
        clock.advance(minutes=5)
        link = store.record_outcome(
            ADM, REL, "C-1", remote_id="R-1", snapshot={"v": 2}, remote_version="2"
        )
        assert link.snapshot == {"v": 2}
        assert link.remote_version == "2"
        assert link.synced_at == clock.now()
        assert list(store.links(ADM, REL)) == [link]

    def test_one_remote_record_cannot_be_linked_to_two_crm_records(self, store: StateStore) -> None:
        """One remote record cannot be linked to two CRM records."""
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"v": 1})
        store.begin_intent(ADM, REL, "C-2", reference="REF-2", operation="create", payload_hash="h")
        with pytest.raises(SyncError, match="already linked"):
            store.record_outcome(ADM, REL, "C-2", remote_id="R-1", snapshot={"v": 2})
        assert store.get_link(ADM, REL, "C-2") is None
        assert store.get_link_by_remote(ADM, REL, "R-1").crm_key == "C-1"  # type: ignore[union-attr]
        # Nothing of the refused outcome happened: the intent is still there to resolve.
        assert store.get_intent(ADM, REL, "C-2") is not None

    def test_links_yields_every_link_in_crm_key_order(self, store: StateStore) -> None:
        """Links yields every link in CRM key order."""
        keys = [f"C-{i:05d}" for i in range(1234)]
        with store.transaction():
            for key in reversed(keys):
                store.record_outcome(ADM, REL, key, remote_id=f"R{key}", snapshot={"k": key})
        store.record_outcome(ADM, PRJ, "C-00001", remote_id="P-1", snapshot={})
        seen = [link.crm_key for link in store.links(ADM, REL)]
        assert seen == keys
        assert list(store.links(OTHER, REL)) == []

    def test_link_fingerprints_list_every_link_without_snapshots(self, store: StateStore) -> None:
        """Link fingerprints give key, remote id, version and fingerprint, in key order."""
        keys = [f"C-{i:05d}" for i in range(1234)]
        with store.transaction():
            for key in reversed(keys):
                store.record_outcome(
                    ADM,
                    REL,
                    key,
                    remote_id=f"R{key}",
                    snapshot={"fingerprint": f"F{key}"},
                    remote_version="3",
                )
        store.record_outcome(ADM, REL, "D-none", remote_id="R-n", snapshot={"other": 1})
        store.record_outcome(ADM, REL, "D-null", remote_id="R-x", snapshot=None)
        store.record_outcome(ADM, REL, "D-int", remote_id="R-i", snapshot={"fingerprint": 7})
        found = list(store.link_fingerprints(ADM, REL))
        assert found[: len(keys)] == [(key, f"R{key}", "3", f"F{key}") for key in keys]
        assert found[len(keys) :] == [
            ("D-int", "R-i", None, None),
            ("D-none", "R-n", None, None),
            ("D-null", "R-x", None, None),
        ]
        assert list(store.link_fingerprints(OTHER, REL)) == []

    def test_link_fingerprints_for_answers_the_keys_asked_that_have_a_link(
        self, store: StateStore
    ) -> None:
        """Fingerprints for a chunk of keys: linked keys only, each once, in any order."""
        keys = [f"C-{i:05d}" for i in range(1234)]
        with store.transaction():
            for key in keys:
                store.record_outcome(
                    ADM,
                    REL,
                    key,
                    remote_id=f"R{key}",
                    snapshot={"fingerprint": f"F{key}", "crm": {"name": key}},
                    remote_version="3",
                )
        store.record_outcome(ADM, REL, "D-none", remote_id="R-n", snapshot={"other": 1})
        store.record_outcome(ADM, REL, "D-null", remote_id="R-x", snapshot=None)
        store.record_outcome(ADM, REL, "D-int", remote_id="R-i", snapshot={"fingerprint": 7})
        store.record_outcome(OTHER, REL, "C-00001", remote_id="O-1", snapshot={"fingerprint": "O"})
        store.record_outcome(ADM, PRJ, "C-00002", remote_id="P-2", snapshot={"fingerprint": "P"})
        # More keys than one statement of a small parameter limit takes, some unknown, one twice.
        asked = [*keys[::-1], "C-99999", "D-none", "D-null", "D-int", "C-00003", "nope"]
        found = store.link_fingerprints_for(ADM, REL, asked)
        assert sorted(found) == [
            *[(key, f"R{key}", "3", f"F{key}") for key in keys],
            ("D-int", "R-i", None, None),
            ("D-none", "R-n", None, None),
            ("D-null", "R-x", None, None),
        ]
        assert store.link_fingerprints_for(ADM, REL, []) == []
        assert store.link_fingerprints_for(OTHER, REL, ["C-00001", "C-00002"]) == [
            ("C-00001", "O-1", None, "O")
        ]
        assert store.link_fingerprints_for(ADM, PRJ, iter(["C-00002"])) == [
            ("C-00002", "P-2", None, "P")
        ]

    def test_link_fingerprints_for_follows_the_latest_outcome(self, store: StateStore) -> None:
        """A new outcome changes or drops the key's fingerprint; a deleted link is gone."""
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"fingerprint": "A"})
        store.record_outcome(ADM, REL, "C-2", remote_id="R-2", snapshot={"fingerprint": "B"})
        store.record_outcome(
            ADM, REL, "C-1", remote_id="R-1", snapshot={"fingerprint": "A2"}, remote_version="9"
        )
        store.record_outcome(ADM, REL, "C-2", remote_id="R-2", snapshot={"crm": {}})
        assert sorted(store.link_fingerprints_for(ADM, REL, ["C-1", "C-2"])) == [
            ("C-1", "R-1", "9", "A2"),
            ("C-2", "R-2", None, None),
        ]
        assert list(store.link_fingerprints(ADM, REL)) == [
            ("C-1", "R-1", "9", "A2"),
            ("C-2", "R-2", None, None),
        ]
        store.delete_link(ADM, REL, "C-1")
        assert store.link_fingerprints_for(ADM, REL, ["C-1", "C-2"]) == [("C-2", "R-2", None, None)]

    def test_link_fingerprints_for_sees_the_open_transaction(self, store: StateStore) -> None:
        """Inside a transaction, the fingerprints read include the transaction's own writes."""
        with store.transaction():
            store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"fingerprint": "A"})
            assert store.link_fingerprints_for(ADM, REL, ["C-1"]) == [("C-1", "R-1", None, "A")]

    def test_delete_link_forgets_it(self, store: StateStore) -> None:
        """Delete link forgets it."""
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={})
        assert store.delete_link(ADM, REL, "C-1") is True
        assert store.get_link(ADM, REL, "C-1") is None
        assert store.delete_link(ADM, REL, "C-1") is False
        # The remote record may be linked again, to another CRM record.
        store.record_outcome(ADM, REL, "C-2", remote_id="R-1", snapshot={})

    # -- intents -------------------------------------------------------------------------

    def test_begin_intent_again_returns_the_same_intent_one_attempt_higher(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Begin intent again returns the same intent one attempt higher."""
        first = store.begin_intent(
            ADM, REL, "C-1", reference="DEB-1", operation="create", payload_hash="h1"
        )
        clock.advance(30)
        again = store.begin_intent(
            ADM, REL, "C-1", reference="DEB-1", operation="create", payload_hash="h2"
        )
        assert first.attempts == 1
        assert again.attempts == 2
        assert again.created_at == first.created_at
        assert again.payload_hash == "h2"
        assert store.pending_intents() == [again]

    def test_a_record_cannot_have_two_pending_references(self, store: StateStore) -> None:
        """A record cannot have two pending references."""
        store.begin_intent(ADM, REL, "C-1", reference="DEB-1", operation="create", payload_hash="h")
        with pytest.raises(SyncError, match="DEB-1"):
            store.begin_intent(
                ADM, REL, "C-1", reference="DEB-2", operation="create", payload_hash="h"
            )
        assert store.get_intent(ADM, REL, "C-1").reference == "DEB-1"  # type: ignore[union-attr]

    def test_a_reference_cannot_be_pending_for_two_records(self, store: StateStore) -> None:
        """A reference cannot be pending for two records."""
        store.begin_intent(ADM, REL, "C-1", reference="DEB-1", operation="create", payload_hash="h")
        with pytest.raises(SyncError, match="C-1"):
            store.begin_intent(
                ADM, REL, "C-2", reference="DEB-1", operation="create", payload_hash="h"
            )
        # The same reference in another administration is another vendor record.
        store.begin_intent(
            OTHER, REL, "C-2", reference="DEB-1", operation="create", payload_hash="h"
        )

    def test_pending_intents_lists_oldest_first_per_administration(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Pending intents lists oldest first per administration."""
        store.begin_intent(ADM, REL, "C-2", reference="R2", operation="create", payload_hash="h")
        clock.advance(1)
        store.begin_intent(OTHER, REL, "C-3", reference="R3", operation="create", payload_hash="h")
        clock.advance(1)
        store.begin_intent(ADM, REL, "C-1", reference="R1", operation="create", payload_hash="h")
        assert [i.crm_key for i in store.pending_intents()] == ["C-2", "C-3", "C-1"]
        assert [i.crm_key for i in store.pending_intents(ADM)] == ["C-2", "C-1"]

    def test_clear_intent_drops_it(self, store: StateStore) -> None:
        """Clear intent drops it."""
        store.begin_intent(ADM, REL, "C-1", reference="R1", operation="create", payload_hash="h")
        assert store.clear_intent(ADM, REL, "C-1") is True
        assert store.get_intent(ADM, REL, "C-1") is None
        assert store.clear_intent(ADM, REL, "C-1") is False

    def test_record_outcome_clears_the_intent_and_the_error(self, store: StateStore) -> None:
        """Record outcome clears the intent and the error."""
        store.begin_intent(ADM, REL, "C-1", reference="R1", operation="create", payload_hash="h")
        store.record_failure(
            ADM,
            REL,
            "C-1",
            kind="TransportError",
            message="timed out",
            retriable=True,
            outcome_unknown=True,
        )
        store.record_outcome(ADM, REL, "C-1", remote_id="X-1", snapshot={})
        assert store.get_intent(ADM, REL, "C-1") is None
        assert store.get_error(ADM, REL, "C-1") is None

    # -- failures ------------------------------------------------------------------------

    def test_record_failure_keeps_the_reason_in_plain_words_and_counts(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Record failure keeps the reason in plain words and counts."""
        first = store.record_failure(
            ADM,
            REL,
            "C-1",
            kind="RemoteValidationError",
            message="The VAT number is not valid for this country.",
            field_path="vat_number",
            rule="vat_format",
            vendor_code="REL-0008",
            retriable=False,
        )
        clock.advance(hours=1)
        again = store.record_failure(
            ADM,
            REL,
            "C-1",
            kind="RemoteValidationError",
            message="The VAT number is not valid for this country.",
            field_path="vat_number",
            rule="vat_format",
            vendor_code="REL-0008",
            retriable=False,
        )
        assert first.attempts == 1
        assert again.attempts == 2
        assert again.first_seen == first.first_seen
        assert again.last_seen == clock.now()
        assert (again.field_path, again.rule, again.vendor_code) == (
            "vat_number",
            "vat_format",
            "REL-0008",
        )
        assert again.retriable is False
        assert store.get_error(ADM, REL, "C-1") == again

    def test_a_refused_write_drops_the_intent(self, store: StateStore) -> None:
        """A refused write drops the intent."""
        store.begin_intent(ADM, REL, "C-1", reference="R1", operation="create", payload_hash="h")
        store.record_failure(
            ADM, REL, "C-1", kind="RemoteValidationError", message="no", retriable=False
        )
        assert store.get_intent(ADM, REL, "C-1") is None

    def test_an_unknown_outcome_keeps_the_intent_for_probing(self, store: StateStore) -> None:
        """An unknown outcome keeps the intent for probing."""
        store.begin_intent(ADM, REL, "C-1", reference="R1", operation="create", payload_hash="h")
        store.record_failure(
            ADM,
            REL,
            "C-1",
            kind="OutcomeUnknownError",
            message="connection reset after send",
            retriable=False,
            outcome_unknown=True,
        )
        intent = store.get_intent(ADM, REL, "C-1")
        assert intent is not None
        assert intent.reference == "R1"

    def test_errors_filter_by_administration_and_entity(self, store: StateStore) -> None:
        """Errors filter by administration and entity."""
        for adm, entity, key in [
            (ADM, REL, "C-2"),
            (ADM, REL, "C-1"),
            (ADM, PRJ, "P-1"),
            (OTHER, REL, "C-1"),
        ]:
            store.record_failure(
                adm, entity, key, kind="ServerError", message="503", retriable=True
            )
        assert [(e.entity, e.crm_key) for e in store.errors(ADM)] == [
            (PRJ, "P-1"),
            (REL, "C-1"),
            (REL, "C-2"),
        ]
        assert [e.administration for e in store.errors(entity=REL)] == [ADM, ADM, OTHER]
        assert len(store.errors()) == 4
        assert store.clear_error(ADM, REL, "C-1") is True
        assert store.clear_error(ADM, REL, "C-1") is False
        assert len(store.errors(ADM, REL)) == 1

    # -- cursors ---------------------------------------------------------------------------

    def test_cursors_round_trip_per_administration_and_can_be_forgotten(
        self, store: StateStore
    ) -> None:
        """Cursors round trip per administration and can be forgotten."""
        assert store.get_cursor(ADM, "open_items") is None
        store.set_cursor(ADM, "open_items", "2026-01-05T09:00:00Z")
        store.set_cursor(ADM, "open_items", "2026-01-05T10:00:00Z")
        store.set_cursor(OTHER, "open_items", "x")
        assert store.get_cursor(ADM, "open_items") == "2026-01-05T10:00:00Z"
        assert store.get_cursor(OTHER, "open_items") == "x"
        store.set_cursor(ADM, "open_items", None)
        assert store.get_cursor(ADM, "open_items") is None
        assert store.get_cursor(OTHER, "open_items") == "x"
