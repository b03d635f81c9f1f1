"""Relation matching: tiers, evidence, conflicts, ambiguity, pipeline composition."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from finlink import Address, ConfigurationError, Relation, RelationRole
from finlink.backends.records import RemoteRecord
from finlink.sync.candidates import relation_keys
from finlink.sync.matching import (
    CandidateIndex,
    MatchConfig,
    MatchDecision,
    MatchOutcome,
    MatchPipeline,
    RelationKeys,
    ScoredCandidate,
    decide,
    find_duplicates,
)

KVK = "12345678"
VAT = "NL852591239B01"  # a valid Dutch VAT number (11-test)
OTHER_VAT = "NL000099998B57"
IBAN = "NL91ABNA0417164300"


def relation(rid: str = "crm-1", name: str = "Bakkerij de Vries B.V.", **changes: Any) -> Relation:
    """A Dutch relation at Hoofdstraat 12a, 1234 AB Utrecht, with no identifiers by default."""
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


def remote(remote_id: str, rel: Relation, crm_key: str | None = None) -> RemoteRecord[Relation]:
    return RemoteRecord(
        administration="main",
        remote_id=remote_id,
        data=attrs.evolve(rel, id=remote_id),
        crm_key=crm_key,
    )


def match(crm: Relation, *records: RemoteRecord[Relation]) -> MatchDecision:
    return MatchPipeline().match(crm, CandidateIndex.from_records(records))


def elsewhere(line1: str = "Kerkweg 3", postcode: str = "5678 CD", city: str = "Breda") -> Address:
    return Address(line1=line1, postcode=postcode, city=city, country="NL")


# --- the tiers ------------------------------------------------------------------------------


def test_crm_key_in_the_remote_record_links() -> None:
    crm = relation(name="Bakkerij de Vries")
    decision = match(
        crm, remote("r1", relation(name="Something else", address=elsewhere()), "crm-1")
    )
    assert decision.outcome is MatchOutcome.LINK
    assert decision.rule == "crm_key"
    assert decision.remote_id == "r1"
    assert "the remote record carries CRM key 'crm-1'" in decision.evidence


def test_same_kvk_links_with_evidence() -> None:
    crm = relation(coc_number=KVK)
    decision = match(crm, remote("r1", relation(name="Bakkerij De Vries", coc_number=KVK)))
    assert decision.outcome is MatchOutcome.LINK
    assert decision.rule == "kvk"
    assert decision.score >= 90
    assert decision.evidence[0] == f"same KvK {KVK}"


def test_kvk_written_with_spaces_still_matches() -> None:
    crm = relation(coc_number="1234 5678")
    assert match(crm, remote("r1", relation(coc_number=KVK))).rule == "kvk"


def test_same_vat_number_links() -> None:
    crm = relation(vat_number="nl 8525.91.239 b01")
    decision = match(crm, remote("r1", relation(vat_number=VAT)))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "vat")


def test_same_iban_with_a_similar_name_links_but_masks_the_number() -> None:
    crm = relation(iban="NL91 ABNA 0417 1643 00")
    decision = match(crm, remote("r1", relation(iban=IBAN)))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "iban")
    assert "same IBAN ending 4300" in decision.evidence
    assert IBAN not in decision.explanation


def test_same_iban_with_a_different_name_goes_to_review_not_create() -> None:
    crm = relation(iban=IBAN)
    decision = match(crm, remote("r1", relation(name="Stichting Derdengelden", iban=IBAN)))
    assert decision.outcome is MatchOutcome.REVIEW
    assert decision.remote_id == "r1"


def test_shared_company_domain_with_the_same_name_links() -> None:
    crm = relation(email="info@bakkerijdevries.nl", address=None)
    other = relation(email="Facturen@BakkerijDeVries.NL", address=None)
    decision = match(crm, remote("r1", other))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "email_domain")
    assert "same e-mail/web domain bakkerijdevries.nl" in decision.evidence


def test_shared_free_mail_domain_is_no_evidence() -> None:
    crm = relation(name="Jansen Bouw", email="jansen@gmail.com", address=None)
    other = relation(name="Pietersen Hout", email="pietersen@gmail.com", address=None)
    assert match(crm, remote("r1", other)).outcome is MatchOutcome.CREATE


def test_shared_domain_alone_does_not_link_a_different_name() -> None:
    crm = relation(name="Jansen Holding", email="a@jansen.nl", address=elsewhere())
    other = relation(name="Jansen Installatietechniek", email="b@jansen.nl")
    assert match(crm, remote("r1", other)).outcome is not MatchOutcome.LINK


def test_same_normalised_name_postcode_and_house_number_links() -> None:
    crm = relation(name="Bakkerij de Vries")
    other = relation(
        name="BAKKERIJ DE VRIES B.V.",
        address=Address(line1="Hoofdstr. 12 A", postcode="1234ab", city="UTRECHT", country="NL"),
    )
    decision = match(crm, remote("r1", other))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "name_address")
    assert "same postcode 1234 AB and house number 12A" in decision.evidence


def test_fuzzy_name_at_the_same_address_links() -> None:
    crm = relation(name="Bakkerij de Vries")
    decision = match(crm, remote("r1", relation(name="Bakkerij de Vriess")))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "fuzzy_name")
    assert any(
        e.startswith("name 'Bakkerij de Vries' ≈ 'Bakkerij de Vriess'") for e in decision.evidence
    )


def test_same_name_in_another_town_is_another_business_and_is_created() -> None:
    # Issue #10: a name-only look-alike in another town is weighed down by the postcode, the
    # house number and the city, and the decision says so.
    crm = relation(name="Bakkerij de Vries")
    decision = match(crm, remote("r1", relation(name="Bakkerij de Vries", address=elsewhere())))
    assert decision.outcome is MatchOutcome.CREATE
    assert "different postcode (1234 AB vs 5678 CD)" in decision.evidence
    assert "postcode other" in decision.evidence[-1]


def test_nothing_close_means_create() -> None:
    crm = relation(name="Bakkerij de Vries", coc_number=KVK)
    other = relation(name="Autobedrijf Pietersen", coc_number="87654321", address=elsewhere())
    decision = match(crm, remote("r1", other))
    assert decision.outcome is MatchOutcome.CREATE
    assert decision.rule == "none"
    assert decision.remote_id is None


def test_a_holding_is_not_its_operating_company() -> None:
    crm = relation(name="Jansen Holding B.V.")
    assert match(crm, remote("r1", relation(name="Jansen B.V."))).outcome is MatchOutcome.CREATE


# --- conflicts and ambiguity ----------------------------------------------------------------


def test_same_kvk_but_different_vat_goes_to_review() -> None:
    crm = relation(coc_number=KVK, vat_number=VAT)
    decision = match(crm, remote("r1", relation(coc_number=KVK, vat_number=OTHER_VAT)))
    assert decision.outcome is MatchOutcome.REVIEW
    assert f"but different VAT number ({VAT} vs {OTHER_VAT})" in decision.evidence


def test_same_name_and_address_but_different_kvk_is_another_business_and_is_created() -> None:
    # Issue #10: two KvK numbers are two businesses (a holding and its subsidiary at one
    # address); the decision is CREATE and names the evidence.
    crm = relation(coc_number=KVK)
    decision = match(crm, remote("r1", relation(coc_number="87654321")))
    assert decision.outcome is MatchOutcome.CREATE
    assert decision.rule == "fuzzy_name"
    assert f"different KvK ({KVK} vs 87654321)" in decision.evidence[0]
    assert f"but different KvK ({KVK} vs 87654321)" in decision.evidence


def test_crm_key_with_a_conflicting_kvk_goes_to_review() -> None:
    crm = relation(coc_number=KVK)
    decision = match(crm, remote("r1", relation(coc_number="87654321"), crm_key="crm-1"))
    assert (decision.outcome, decision.rule) == (MatchOutcome.REVIEW, "crm_key")


def test_two_equally_strong_candidates_go_to_review_and_are_both_listed() -> None:
    crm = relation(coc_number=KVK)
    decision = match(
        crm,
        remote("r1", relation(coc_number=KVK)),
        remote("r2", relation(coc_number=KVK)),
    )
    assert decision.outcome is MatchOutcome.REVIEW
    assert "2 candidates are about equally strong" in decision.evidence[0]
    assert {decision.remote_id, *(a.remote_id for a in decision.alternatives)} == {"r1", "r2"}


def test_the_branch_at_the_same_address_wins_among_shared_kvk_candidates() -> None:
    crm = relation(coc_number=KVK)
    decision = match(
        crm,
        remote("r1", relation(coc_number=KVK)),
        remote("r2", relation(coc_number=KVK, address=elsewhere())),
    )
    assert (decision.outcome, decision.remote_id) == (MatchOutcome.LINK, "r1")
    assert [a.remote_id for a in decision.alternatives] == ["r2"]


def test_an_inactive_remote_record_is_named_in_the_evidence() -> None:
    crm = relation(coc_number=KVK)
    record = attrs.evolve(remote("r1", relation(coc_number=KVK)), active=False)
    decision = match(crm, record)
    assert "the remote record is inactive" in decision.evidence


# --- configuration and composition ----------------------------------------------------------


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        MatchConfig(link_threshold=60, review_threshold=80)


def test_a_higher_link_threshold_turns_a_fuzzy_link_into_review() -> None:
    crm = relation(name="Bakkerij de Vries")
    index = CandidateIndex.from_records([remote("r1", relation(name="Bakkerij de Vriess"))])
    strict = MatchPipeline(config=MatchConfig(link_threshold=100, review_threshold=70))
    assert strict.match(crm, index).outcome is MatchOutcome.REVIEW


def test_default_order_is_strongest_evidence_first() -> None:
    assert MatchPipeline().names == (
        "crm_key",
        "kvk",
        "vat",
        "iban",
        "email_domain",
        "name_address",
        "fuzzy_name",
    )


def test_dropping_a_matcher_stops_its_rule() -> None:
    crm = relation(name="Other name", coc_number=KVK, address=elsewhere())
    index = CandidateIndex.from_records([remote("r1", relation(coc_number=KVK))])
    assert MatchPipeline().match(crm, index).rule == "kvk"
    assert MatchPipeline().without("kvk").match(crm, index).outcome is MatchOutcome.CREATE


def test_without_an_unknown_matcher_raises() -> None:
    with pytest.raises(KeyError):
        MatchPipeline().without("telepathy")


@attrs.frozen
class ProjectNumberMatcher:
    """A host's own rule: the debtor number the CRM wrote into the administration."""

    name: str = "debtor_number"

    def __call__(
        self, subject: RelationKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        scored = [
            ScoredCandidate(keys=k, score=99, evidence=(f"same debtor number {k.relation.number}",))
            for k in index
            if k is not subject
            and subject.relation.number
            and k.relation.number == subject.relation.number
        ]
        return decide(self.name, scored, config)


def test_a_custom_matcher_can_be_added_before_a_built_in_one() -> None:
    pipeline = MatchPipeline().with_matcher(ProjectNumberMatcher(), before="kvk")
    assert pipeline.names[:3] == ("crm_key", "debtor_number", "kvk")
    crm = relation(name="Renamed", number="10042", address=elsewhere())
    index = CandidateIndex.from_records([remote("r1", relation(number="10042"))])
    decision = pipeline.match(crm, index)
    assert (decision.outcome, decision.rule, decision.remote_id) == (
        MatchOutcome.LINK,
        "debtor_number",
        "r1",
    )


def test_with_matcher_appends_by_default_and_refuses_unknown_anchors() -> None:
    assert MatchPipeline().with_matcher(ProjectNumberMatcher()).names[-1] == "debtor_number"
    assert MatchPipeline().with_matcher(ProjectNumberMatcher(), after="kvk").names[2] == (
        "debtor_number"
    )
    with pytest.raises(KeyError):
        MatchPipeline().with_matcher(ProjectNumberMatcher(), before="nope")
    with pytest.raises(ValueError, match="not both"):
        MatchPipeline().with_matcher(ProjectNumberMatcher(), before="kvk", after="vat")


def test_reordered_puts_matchers_in_the_given_order() -> None:
    names = ("fuzzy_name", "crm_key", "kvk", "vat", "iban", "email_domain", "name_address")
    assert MatchPipeline().reordered(*names).names == names
    with pytest.raises(ValueError, match="exactly once"):
        MatchPipeline().reordered("kvk")


def test_decide_without_candidates_passes() -> None:
    assert decide("x", [], MatchConfig()) is None


def test_match_all_keeps_the_order_of_the_crm_relations() -> None:
    index = CandidateIndex.from_records([remote("r1", relation(coc_number=KVK))])
    crm = [relation("a", coc_number=KVK), relation("b", name="Other", address=elsewhere())]
    results = list(MatchPipeline().match_all(crm, index))
    assert [(r.id, d.outcome) for r, d in results] == [
        ("a", MatchOutcome.LINK),
        ("b", MatchOutcome.CREATE),
    ]


def test_decision_explanation_joins_the_evidence() -> None:
    decision = match(relation(coc_number=KVK), remote("r1", relation(coc_number=KVK)))
    assert decision.explanation.startswith(f"same KvK {KVK}; ")


def test_index_never_returns_the_subject_itself() -> None:
    index = CandidateIndex.from_relations([relation(coc_number=KVK)])
    (only,) = list(index)
    assert index.find("kvk", only) == []
    assert index.name_block(only) == []
    assert len(index) == 1


# --- duplicates within one set --------------------------------------------------------------


def test_find_duplicates_groups_likely_duplicates_with_evidence() -> None:
    groups = find_duplicates(
        [
            relation("a", coc_number=KVK),
            relation("b", name="Bakkerij De Vries", coc_number=KVK),
            relation("c", name="Autobedrijf Pietersen", address=elsewhere()),
            relation("d", name="Slagerij Smit", vat_number=VAT, address=elsewhere("Dorpsstraat 1")),
            relation("e", name="Slagerij Smit B.V.", vat_number=VAT, address=None),
        ]
    )
    assert [g.record_ids for g in groups] == [("a", "b"), ("d", "e")]
    assert all(g.outcome is MatchOutcome.LINK for g in groups)
    assert groups[0].evidence[0].startswith("a ~ b (kvk,")


def test_find_duplicates_reports_possible_duplicates_as_review() -> None:
    # The same name at another postcode in the same town: perhaps it moved.
    groups = find_duplicates(
        [
            relation("a", name="Bakkerij de Vries"),
            relation("b", address=elsewhere(postcode="3511 XZ", city="Utrecht")),
        ]
    )
    assert len(groups) == 1
    assert groups[0].outcome is MatchOutcome.REVIEW
    # In another town it is another bakery (issue #10): no group at all.
    assert (
        find_duplicates(
            [relation("a", name="Bakkerij de Vries"), relation("b", address=elsewhere())]
        )
        == ()
    )


def test_find_duplicates_in_an_administration_finds_records_sharing_a_crm_key() -> None:
    index = CandidateIndex.from_records(
        [
            remote("r1", relation(name="A"), crm_key="crm-9"),
            remote("r2", relation(name="B", address=elsewhere()), crm_key="crm-9"),
        ]
    )
    (group,) = find_duplicates(index)
    assert group.record_ids == ("r1", "r2")


def test_find_duplicates_of_distinct_relations_is_empty() -> None:
    assert find_duplicates([relation("a"), relation("b", name="Other", address=elsewhere())]) == ()


def test_a_beheer_company_at_the_same_address_and_domain_is_not_linked() -> None:
    crm = relation(name="Zeemeeuw Elektrotechniek BV", email="info@zeemeeuw.nl")
    other = relation(name="Zeemeeuw Elektrotechniek Beheer B.V.", email="fin@zeemeeuw.nl")
    decision = match(crm, remote("r1", other))
    assert decision.outcome is MatchOutcome.REVIEW
    assert "only one of them is a holding (beheer)" in decision.evidence


def test_belgian_enterprise_number_finds_the_same_number_as_vat() -> None:
    brussels = Address(line1="Wetstraat 16", postcode="1000", city="Brussel", country="BE")
    crm = relation(name="Dubois SRL", vat_number="BE 0403.170.701", address=brussels)
    other = relation(name="Dubois SA", coc_number="0403.170.701", address=brussels)
    decision = match(crm, remote("r1", other))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "kvk")
    assert "same KvK 0403170701" in decision.evidence


