"""Three-way merges against real accountant edits, under each conflict policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from finlink import Relation
from finlink.sync import (
    InboundChange,
    OutcomeStatus,
    accounting_wins,
    crm_wins,
    field_ownership,
    manual,
    newest_wins,
)
from finlink.sync.conflicts import ConflictPolicy, FieldConflict, Resolution
from tests.sync.engine_helpers import World, crm_relation

CRM_IBAN = "NL02ABNA0123456789"
ACCOUNTANT_IBAN = "NL20INGB0001234567"


def _conflict(policy: ConflictPolicy) -> tuple[World, Relation, str, list[InboundChange]]:
    """Both sides change the IBAN (a true conflict); the accountant also changes the phone."""
    world = World(single=True, conflict_policy=policy)
    relation = crm_relation(
        0, iban="NL91ABNA0417164300", updated_at=datetime(2026, 1, 5, 8, tzinfo=UTC)
    )
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.clock.advance(minutes=30)
    world.exact.edit_relation(remote.remote_id, iban=ACCOUNTANT_IBAN, phone="030 999 9999")
    changed = attrs.evolve(relation, iban=CRM_IBAN, email="nieuw@firma0.nl")
    report = world.engine.sync_relations([changed])
    return world, changed, remote.remote_id, report.inbound


def test_crm_wins_writes_the_crm_value_and_keeps_the_accountants_other_change() -> None:
    world, _, remote_id, inbound = _conflict(crm_wins)
    stored = world.exact.get_relation(remote_id).data
    assert stored.iban == CRM_IBAN
    assert stored.email == "nieuw@firma0.nl"  # CRM-only change: taken
    assert stored.phone == "030 999 9999"  # accountant-only change: never clobbered
    assert [(c.fields, c.reason) for c in inbound] == [({"phone": "030 999 9999"}, "changed")]


def test_accounting_wins_keeps_the_accountants_value_and_tells_the_host() -> None:
    world, _, remote_id, inbound = _conflict(accounting_wins)
    stored = world.exact.get_relation(remote_id).data
    assert stored.iban == ACCOUNTANT_IBAN
    assert stored.email == "nieuw@firma0.nl"
    assert [(dict(c.fields), c.reason) for c in inbound] == [
        ({"phone": "030 999 9999"}, "changed"),
        ({"iban": ACCOUNTANT_IBAN}, "conflict"),
    ]


def test_accounting_win_is_not_undone_by_the_next_sync() -> None:
    world, changed, remote_id, _ = _conflict(accounting_wins)
    world.reset_calls()
    report = world.engine.sync_relations([changed])
    assert world.exact.calls["update_relation"] == 0
    assert world.exact.get_relation(remote_id).data.iban == ACCOUNTANT_IBAN
    assert report.inbound == []  # reported once, not on every run


def test_newest_wins_follows_the_timestamps() -> None:
    # The CRM changed at 08:00; the accountant at 09:30 (after the first sync): accountant wins.
    world, _, remote_id, _ = _conflict(newest_wins)
    assert world.exact.get_relation(remote_id).data.iban == ACCOUNTANT_IBAN


def test_newest_wins_gives_the_crm_its_later_change() -> None:
    world = World(single=True, conflict_policy=newest_wins)
    relation = crm_relation(
        0, iban="NL91ABNA0417164300", updated_at=datetime(2026, 1, 5, 8, tzinfo=UTC)
    )
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, iban=ACCOUNTANT_IBAN)
    later = world.clock.now() + timedelta(hours=1)
    world.engine.sync_relations([attrs.evolve(relation, iban=CRM_IBAN, updated_at=later)])
    assert world.exact.get_relation(remote.remote_id).data.iban == CRM_IBAN


def test_field_ownership_splits_the_fields() -> None:
    policy = field_ownership({"iban": "accounting", "name": "crm"})
    world, _, remote_id, inbound = _conflict(policy)
    assert world.exact.get_relation(remote_id).data.iban == ACCOUNTANT_IBAN
    assert [c.reason for c in inbound] == ["changed", "conflict"]


def test_manual_sends_the_record_to_review_and_writes_nothing() -> None:
    world = World(single=True, conflict_policy=manual)
    relation = crm_relation(0, iban="NL91ABNA0417164300")
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, iban=ACCOUNTANT_IBAN)
    world.reset_calls()
    report = world.engine.sync_relations(
        [attrs.evolve(relation, iban=CRM_IBAN, email="x@firma0.nl")]
    )
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.status is OutcomeStatus.REVIEW
    assert [c.field for c in outcome.operation.conflicts] == ["iban"]
    assert world.exact.calls["update_relation"] == 0
    (review,) = world.store.reviews("exact:1")
    assert "iban" in review.reason


def test_same_change_on_both_sides_is_no_conflict() -> None:
    world = World(single=True, conflict_policy=manual)
    relation = crm_relation(0)
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, email="same@firma0.nl")
    report = world.engine.sync_relations([attrs.evolve(relation, email="same@firma0.nl")])
    assert report.ok
    assert report.inbound == []


def test_every_decision_is_in_the_report() -> None:
    world = World(single=True)
    relation = crm_relation(0, iban="NL91ABNA0417164300")
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, iban=ACCOUNTANT_IBAN)
    report = world.engine.sync_relations([attrs.evolve(relation, iban=CRM_IBAN)])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    (decision,) = outcome.operation.conflicts
    assert (decision.field, decision.crm_value, decision.accounting_value, decision.resolution) == (
        "iban",
        CRM_IBAN,
        ACCOUNTANT_IBAN,
        "crm",
    )
    assert "conflict on iban: crm wins" in outcome.operation.describe()


def _fc(**overrides: object) -> FieldConflict:
    fields: dict[str, object] = {
        "administration": "a",
        "entity": "relation",
        "crm_key": "k",
        "field": "iban",
        "crm_value": 1,
        "accounting_value": 2,
    }
    fields.update(overrides)
    return FieldConflict(**fields)  # type: ignore[arg-type]


def test_policies_as_plain_functions() -> None:
    early = datetime(2026, 1, 1, tzinfo=UTC)
    late = early + timedelta(days=1)
    assert crm_wins(_fc()) is Resolution.CRM
    assert accounting_wins(_fc()) is Resolution.ACCOUNTING
    assert manual(_fc()) is Resolution.MANUAL
    assert newest_wins(_fc()) is Resolution.CRM  # times unknown: the CRM wins
    assert (
        newest_wins(_fc(crm_updated_at=early, accounting_modified_at=late)) is Resolution.ACCOUNTING
    )
    assert newest_wins(_fc(crm_updated_at=late, accounting_modified_at=early)) is Resolution.CRM
    owned = field_ownership({"iban": Resolution.ACCOUNTING}, default=manual)
    assert owned(_fc()) is Resolution.ACCOUNTING
    assert owned(_fc(field="name")) is Resolution.MANUAL
    with pytest.raises(ValueError, match="owner of 'iban' must be one of crm, accounting, manual"):
        field_ownership({"iban": "bookkeeper"})


def _manual_conflict() -> tuple[World, Relation, str]:
    world = World(single=True, conflict_policy=manual)
    relation = crm_relation(0)
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, email="boekhouder@firma0.nl")
    changed = attrs.evolve(relation, email="crm@firma0.nl")
    world.engine.sync_relations([changed])
    return world, changed, remote.remote_id


def test_manual_conflict_holds_over_later_syncs_until_a_person_decides() -> None:
    world, changed, remote_id = _manual_conflict()
    for _ in range(2):  # the change cursor has moved on; the conflict must not be forgotten
        report = world.engine.sync_relations([changed])
        (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
        assert outcome.status is OutcomeStatus.REVIEW
    assert world.exact.calls["update_relation"] == 0
    assert world.exact.get_relation(remote_id).data.email == "boekhouder@firma0.nl"
    assert len(world.store.reviews()) == 1


def test_dismissing_a_conflict_keeps_the_accountants_value_for_good() -> None:
    world, changed, remote_id = _manual_conflict()
    (review,) = world.store.reviews()
    world.engine.resolve_review(review.review_id, dismiss=True)
    report = world.engine.sync_relations([changed])
    assert [c.reason for c in report.inbound] == ["conflict"]
    world.engine.sync_relations([changed])
    assert world.exact.calls["update_relation"] == 0
    assert world.exact.get_relation(remote_id).data.email == "boekhouder@firma0.nl"


def test_deciding_for_the_crm_writes_its_value() -> None:
    world, changed, remote_id = _manual_conflict()
    (review,) = world.store.reviews()
    world.engine.resolve_review(review.review_id, link_to=remote_id)
    world.engine.sync_relations([changed])
    assert world.exact.get_relation(remote_id).data.email == "crm@firma0.nl"
    world.reset_calls()
    world.engine.sync_relations([changed])
    assert world.exact.calls["update_relation"] == 0


def test_a_failed_write_does_not_forget_the_accountants_change() -> None:
    from finlink import ServerError
    from finlink.backends.faults import FailWith

    world = World(single=True, conflict_policy=accounting_wins)
    relation = crm_relation(0)
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, email="boekhouder@firma0.nl")
    changed = attrs.evolve(relation, email="crm@firma0.nl", phone="020 111 2222")
    world.exact.inject("update_relation", FailWith(ServerError("503", status_code=503)))
    assert not world.engine.sync_relations([changed]).ok
    world.engine.sync_relations([changed])  # the cursor has moved past the accountant's edit
    stored = world.exact.get_relation(remote.remote_id).data
    assert stored.email == "boekhouder@firma0.nl"  # the accountant still wins
    assert stored.phone == "020 111 2222"  # the CRM-only change went through
