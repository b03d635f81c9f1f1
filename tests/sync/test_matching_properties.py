"""Properties of matching that must hold for any relation, checked with hypothesis."""

from __future__ import annotations

import random

import attrs
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from finlink import Relation
from finlink.backends.records import RemoteRecord
from finlink.sync.matching import (
    BlockingField,
    CandidateIndex,
    MatchOutcome,
    MatchPipeline,
    relation_keys,
)
from finlink.testing.datasets import make_relation, matching_dataset

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
PROPERTY_SETTINGS = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def generated(seed: int, rid: str = "crm-1") -> Relation:
    return make_relation(random.Random(seed), rid)


def as_remote(rel: Relation, remote_id: str) -> RemoteRecord[Relation]:
    return RemoteRecord(
        administration="main", remote_id=remote_id, data=attrs.evolve(rel, id=remote_id)
    )


def has_strong_evidence(rel: Relation) -> bool:
    keys = relation_keys(rel)
    return bool(keys.kvk or keys.vat or keys.iban or keys.domains or keys.name_address)


@PROPERTY_SETTINGS
@given(SEEDS)
def test_a_relation_links_to_an_exact_copy_of_itself(seed: int) -> None:
    crm = generated(seed)
    decision = MatchPipeline().match(crm, CandidateIndex.from_records([as_remote(crm, "r1")]))
    if has_strong_evidence(crm):
        assert decision.outcome is MatchOutcome.LINK
    else:  # a bare name with no address: a person decides, but it is never created again
        assert decision.outcome is MatchOutcome.REVIEW
    assert decision.remote_id == "r1"


def shares_no_block(subject: Relation, other: Relation) -> bool:
    index = CandidateIndex.from_relations([other])
    keys = relation_keys(subject, crm_key=subject.id)
    fields: tuple[BlockingField, ...] = (
        "crm_key",
        "kvk",
        "vat",
        "iban",
        "domain",
        "name_address",
        "postcode",
    )
    return not any(index.find(f, keys) for f in fields) and not index.name_block(keys)


@PROPERTY_SETTINGS
@given(SEEDS, SEEDS)
def test_adding_an_unrelated_candidate_never_changes_a_link(seed: int, other_seed: int) -> None:
    crm = generated(seed)
    unrelated = generated(other_seed, rid="other")
    assume(shares_no_block(crm, unrelated))
    copy = as_remote(crm, "r1")
    before = MatchPipeline().match(crm, CandidateIndex.from_records([copy]))
    after = MatchPipeline().match(
        crm, CandidateIndex.from_records([as_remote(unrelated, "r2"), copy])
    )
    assert (after.outcome, after.remote_id, after.score) == (
        before.outcome,
        before.remote_id,
        before.score,
    )


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=1000), st.randoms(use_true_random=False))
def test_decisions_do_not_depend_on_the_order_of_remote_records(
    seed: int, shuffler: random.Random
) -> None:
    data = matching_dataset(40, 40, overlap=0.5, seed=seed)
    records = list(data.remote)
    first = CandidateIndex.from_records(records)
    shuffler.shuffle(records)
    second = CandidateIndex.from_records(records)
    pipeline = MatchPipeline()
    for crm in data.crm:
        assert pipeline.match(crm, first) == pipeline.match(crm, second)


def test_links_on_a_labelled_data_set_are_precise_and_find_nearly_all_pairs() -> None:
    data = matching_dataset(1500, 1500, overlap=0.6, seed=11)
    index = CandidateIndex.from_records(data.remote)
    truth = dict(data.pairs)
    links = [
        (crm.id, d.remote_id)
        for crm, d in MatchPipeline().match_all(data.crm, index)
        if d.outcome is MatchOutcome.LINK
    ]
    correct = sum(1 for crm_id, remote_id in links if truth.get(crm_id) == remote_id)
    assert correct / len(links) >= 0.99
    assert correct / len(truth) >= 0.97
