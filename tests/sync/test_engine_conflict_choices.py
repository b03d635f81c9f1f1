"""A conflict waiting for a person, decided field by field and carried out by the next sync."""

from __future__ import annotations

import attrs
import pytest

from finlink import Relation, SyncError
from finlink.sync import (
    FieldVersions,
    OutcomeStatus,
    conflict_versions,
    is_conflict,
    manual,
)
from finlink.sync.store import Review, ReviewResolution
from tests.sync.engine_helpers import World, crm_relation

BASE_IBAN = "NL91ABNA0417164300"
CRM_IBAN = "NL02ABNA0123456789"
ACCOUNTANT_IBAN = "NL20INGB0001234567"


def _two_field_conflict() -> tuple[World, Relation, str, Review]:
    """Both sides change the e-mail address and the IBAN, differently."""
    world = World(single=True, conflict_policy=manual)
    relation = crm_relation(0, iban=BASE_IBAN)
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, email="boekhouder@firma0.nl", iban=ACCOUNTANT_IBAN)
    changed = attrs.evolve(relation, email="crm@firma0.nl", iban=CRM_IBAN)
    report = world.engine.sync_relations([changed])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.status is OutcomeStatus.REVIEW
    (review,) = world.store.reviews()
    return world, changed, remote.remote_id, review


def test_the_three_versions_of_each_conflicting_field_are_laid_out() -> None:
    _, _, _, review = _two_field_conflict()
    assert is_conflict(review)
    assert conflict_versions(review) == [
        FieldVersions(
            field="email",
            last_synced="info@firma0.nl",
            crm_base="info@firma0.nl",
            crm="crm@firma0.nl",
            accounting="boekhouder@firma0.nl",
        ),
        FieldVersions(
            field="iban",
            last_synced=BASE_IBAN,
            crm_base=BASE_IBAN,
            crm=CRM_IBAN,
            accounting=ACCOUNTANT_IBAN,
        ),
    ]


def test_a_per_field_decision_writes_the_crm_value_of_one_and_keeps_the_other() -> None:
    world, changed, remote_id, review = _two_field_conflict()
    world.engine.resolve_conflict(review.review_id, {"email": "crm", "iban": "accounting"})
    settled = world.store.get_review(review.review_id)
    assert settled is not None
    assert not settled.is_open
    assert settled.resolution is ReviewResolution.LINK
    assert settled.remote_id == remote_id
    assert settled.choices == {"email": "crm", "iban": "accounting"}
    assert [v.chosen for v in conflict_versions(settled)] == ["crm", "accounting"]

    world.reset_calls()
    report = world.engine.sync_relations([changed])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.status is OutcomeStatus.DONE
    assert world.exact.calls["update_relation"] == 1
    stored = world.exact.get_relation(remote_id).data
    assert stored.email == "crm@firma0.nl"  # the CRM's value, as chosen
    assert stored.iban == ACCOUNTANT_IBAN  # the accountant's value, as chosen
    assert {c.field: c.resolution for c in outcome.operation.conflicts} == {
        "email": "crm",
        "iban": "accounting",
    }
    # The kept value is offered to the host, and nothing waits for a person any more.
    assert [(dict(c.fields), c.reason) for c in report.inbound] == [
        ({"iban": ACCOUNTANT_IBAN}, "conflict")
    ]
    assert world.store.reviews() == []

    # Settled for good: the next sync writes nothing and raises nothing.
    world.reset_calls()
    again = world.engine.sync_relations([changed])
    assert world.exact.calls["update_relation"] == 0
    assert again.ok
    assert world.store.reviews() == []


def test_a_decision_taken_before_the_crm_changed_again_does_not_count() -> None:
    world, changed, remote_id, review = _two_field_conflict()
    world.engine.resolve_conflict(review.review_id, {"email": "crm", "iban": "crm"})
    later = attrs.evolve(changed, email="later@firma0.nl")
    report = world.engine.sync_relations([later])
    (outcome,) = [o for o in report.outcomes if o.operation.entity == "relation"]
    assert outcome.status is OutcomeStatus.REVIEW
    assert world.exact.get_relation(remote_id).data.iban == ACCOUNTANT_IBAN
    (waiting,) = world.store.reviews()
    assert waiting.review_id != review.review_id


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"email": "crm"}, r"choices\['iban'\]: missing"),
        ({"email": "crm", "iban": "crm", "name": "crm"}, r"choices\['name'\]: not a conflicting"),
        ({"email": "crm", "iban": "both"}, r"choices\['iban'\]: must be 'crm' or 'accounting'"),
    ],
)
def test_a_bad_decision_is_refused_naming_the_field_and_the_item_stays_open(
    choices: dict[str, str], message: str
) -> None:
    world, _, _, review = _two_field_conflict()
    with pytest.raises(ValueError, match=message):
        world.engine.resolve_conflict(review.review_id, choices)
    reread = world.store.get_review(review.review_id)
    assert reread is not None
    assert reread.is_open


def test_only_an_open_conflict_item_takes_a_per_field_decision() -> None:
    world, _, _, review = _two_field_conflict()
    with pytest.raises(SyncError, match="no review item"):
        world.engine.resolve_conflict(review.review_id + 100, {"email": "crm"})
    world.engine.resolve_conflict(review.review_id, {"email": "crm", "iban": "crm"})
    with pytest.raises(SyncError, match="already resolved"):
        world.engine.resolve_conflict(review.review_id, {"email": "crm", "iban": "crm"})
    other = world.store.add_review(
        "exact:1", "relation", "crm-9", reason="two debtors match", candidates=[], payload={}
    )
    assert not is_conflict(other)
    with pytest.raises(SyncError, match="not a conflict"):
        world.engine.resolve_conflict(other.review_id, {"email": "crm"})
    with pytest.raises(ValueError, match="not a conflict"):
        conflict_versions(other)