def test_index_reuses_the_names_it_already_normalised() -> None:
    index = CandidateIndex.from_records([remote("r1", relation(coc_number=KVK))])
    (indexed,) = list(index)
    assert index.keys_for(relation(coc_number=KVK)).name is indexed.name


def test_a_missing_postcode_is_bridged_by_street_house_number_and_city() -> None:
    crm = relation(name="Bakkerij de Vries")
    other = relation(
        name="Bakkerij de Vriess",
        address=Address(line1="Hoofdstr. 12-A", city="Utrecht", country="NL"),
    )
    decision = match(crm, remote("r1", other))
    assert (decision.outcome, decision.rule) == (MatchOutcome.LINK, "fuzzy_name")
    assert "same street and house number 12A in the same city" in decision.evidence


def test_a_street_without_city_does_not_count_as_the_same_address() -> None:
    crm = relation(
        name="Bakkerij de Vries", address=Address(line1="Hoofdstraat 1", city="", country="NL")
    )
    other = relation(
        name="Bakkerij de Vries", address=Address(line1="Hoofdstraat 1", city="", country="NL")
    )
    decision = match(crm, remote("r1", other))
    assert decision.outcome is MatchOutcome.REVIEW


def test_a_record_added_after_a_block_was_split_is_found_as_in_a_fresh_index() -> None:
    # An oversized block is split by postcode area once; records created later in the run
    # join that split instead of clearing it. What is found must not depend on the order.
    def firm(i: int, area: str) -> Relation:
        return relation(
            f"crm-{i}",
            name=f"Bakkerij Zonnebloem {i}",
            address=Address(
                line1=f"Dorpsstraat {i}",
                postcode=f"{area} {chr(65 + i)}{chr(66 + i)}",  # a postcode of its own
                city="Ergens",
                country="NL",
            ),
        )

    areas = ["3511", "1011", "3511", "1011", "3511", "1011", "1011", "3511", "1011"]
    records = [remote(f"r{i}", firm(i, area)) for i, area in enumerate(areas)]
    grown = CandidateIndex.from_records(records[:6], max_block=4)
    subject = grown.keys_for(firm(20, "3511"))
    # The name words' block of six, narrowed to the subject's area.
    assert {k.record_id for k in grown.name_block(subject)} == {"r0", "r2", "r4"}
    for record in records[6:]:
        grown.add(relation_keys(record.data, record_id=record.remote_id, crm_key=record.crm_key))
    fresh = CandidateIndex.from_records(records, max_block=4)
    found = [k.record_id for k in grown.name_block(subject)]
    assert found == [k.record_id for k in fresh.name_block(fresh.keys_for(firm(20, "3511")))]
    assert set(found) == {"r0", "r2", "r4", "r7"}  # the newcomer in the area is found
