"""Pushing relations: create, zero calls when unchanged, contacts, splits, matching, reviews."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from finlink import RelationRole, ServerError
from finlink.backends import RelationKeys
from finlink.backends.faults import FailWith, LoseResponse
from finlink.sync import OperationKind, OutcomeStatus
from tests.sync.engine_helpers import World, crm_relation


def test_first_sync_creates_relations_and_contacts_everywhere() -> None:
    world = World()
    report = world.engine.sync_relations([crm_relation(i) for i in range(3)])
    assert report.ok
    assert len(world.exact.stored_relations()) == 3
    assert len(world.snel.stored_relations()) == 3
    assert world.exact.calls["create_contact"] == 6
    assert world.snel.calls["create_contact"] == 3  # one contact each: the primary


def test_unchanged_records_cost_no_api_calls() -> None:
    world = World()
    relations = [crm_relation(i) for i in range(5)]
    world.engine.sync_relations(relations)
    world.reset_calls()
    report = world.engine.sync_relations(relations)
    # One incremental read per administration to learn the accountant's changes; nothing per record.
    assert dict(world.exact.calls) == {"read_relations": 1}
    assert dict(world.snel.calls) == {"read_relations": 1}
    assert {o.status for o in report.outcomes} == {OutcomeStatus.SKIPPED}
    assert report.counts("relation") == {
        "exact:1": {"unchanged": 5},
        "snelstart:2": {"unchanged": 5},
    }


def test_unchanged_keys_are_kept_only_when_asked_for() -> None:
    world = World(single=True)
    relations = [crm_relation(i) for i in range(3)]
    world.engine.sync_relations(relations)
    # The second run reads back finlink's own contact writes (a new remote version) and
    # compares in full; from the third on, the fingerprint alone says "unchanged".
    world.engine.sync_relations(relations)
    report = world.engine.sync_relations(relations)
    assert report.outcomes == []  # counted, not listed: no report object per record
    assert report.unchanged == {("exact:1", "relation"): 3}
    assert report.unchanged_keys == {}
    kept = world.engine.sync_relations(relations, unchanged_keys=True)
    assert kept.unchanged_keys == {("exact:1", "relation"): [r.id for r in relations]}
    plan = world.engine.plan(relations=relations, unchanged_keys=True)
    assert plan.operations == ()
    assert plan.counts("relation") == {"exact:1": {"skip": 3}}
    assert plan.unchanged_keys == {("exact:1", "relation"): tuple(r.id for r in relations)}
    assert "relation: 3 unchanged" in kept.to_text()
    assert kept.to_dict()["counts"] == {"exact:1": {"unchanged": 3}}


def test_a_change_is_written_as_only_the_changed_fields() -> None:
    world = World(single=True)
    relations = [crm_relation(i) for i in range(2)]
    world.engine.sync_relations(relations)
    world.reset_calls()
    changed = attrs.evolve(relations[0], email="nieuw@firma0.nl")
    report = world.engine.sync_relations([changed, relations[1]])
    (update,) = [o for o in report.outcomes if o.operation.kind is OperationKind.UPDATE]
    assert dict(update.operation.changes) == {"email": ("info@firma0.nl", "nieuw@firma0.nl")}
    assert world.exact.calls["update_relation"] == 1
    stored = world.exact.get_relation(update.remote_id or "").data
    assert stored.email == "nieuw@firma0.nl"


def test_contact_changes_are_sent_and_extra_contacts_reported_not_transferred() -> None:
    world = World()
    relation = crm_relation(0)
    report = world.engine.sync_relations([relation])
    notes = [n for o in report.of(administration="snelstart:2") for n in o.operation.notes]
    assert notes == [
        "contact Piet Pietersen 0 not transferred: In-memory administration 'snelstart:2' "
        "holds at most 1 contact(s) per relation (Jan Jansen 0 was sent)"
    ]
    assert report.counts()["snelstart:2"]["not transferred"] == 1
    world.reset_calls()
    changed_contact = attrs.evolve(relation.contacts[0], email="jan@firma0.nl")
    world.engine.sync_relations(
        [attrs.evolve(relation, contacts=(changed_contact, relation.contacts[1]))]
    )
    assert world.exact.calls["update_contact"] == 1
    assert world.snel.calls["update_contact"] == 1
    assert world.exact.calls["update_relation"] == 0


def test_customer_and_supplier_becomes_two_relations_where_the_backend_needs_it() -> None:
    world = World()
    both = crm_relation(0, roles=frozenset(RelationRole))
    world.engine.sync_relations([both])
    assert [r.data.roles for r in world.exact.stored_relations()] == [frozenset(RelationRole)]
    snel = sorted(world.snel.stored_relations(), key=lambda r: r.remote_id)
    assert [r.data.roles for r in snel] == [
        frozenset({RelationRole.CUSTOMER}),
        frozenset({RelationRole.SUPPLIER}),
    ]
    assert [r.crm_key for r in snel] == ["crm-0", "crm-0#supplier"]
    world.reset_calls()
    world.engine.sync_relations([both])
    assert world.writes(world.snel) == 0


def test_existing_relation_with_the_same_kvk_is_linked_not_duplicated() -> None:
    world = World(single=True)
    existing = crm_relation(0, id="accountant-made", email=None, contacts=())
    remote_id = world.exact.add_existing_relation(existing)
    report = world.engine.sync_relations([crm_relation(0)])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.operation.kind is OperationKind.LINK
    assert outcome.remote_id == remote_id
    assert outcome.operation.match is not None
    assert "30000000" in str(outcome.operation.match["evidence"])
    assert world.exact.calls["create_relation"] == 0
    assert len(world.exact.stored_relations()) == 1
    # crm_wins: the CRM's e-mail is written to the linked relation
    assert world.exact.get_relation(remote_id).data.email == "info@firma0.nl"


def test_ambiguous_match_goes_to_review_and_nothing_is_created() -> None:
    world = World(single=True)
    twin = crm_relation(0, coc_number=None, email=None, contacts=())
    first = world.exact.add_existing_relation(attrs.evolve(twin, id="a"))
    second = world.exact.add_existing_relation(attrs.evolve(twin, id="b"))
    report = world.engine.sync_relations([crm_relation(0, coc_number=None)])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.status is OutcomeStatus.REVIEW
    assert world.exact.calls["create_relation"] == 0
    (review,) = world.store.reviews("exact:1")
    assert {c["remote_id"] for c in review.candidates} >= {first, second}
    assert not report.ok


def test_invalid_record_is_reported_and_the_rest_goes_on() -> None:
    world = World(single=True)
    bad = crm_relation(1, email="info@", iban="NL00BANK0000000000")
    report = world.engine.sync_relations([crm_relation(0), bad, crm_relation(2)])
    invalid = [o for o in report.outcomes if o.status is OutcomeStatus.INVALID]
    assert [(o.operation.crm_key, [p.path for p in o.operation.problems]) for o in invalid] == [
        ("crm-1", ["email", "iban"])
    ]
    assert len(world.exact.stored_relations()) == 2
    assert world.store.get_link("exact:1", "relation", "crm-1") is None


def test_one_failing_administration_never_blocks_the_other() -> None:
    world = World()
    world.snel.inject("create_relation", FailWith(ServerError("503", status_code=503)), times=99)
    relations = [crm_relation(i) for i in range(3)]
    report = world.engine.sync_relations(relations)
    assert len(world.exact.stored_relations()) == 3
    assert report.counts("relation")["snelstart:2"] == {"failed": 3}
    errors = world.store.errors("snelstart:2")
    assert [e.crm_key for e in errors] == ["crm-0", "crm-1", "crm-2"]
    assert all(e.retriable for e in errors)
    assert world.store.outbox_depth() == 3  # kept for a retry
    world.snel.faults.clear()
    retried = world.engine.retry_failed()
    assert len(world.snel.stored_relations()) == 3
    assert retried.ok
    assert world.store.errors("snelstart:2") == []
    assert world.store.outbox_depth() == 0


def test_refused_credentials_stop_calls_to_that_administration_only() -> None:
    from finlink import AuthenticationError

    world = World()
    world.snel.inject(
        "read_relations", FailWith(AuthenticationError("token refused", status_code=401))
    )
    report = world.engine.sync_relations([crm_relation(i) for i in range(3)])
    assert world.snel.total_calls == 1
    failed = report.of(administration="snelstart:2")
    assert [o.status for o in failed] == [OutcomeStatus.FAILED] * 3
    assert "token refused" in (failed[0].error or "")
    assert len(world.exact.stored_relations()) == 3


def test_lost_create_response_is_probed_and_linked_without_a_duplicate() -> None:
    world = World(single=True)
    world.exact.inject("create_relation", LoseResponse())
    report = world.engine.sync_relations([crm_relation(0)])
    assert report.ok
    assert len(world.exact.find_relations(RelationKeys(reference="crm-0"))) == 1
    assert world.store.pending_intents() == []


def test_unknown_outcome_survives_to_the_next_run_and_never_duplicates() -> None:
    world = World(single=True)
    world.exact.inject("create_relation", LoseResponse())
    world.exact.inject("find_relations", FailWith(ServerError("probe failed")))
    first = world.engine.sync_relations([crm_relation(0)])
    assert not first.ok
    assert len(world.store.pending_intents()) == 1
    second = world.engine.sync_relations([crm_relation(0)])
    assert second.ok
    assert len(world.exact.stored_relations()) == 1
    assert world.exact.calls["create_relation"] == 1
    assert world.store.pending_intents() == []


def test_dry_run_writes_nothing() -> None:
    world = World()
    world.exact.add_existing_relation(crm_relation(1, email=None, contacts=()))
    plan = world.engine.plan(relations=[crm_relation(i) for i in range(3)])
    assert world.writes(world.exact) == 0
    assert world.writes(world.snel) == 0
    assert list(world.store.links("exact:1", "relation")) == []
    assert world.store.pending_intents() == []
    assert world.store.reviews() == []
    assert plan.counts("relation")["exact:1"] == {"create": 2, "link": 1}
    assert plan.counts("contact")["exact:1"] == {"create": 6}  # two for each relation
    text = plan.to_text()
    assert "  relation: 2 create, 1 link" in text
    assert "matched by kvk" in text
    assert '"kind": "create"' in plan.to_json()


def test_duplicates_inside_the_crm_batch_go_to_review() -> None:
    world = World(single=True)
    original = crm_relation(0)
    copy = attrs.evolve(original, id="crm-0-copy")
    report = world.engine.sync_relations([original, copy])
    statuses = {
        o.operation.crm_key: o.status for o in report.outcomes if o.operation.entity == "relation"
    }
    assert statuses == {"crm-0": OutcomeStatus.DONE, "crm-0-copy": OutcomeStatus.REVIEW}
    assert len(world.exact.stored_relations()) == 1
    (review,) = world.store.reviews()
    assert "already linked to CRM relation crm-0" in review.reason


def test_status_reports_per_administration() -> None:
    world = World()
    world.snel.inject("create_relation", FailWith(ServerError("down")))
    world.engine.sync_relations([crm_relation(0)])
    status = world.engine.status()
    assert status["exact:1"].failed == 0
    assert status["exact:1"].last_successful_run is not None
    assert status["snelstart:2"].failed == 1
    assert status["snelstart:2"].outbox_depth == 1


def test_status_warns_of_refused_credentials_only_where_they_were_refused() -> None:
    from finlink import AuthenticationError

    world = World()
    world.snel.inject("create_relation", FailWith(ServerError("down")))
    world.engine.sync_relations([crm_relation(0)])
    world.exact.inject(
        "create_relation", FailWith(AuthenticationError("the refresh token has expired"))
    )
    world.engine.sync_relations([crm_relation(i) for i in range(1, 4)])
    status = world.engine.status()
    credentials = [w for w in status["exact:1"].warnings if w.startswith("credentials refused")]
    assert credentials == ["credentials refused: the refresh token has expired"]
    # A vendor that is down is no credentials problem.
    assert status["snelstart:2"].failed >= 1
    assert not any(w.startswith("credentials") for w in status["snelstart:2"].warnings)
    # The same fact, structured, for a screen that words it itself.
    assert status["exact:1"].credentials_refused == "the refresh token has expired"
    assert status["snelstart:2"].credentials_refused is None
    assert status["exact:1"].rate_budget_low == ()


def test_engine_configuration_errors() -> None:
    from finlink import ConfigurationError
    from finlink.backends.memory import InMemoryBackend
    from finlink.sync import AdministrationSettings, SQLiteStore, SyncEngine

    store = SQLiteStore(":memory:")
    with pytest.raises(ConfigurationError, match="at least one backend"):
        SyncEngine(store=store, backends=[])
    with pytest.raises(ConfigurationError, match="two backends serve administration 'memory'"):
        SyncEngine(store=store, backends=[InMemoryBackend(), InMemoryBackend()])
    with pytest.raises(ConfigurationError, match="settings for unknown administrations: x"):
        SyncEngine(
            store=store, backends=[InMemoryBackend()], settings={"x": AdministrationSettings()}
        )
    engine = SyncEngine(store=store, backends=[InMemoryBackend()])
    with pytest.raises(ConfigurationError, match="no administration 'y'; configured: memory"):
        engine.backend("y")


def test_outbox_entry_survives_a_failure_in_a_second_administration() -> None:
    world = World()
    world.snel.inject("create_relation", FailWith(ServerError("503", status_code=503)))
    world.engine.notify(crm_relation(1))
    report = world.engine.process_outbox()
    assert len(world.exact.stored_relations()) == 1
    assert report.counts("relation")["snelstart:2"] == {"failed": 1}
    assert world.store.outbox_depth() == 1  # the change for SnelStart is not lost
    world.clock.advance(hours=2)
    world.engine.retry_failed()
    assert len(world.snel.stored_relations()) == 1
    assert len(world.exact.stored_relations()) == 1
    assert world.store.outbox_depth() == 0


def _ambiguous(world: World) -> tuple[str, str]:
    twin = crm_relation(0, coc_number=None, email=None, contacts=())
    first = world.exact.add_existing_relation(attrs.evolve(twin, id="a"))
    second = world.exact.add_existing_relation(attrs.evolve(twin, id="b"))
    world.engine.sync_relations([crm_relation(0, coc_number=None)])
    return first, second


def test_a_record_waiting_for_review_costs_no_calls_until_decided() -> None:
    world = World(single=True)
    _ambiguous(world)
    world.reset_calls()
    report = world.engine.sync_relations([crm_relation(0, coc_number=None)])
    assert dict(world.exact.calls) == {"read_relations": 1}
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.status is OutcomeStatus.REVIEW
    assert "waiting for review" in outcome.operation.notes[0]
    assert len(world.store.reviews()) == 1


def test_review_resolved_by_linking_links_to_the_chosen_record() -> None:
    world = World(single=True)
    _, second = _ambiguous(world)
    (review,) = world.store.reviews()
    world.store.resolve_review(review.review_id, "link", remote_id=second)
    report = world.engine.sync_relations([crm_relation(0, coc_number=None)])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.operation.kind is OperationKind.LINK
    assert outcome.remote_id == second
    assert world.exact.calls["create_relation"] == 0


def test_review_resolved_by_creating_creates_without_matching() -> None:
    world = World(single=True)
    _ambiguous(world)
    (review,) = world.store.reviews()
    world.store.resolve_review(review.review_id, "create")
    world.engine.sync_relations([crm_relation(0, coc_number=None)])
    assert world.exact.calls["create_relation"] == 1
    assert len(world.exact.stored_relations()) == 3


def test_dismissed_review_leaves_the_record_alone_until_it_changes() -> None:
    world = World(single=True)
    _ambiguous(world)
    (review,) = world.store.reviews()
    world.store.resolve_review(review.review_id, "dismiss")
    report = world.engine.sync_relations([crm_relation(0, coc_number=None)])
    assert [o.operation.notes for o in report.outcomes] == [("dismissed in the review queue",)]
    changed = crm_relation(0, coc_number=None, email="ander@firma0.nl")
    report = world.engine.sync_relations([changed])
    assert {o.status for o in report.outcomes if o.operation.entity == "relation"} == {
        OutcomeStatus.REVIEW
    }


def test_contacts_of_a_linked_relation_are_linked_not_duplicated() -> None:
    world = World(single=True)
    existing = crm_relation(0, id="accountant-made")  # holds Jan Jansen 0 and Piet Pietersen 0
    remote_id = world.exact.add_existing_relation(existing)
    jan = attrs.evolve(crm_relation(0).contacts[0], email="jan@firma0.nl")
    world.engine.sync_relations([crm_relation(0, contacts=(jan, crm_relation(0).contacts[1]))])
    assert world.exact.calls["create_contact"] == 0
    assert world.exact.calls["list_contacts"] == 1
    contacts = world.exact.get_relation(remote_id).data.contacts
    assert len(contacts) == 2
    # Jan's e-mail was new in the CRM: written to the contact that was already there
    assert world.exact.calls["update_contact"] == 1
    assert sorted(c.email or "" for c in contacts) == ["", "jan@firma0.nl"]


def test_status_shows_the_rate_budget_and_warns_when_the_day_is_nearly_spent() -> None:
    from finlink.backends.memory import InMemoryBackend
    from finlink.clock import SimulatedClock
    from finlink.http import RateLimiter, Window
    from finlink.sync import SQLiteStore, SyncEngine

    class Limited(InMemoryBackend):
        """A backend with a limiter, as Exact's and SnelStart's have."""

        def __init__(self, limiter: RateLimiter, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.limiter = limiter

    clock = SimulatedClock()
    limiter = RateLimiter([Window.per_minute(60), Window.per_day(100)], clock=clock)
    engine = SyncEngine(
        store=SQLiteStore(":memory:"),
        backends=[Limited(limiter, administration="exact:1"), InMemoryBackend()],
        clock=clock,
    )
    for _ in range(50):
        with limiter.acquire():
            pass
    status = engine.status()
    day = [b for b in status["exact:1"].rate_budget if b.window.seconds == 86400]
    assert [(b.used, b.remaining) for b in day] == [(50, 50)]
    assert status["exact:1"].warnings == ()
    assert status["exact:1"].rate_budget_low == ()
    assert status["memory"].rate_budget == ()  # no limiter, nothing to show

    for _ in range(45):
        clock.advance(2)  # stay inside the minute's 60
        with limiter.acquire():
            pass
    spent = engine.status()["exact:1"]
    (warning,) = spent.warnings
    assert warning.startswith("rate budget nearly spent: 5 of 100 calls left (100/day)")
    assert "resets at" in warning
    # The same, structured: only the day (the minute window refills on its own).
    assert [(b.window.seconds, b.remaining) for b in spent.rate_budget_low] == [(86400, 5)]
