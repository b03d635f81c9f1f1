"""Evidence against a match, Fellegi-Sunter weights, term frequencies and capped blocks."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from finlink import Address, ConfigurationError, Relation, RelationRole
from finlink.backends.records import RemoteRecord
from finlink.sync.comparison import same_address
from finlink.sync.fellegi_sunter import FellegiSunterMatcher, score_pair
from finlink.sync.matching import (
    DEFAULT_WEIGHTS,
    CandidateIndex,
    MatchConfig,
    MatchDecision,
    MatchKeys,
    MatchOutcome,
    MatchPipeline,
    MatchWeights,
    match_keys,
)
from finlink.sync.training import estimate_weights, weights_from_labelled_pairs
from finlink.testing.dense_dataset import dense_matching_dataset

KVK = "12345678"
VAT = "NL852591239B01"
OTHER_VAT = "NL000099998B57"


def relation(rid: str = "crm-1", name: str = "Bakkerij de Vries B.V.", **changes: Any) -> Relation:
    address = changes.pop(
        "address",
        Address(line1="Hoofdstraat 12a", postcode="1234 AB", city="Utrecht", country="NL"),
    )
    return Relation(
        id=rid,
        name=name,
        roles=frozenset({RelationRole.CUSTOMER}),
        visiting_address=address,
        **changes,
    )


def remote(remote_id: str, rel: Relation) -> RemoteRecord[Relation]:
    return RemoteRecord(
        administration="main", remote_id=remote_id, data=attrs.evolve(rel, id=remote_id)
    )


def match(crm: Relation, *records: RemoteRecord[Relation]) -> MatchDecision:
    return MatchPipeline().match(crm, CandidateIndex.from_records(records))


def at(line1: str, postcode: str, city: str) -> Address:
    return Address(line1=line1, postcode=postcode, city=city, country="NL")


# --- evidence against a match: create, and say why ------------------------------------------


def test_two_kvk_numbers_mean_two_businesses() -> None:
    decision = match(relation(coc_number=KVK), remote("r1", relation(coc_number="87654321")))
    assert decision.outcome is MatchOutcome.CREATE
    assert decision.remote_id is None
    assert f"different KvK ({KVK} vs 87654321)" in decision.evidence[0]
    assert decision.alternatives[0].remote_id == "r1"


def test_two_vat_numbers_of_one_country_mean_two_businesses() -> None:
    decision = match(relation(vat_number=VAT), remote("r1", relation(vat_number=OTHER_VAT)))
    assert decision.outcome is MatchOutcome.CREATE
    assert f"different VAT number ({VAT} vs {OTHER_VAT})" in decision.evidence[0]


def test_vat_numbers_of_two_countries_are_no_evidence_against() -> None:
    # One business, registered for VAT in the Netherlands and in Belgium.
    decision = match(relation(vat_number=VAT), remote("r1", relation(vat_number="BE0403170701")))
    assert decision.outcome is MatchOutcome.LINK


def test_another_establishment_of_the_same_company_is_created() -> None:
    crm = relation(coc_number=KVK, extra={"establishment_number": "000012345678"})
    branch = relation(coc_number=KVK, extra={"vestigingsnummer": "000087654321"})
    decision = match(crm, remote("r1", branch))
    assert decision.outcome is MatchOutcome.CREATE
    assert "another establishment (vestigingsnummer 12345678 vs 87654321)" in (decision.evidence[0])


def test_the_same_establishment_links_on_its_kvk() -> None:
    crm = relation(coc_number=KVK, extra={"establishment_number": "12345678"})
    same = relation(coc_number=KVK, extra={"establishment_number": "000012345678"})
    decision = match(crm, remote("r1", same))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "kvk")


def test_a_holding_and_its_subsidiary_at_one_address_are_not_linked() -> None:
    crm = relation(name="Jansen Installatie B.V.", coc_number=KVK, email="a@jansen.nl")
    holding = relation(name="Jansen Holding B.V.", coc_number="87654321", email="b@jansen.nl")
    assert match(crm, remote("r1", holding)).outcome is MatchOutcome.CREATE


def test_evidence_against_beats_a_shared_address_and_phone() -> None:
    crm = relation(coc_number=KVK, phone="030-1234567")
    other = relation(coc_number="87654321", phone="+31 30 123 4567")
    decision = match(crm, remote("r1", other))
    assert decision.outcome is MatchOutcome.CREATE
    assert "but different KvK (12345678 vs 87654321)" in decision.evidence


def test_a_candidate_without_evidence_against_still_wins_beside_a_refuted_one() -> None:
    crm = relation(coc_number=KVK)
    decision = match(
        crm,
        remote("r1", relation(coc_number="87654321")),
        remote("r2", relation(name="Bakkerij de Vriess")),
    )
    assert (decision.outcome, decision.remote_id) == (MatchOutcome.LINK, "r2")


# --- the address weighs against a name-only match -------------------------------------------


def test_another_house_number_on_the_same_postcode_weighs_against() -> None:
    crm = match_keys(relation())
    index = CandidateIndex.from_records(
        [
            remote("same", relation()),
            remote("next", relation(address=at("Hoofdstraat 40", "1234 AB", "Utrecht"))),
            remote("town", relation(address=at("Kerkweg 3", "5678 CD", "Breda"))),
        ]
    )
    by_id = {k.record_id: k for k in index}
    scores = {rid: score_pair(crm, by_id[rid], index, 100.0).bits for rid in by_id}
    assert scores["same"] > scores["next"] > scores["town"]
    weights = {w.field: w for w in score_pair(crm, by_id["next"], index, 100.0).weights}
    assert weights["house_number"].level == "other"
    assert weights["house_number"].bits < 0


def test_the_decision_is_the_sum_of_its_field_weights() -> None:
    crm = match_keys(relation(phone="030 1234567"))
    index = CandidateIndex.from_records([remote("r1", relation(phone="0301234567"))])
    (candidate,) = list(index)
    pair = score_pair(crm, candidate, index, 100.0)
    assert pair.bits == pytest.approx(sum(w.bits for w in pair.weights))
    assert [w.field for w in pair.weights][:2] == ["prior", "name"]
    assert "phone" in {w.field for w in pair.weights}
    decision = MatchPipeline().match(
        relation(name="Bakkerij de Vriess", phone="030 1234567"), index
    )
    assert decision.rule == "fuzzy_name"
    assert decision.evidence[-1].startswith("match weight +")
    assert "+ phone exact" in decision.evidence[-1]


# --- term frequency: a common name agreeing says less ---------------------------------------


def test_a_common_name_scores_lower_than_a_rare_one() -> None:
    towns = [("Kerkweg 3", f"{5600 + i} CD", f"Plaats{i}") for i in range(8)]
    namesakes = [
        remote(f"jansen-{i}", relation(name="Bakkerij Jansen", address=at(*town)))
        for i, town in enumerate(towns)
    ]
    index = CandidateIndex.from_records(
        [
            *namesakes,
            remote("common", relation(name="Bakkerij Jansen")),
            remote("rare", relation(name="Bakkerij Zwolsman")),
        ]
    )
    by_id = {k.record_id: k for k in index}
    common = score_pair(match_keys(relation(name="Bakkerij Jansen")), by_id["common"], index, 100)
    rare = score_pair(match_keys(relation(name="Bakkerij Zwolsman")), by_id["rare"], index, 100)
    assert common.bits < rare.bits
    (name_weight,) = [w for w in common.weights if w.field == "name"]
    assert "common name" in name_weight.note


# --- blocking: oversized blocks stay within their cap ---------------------------------------


def test_an_oversized_block_falls_back_to_the_postcode_area_within_its_cap() -> None:
    bakeries = [
        remote(
            f"b{i}",
            relation(
                name=f"Bakkerij {name}",
                address=at(f"Dorpsstraat {i + 1}", f"{1234 if i < 4 else 4000 + i} XY", "Ergens"),
            ),
        )
        for i, name in enumerate(
            ["Smit", "Bos", "Vos", "Kok", "Mol", "Dam", "Wit", "Roos", "Blom", "Stam", "Boom"]
        )
    ]
    index = CandidateIndex.from_records(bakeries, max_block=5)
    subject = index.keys_for(relation(name="Bakkerij Zwart"))
    found = index.capped("word", "bakkerij", subject)
    assert 0 < len(found) <= 5
    assert {k.area for k in found} == {"1234"}
    assert len(index.name_block(subject)) <= 5 * 3


def test_a_block_over_the_cap_even_within_the_area_is_skipped() -> None:
    same_area = [
        remote(
            f"b{i}", relation(name=f"Bakkerij Nummer{i}", address=at(f"Weg {i}", "1234 XY", "X"))
        )
        for i in range(8)
    ]
    index = CandidateIndex.from_records(same_area, max_block=5)
    subject = index.keys_for(relation(name="Bakkerij Zwart"))
    assert index.capped("word", "bakkerij", subject) == ()
    assert len(index.name_block(subject)) <= 5


def test_a_block_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_block"):
        CandidateIndex([], max_block=0)


# --- weights: validation, tuning and training -----------------------------------------------


def test_weights_refuse_unknown_levels_and_impossible_probabilities() -> None:
    with pytest.raises(ConfigurationError, match="unknown level"):
        DEFAULT_WEIGHTS.replace({"postcode": {"nearby": (0.5, 0.5)}})
    with pytest.raises(ConfigurationError, match="strictly between"):
        DEFAULT_WEIGHTS.replace({"postcode": {"other": (0.0, 0.99)}})
    with pytest.raises(ConfigurationError, match="lack m and u"):
        MatchWeights(probabilities={"name": {"exact": (0.8, 1e-6)}})


def test_a_host_can_make_a_moved_address_cost_more() -> None:
    strict = DEFAULT_WEIGHTS.replace({"postcode": {"other": (0.001, 0.99)}})
    crm = relation(name="Bakkerij de Vries")
    index = CandidateIndex.from_records(
        [remote("r1", relation(address=at("Kerkweg 3", "3511 XY", "Utrecht")))]
    )
    loose = FellegiSunterMatcher()(index.keys_for(crm), index, MatchConfig())
    tight = FellegiSunterMatcher(weights=strict)(index.keys_for(crm), index, MatchConfig())
    assert loose is not None
    assert tight is not None
    assert loose.outcome is MatchOutcome.REVIEW
    assert tight.outcome is MatchOutcome.CREATE


def test_weights_from_labelled_pairs_learn_from_the_labels() -> None:
    data = dense_matching_dataset(300, 300, seed=5)
    index = CandidateIndex.from_records(data.remote)
    by_id = {k.record_id: k for k in index}
    crm = {r.id: index.keys_for(r) for r in data.crm}
    truth = dict(data.pairs)
    labelled = [(crm[c], by_id[r], True) for c, r in truth.items()]
    others = list(by_id.values())
    labelled += [(crm[c], others[i % len(others)], False) for i, c in enumerate(crm)]
    learned = weights_from_labelled_pairs(labelled)
    assert learned.m("postcode", "exact") > 0.8
    assert learned.u("postcode", "exact") < 0.05
    assert learned.u("name", "exact") == DEFAULT_WEIGHTS.u("name", "exact")
    with pytest.raises(ValueError, match="matches and non-matches"):
        weights_from_labelled_pairs(labelled[:3])


def test_em_estimates_weights_that_still_match_well() -> None:
    data = dense_matching_dataset(400, 400, seed=9)
    index = CandidateIndex.from_records(data.remote)
    learned = estimate_weights(data.crm, index, random_pairs=5_000)
    assert learned.m("postcode", "exact") > learned.u("postcode", "exact")
    assert learned.weight("house_number", "other") < 0
    pipeline = (
        MatchPipeline().without("fuzzy_name").with_matcher(FellegiSunterMatcher(weights=learned))
    )
    truth = dict(data.pairs)
    links = [
        (crm.id, d.remote_id)
        for crm, d in pipeline.match_all(data.crm, index)
        if d.outcome is MatchOutcome.LINK
    ]
    correct = sum(1 for c, r in links if truth.get(c) == r)
    assert correct / len(links) >= 0.99
    assert correct / len(truth) >= 0.95


def test_the_dense_data_set_labels_its_lookalikes() -> None:
    data = dense_matching_dataset(500, 500, seed=2)
    assert len(data.pairs) == 300
    assert {"chain branch", "group member"} <= set(data.lookalikes.values())
    remote_ids = {r.remote_id for r in data.remote}
    assert set(data.lookalikes) <= remote_ids
    assert not set(data.lookalikes) & {r for _, r in data.pairs}


def test_a_company_number_shared_by_branches_elsewhere_defers_to_the_name_rules() -> None:
    # Two branches of one company elsewhere share the KvK; this branch is not in the books.
    crm = relation(name="Bakkerij Bart", coc_number=KVK)
    branches = [
        remote(
            "r1",
            relation(name="Bakkerij Bart", coc_number=KVK, address=at("Weg 1", "5678 CD", "Breda")),
        ),
        remote(
            "r2",
            relation(
                name="Bakkerij Bart", coc_number=KVK, address=at("Laan 2", "9711 AB", "Groningen")
            ),
        ),
    ]
    decision = match(crm, *branches)
    assert decision.outcome is MatchOutcome.CREATE
    assert decision.rule == "fuzzy_name"
    # The branch at this address is found by the name rules although its KvK is unknown.
    here = remote("r3", relation(name="Bakkerij Bart"))
    assert (match(crm, *branches, here).remote_id, match(crm, *branches, here).outcome) == (
        "r3",
        MatchOutcome.LINK,
    )


def test_another_street_in_the_same_town_without_postcodes_is_another_address() -> None:
    def keys(line1: str) -> MatchKeys:
        return match_keys(relation(address=Address(line1=line1, city="Utrecht", country="NL")))

    assert same_address(keys("Hoofdstraat 1"), keys("Kerkweg 9")) == (False, False)
    assert same_address(keys("Hoofdstraat 1"), keys("Hoofdstr. 1")) == (True, False)
    # So a shared domain alone does not link it (the weighed tier still may: one name, one
    # company domain, one town, and the field weights say why).
    crm = relation(email="info@bakkerijdevries.nl", address=keys("Hoofdstraat 1").relation.address)
    other = relation(email="info@bakkerijdevries.nl", address=keys("Kerkweg 9").relation.address)
    decision = match(crm, remote("r1", other))
    assert decision.rule != "email_domain"
    assert "street other" in decision.evidence[-1]


def test_on_dense_data_links_are_precise_and_few_relations_need_a_person() -> None:
    data = dense_matching_dataset(2_000, 2_000, seed=13)
    index = CandidateIndex.from_records(data.remote)
    truth = dict(data.pairs)
    decisions = list(MatchPipeline().match_all(data.crm, index))
    links = [(c.id, d.remote_id) for c, d in decisions if d.outcome is MatchOutcome.LINK]
    correct = sum(1 for c, r in links if truth.get(c) == r)
    reviews = sum(1 for _, d in decisions if d.outcome is MatchOutcome.REVIEW)
    assert correct / len(links) >= 0.997
    assert correct / len(truth) >= 0.98
    assert reviews / len(decisions) <= 0.02
    # Not one look-alike (another branch, a group member, a namesake) is linked.
    linked = {r for _, r in links}
    assert not linked & set(data.lookalikes)


@attrs.frozen
class EveryoneIsR1:
    """A host's matcher appended after the built-ins."""

    name: str = "host_rule"

    def __call__(
        self, subject: MatchKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        return MatchDecision(outcome=MatchOutcome.REVIEW, rule=self.name, score=80, remote_id="r1")


def test_a_create_with_reasons_still_lets_a_host_matcher_appended_last_run() -> None:
    index = CandidateIndex.from_records([remote("r1", relation(coc_number="87654321"))])
    crm = relation(coc_number=KVK)
    assert MatchPipeline().match(crm, index).rule == "fuzzy_name"
    decision = MatchPipeline().with_matcher(EveryoneIsR1()).match(crm, index)
    assert (decision.rule, decision.outcome) == ("host_rule", MatchOutcome.REVIEW)
