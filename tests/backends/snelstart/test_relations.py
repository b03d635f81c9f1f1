"""Relations: one soort, one contact, complete addresses, country GUIDs, lengths, the reference."""

from __future__ import annotations

import attrs
import pytest

from finlink import RelationRole, ValidationError
from finlink.backends import RelationKeys
from finlink.backends.snelstart.mapping import memo_parts
from finlink.model.relation import Address
from finlink.sync import SQLiteStore, SyncEngine
from tests.backends.snelstart.samples import contact, relation
from tests.backends.snelstart.support import Rig


def _posts(rig: Rig) -> int:
    return rig.admin.call_count(method="POST", path="/relaties")


def _stored(rig: Rig, remote_id: str) -> dict[str, object]:
    return next(r for r in rig.admin.relaties() if r["id"] == remote_id)


def test_customer_and_supplier_in_one_relation_is_refused_before_sending(rig: Rig) -> None:
    both = relation(roles=frozenset(RelationRole))
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_relation(both, reference=both.id)
    assert caught.value.problems[0].path == "roles"
    assert caught.value.problems[0].rule == "one_soort"
    assert "REL-0065" in str(caught.value)
    assert _posts(rig) == 0


def test_engine_sends_customer_and_supplier_as_two_relaties(rig: Rig) -> None:
    engine = SyncEngine(
        store=SQLiteStore(":memory:", clock=rig.sandbox.clock),
        backends=[rig.backend],
        clock=rig.sandbox.clock,
    )
    both = relation(roles=frozenset(RelationRole))
    engine.sync_relations([both])
    made = sorted(
        (r for r in rig.admin.relaties() if "Eigen" not in r["relatiesoort"]),
        key=lambda r: r["relatiesoort"],
    )
    assert [r["relatiesoort"] for r in made] == [["Klant"], ["Leverancier"]]
    assert [memo_parts(r["memo"])[0] for r in made] == ["crm-1", "crm-1#supplier"]
    # The CRM's number goes to the customer half, the number plus the offset to the supplier
    # half (relatiecodes are unique, REL-0008).
    assert [r["relatiecode"] for r in made] == [1001, 1_000_001_001]
    found = rig.backend.find_relations(RelationKeys(reference="crm-1#supplier"))
    assert [r.data.roles for r in found] == [frozenset({RelationRole.SUPPLIER})]


def test_engine_reports_the_contacts_snelstart_cannot_hold(rig: Rig) -> None:
    engine = SyncEngine(
        store=SQLiteStore(":memory:", clock=rig.sandbox.clock),
        backends=[rig.backend],
        clock=rig.sandbox.clock,
    )
    two = relation(contacts=(contact(1, is_primary=True), contact(2)))
    report = engine.sync_relations([two])
    notes = [n for o in report.outcomes for n in o.operation.notes]
    assert any("Jan Jansen 2 not transferred" in n and "at most 1" in n for n in notes), notes
    listed = rig.backend.list_contacts(
        rig.backend.find_relations(RelationKeys(reference="crm-1"))[0].remote_id
    )
    assert [c.data.last_name for c in listed] == ["Jansen 1"]


def test_a_second_contact_is_refused_and_the_same_one_again_is_not(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    first = rig.backend.create_contact(made.remote_id, contact(1), reference="crm-1/contact-1")
    again = rig.backend.create_contact(made.remote_id, contact(1), reference="crm-1/contact-1")
    assert again.remote_id == first.remote_id
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_contact(made.remote_id, contact(2), reference="crm-1/contact-2")
    assert caught.value.problems[0].rule == "max_contacts"
    assert "one contact person per relatie" in str(caught.value)


def test_the_contact_goes_into_the_vestigingsadres_and_keeps_its_details(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    rig.backend.create_contact(made.remote_id, contact(1), reference="crm-1/contact-1")
    stored = _stored(rig, made.remote_id)
    assert stored["vestigingsAdres"]["contactpersoon"] == "Jan Jansen 1"  # type: ignore[index]
    # The relation's own e-mail and phone are not overwritten by the contact's.
    assert stored["email"] == "info1@devries.example"
    listed = rig.backend.list_contacts(made.remote_id)
    assert listed[0].data.email == "jan1@devries.example"
    assert listed[0].data.job_title == "Inkoper"
    assert listed[0].crm_key == "crm-1/contact-1"


def test_a_contact_name_longer_than_contactpersoon_holds_is_refused(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_contact(made.remote_id, contact(1, last_name="x" * 60), reference="r")
    assert caught.value.problems[0].path == "contact.name"
    assert "50" in str(caught.value)


def test_an_address_without_postcode_is_refused_not_sent_in_part(rig: Rig) -> None:
    partial = relation(
        visiting_address=Address(line1="Hoofdstraat 1", city="Utrecht", country="NL")
    )
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_relation(partial, reference=partial.id)
    assert caught.value.paths == ("visiting_address.postcode",)
    assert caught.value.problems[0].rule == "address_incomplete"
    assert "REL-0060" in str(caught.value)
    assert _posts(rig) == 0


def test_a_relation_without_address_is_sent_without_one(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(visiting_address=None), reference="crm-1")
    assert _stored(rig, made.remote_id)["vestigingsAdres"] is None


def test_countries_become_the_administrations_land_guids_read_once(rig: Rig) -> None:
    be = Address(line1="Grote Markt 1", postcode="1000", city="Brussel", country="BE")
    for i in range(3):
        made = rig.backend.create_relation(
            relation(i, visiting_address=be, vat_number=None), reference=f"crm-{i}"
        )
    land = _stored(rig, made.remote_id)["vestigingsAdres"]["land"]  # type: ignore[index]
    assert land["id"] == rig.admin.land_id("BE")
    assert rig.backend.get_relation(made.remote_id).data.address.country == "BE"  # type: ignore[union-attr]
    assert rig.admin.call_count(method="GET", path="/landen") == 1


def test_an_unknown_country_is_refused_with_its_field(rig: Rig) -> None:
    nowhere = relation(
        visiting_address=Address(line1="Main 1", postcode="123", city="X", country="ZZ")
    )
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_relation(nowhere, reference=nowhere.id)
    assert caught.value.problems[0].path == "visiting_address.country"
    assert caught.value.problems[0].rule == "unknown_country"


def test_vat_numbers_are_sent_without_spaces_and_dots(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(vat_number="nl 0044.95.445 b01"), reference="crm-1")
    assert _stored(rig, made.remote_id)["btwNummer"] == "NL004495445B01"


def test_too_long_fields_are_refused_naming_field_and_rule(rig: Rig) -> None:
    long = relation(name="N" * 51, phone="0" * 26, website="https://" + "w" * 100 + ".nl")
    with pytest.raises(ValidationError) as caught:
        rig.backend.create_relation(long, reference=long.id)
    assert set(caught.value.paths) == {"name", "phone", "website"}
    assert {p.rule for p in caught.value.problems} == {"max_length"}
    assert "at most 50 characters" in str(caught.value)
    assert _posts(rig) == 0


def test_the_reference_is_found_in_one_call_and_never_by_a_prefix(rig: Rig) -> None:
    one = rig.backend.create_relation(relation(1), reference="crm-1")
    rig.backend.create_relation(relation(10, vat_number=None), reference="crm-10")
    before = rig.admin.call_count(method="GET", path="/relaties")
    found = rig.backend.find_relations(RelationKeys(reference="crm-1"))
    assert rig.admin.call_count(method="GET", path="/relaties") == before + 1
    assert [r.remote_id for r in found] == [one.remote_id]
    assert found[0].crm_key == "crm-1"


def test_a_reference_with_a_quote_is_found(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="o'brien-1")
    found = rig.backend.find_relations(RelationKeys(reference="o'brien-1"))
    assert [r.remote_id for r in found] == [made.remote_id]


def test_update_keeps_the_bookkeepers_memo_and_the_contact(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    rig.backend.create_contact(made.remote_id, contact(1), reference="crm-1/contact-1")
    memo = _stored(rig, made.remote_id)["memo"]
    rig.admin.edit_relatie(made.remote_id, memo=f"Belt liever niet\n{memo}", telefoon="010 1")
    moved = Address(line1="Nieuwe Gracht 2", postcode="3512 LS", city="Utrecht", country="NL")
    rig.backend.update_relation(
        made.remote_id,
        relation(visiting_address=moved, phone="020 9"),
        fields=frozenset({"visiting_address"}),
    )
    stored = _stored(rig, made.remote_id)
    assert stored["vestigingsAdres"]["straat"] == "Nieuwe Gracht 2"  # type: ignore[index]
    assert stored["vestigingsAdres"]["contactpersoon"] == "Jan Jansen 1"  # type: ignore[index]
    assert stored["telefoon"] == "010 1", "a field not named was overwritten"
    assert str(stored["memo"]).startswith("Belt liever niet\n")
    assert (
        rig.backend.find_relations(RelationKeys(reference="crm-1"))[0].remote_id == made.remote_id
    )


def test_changing_the_soort_is_refused(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    supplier = relation(roles=frozenset({RelationRole.SUPPLIER}))
    with pytest.raises(ValidationError) as caught:
        rig.backend.update_relation(made.remote_id, supplier, fields=frozenset({"roles"}))
    assert caught.value.problems[0].rule == "soort_fixed"


def test_an_unchanged_administration_is_reread_in_one_call(rig: Rig) -> None:
    for i in range(3):
        rig.backend.create_relation(relation(i, vat_number=None), reference=f"crm-{i}")
    full = rig.backend.read_relations()
    assert len(full.records) == 3, "the own company (soort Eigen) must not be returned"
    before = rig.admin.call_count(method="GET", path="/relaties")
    again = rig.backend.read_relations(full.cursor)
    assert again.records == ()
    assert rig.admin.call_count(method="GET", path="/relaties") == before + 1
    assert again.cursor is not None


def test_a_change_on_the_cursors_boundary_is_read_once(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    first = rig.backend.read_relations()
    # Same second as the cursor's stamp: only an overlap with content fingerprints sees it.
    rig.admin.edit_relatie(made.remote_id, naam="Bakkerij De Vries Nieuw")
    second = rig.backend.read_relations(first.cursor)
    assert [r.data.name for r in second.records] == ["Bakkerij De Vries Nieuw"]
    third = rig.backend.read_relations(second.cursor)
    assert third.records == (), "a change already reported came back"
    rig.sandbox.clock.advance(seconds=30)  # type: ignore[attr-defined]
    rig.admin.edit_relatie(made.remote_id, naam="Later")
    fourth = rig.backend.read_relations(third.cursor)
    assert [r.data.name for r in fourth.records] == ["Later"]


def test_a_deactivated_relation_reads_back_inactive_in_the_changes(rig: Rig) -> None:
    made = rig.backend.create_relation(relation(), reference="crm-1")
    first = rig.backend.read_relations()
    rig.backend.deactivate_relation(made.remote_id)
    changed = rig.backend.read_relations(first.cursor)
    assert [(r.remote_id, r.active) for r in changed.records] == [(made.remote_id, False)]


def test_relations_round_trip_their_fields(rig: Rig) -> None:
    sent = relation(mobile="06 98765432", website="https://devries.example", bic="ABNANL2A")
    made = rig.backend.create_relation(sent, reference="crm-1")
    back = rig.backend.get_relation(made.remote_id).data
    expected = attrs.evolve(sent, id="crm-1")
    fields = "name number email phone mobile website vat_number coc_number iban bic"
    for field in [*fields.split(), "payment_term_days", "visiting_address", "roles"]:
        assert getattr(back, field) == getattr(expected, field), field


def test_a_quiet_administration_after_a_bulk_import_is_reread_without_refetching_it(
    rig: Rig,
) -> None:
    for i in range(600):  # more than one page, all stamped in the same second
        rig.admin.add_relatie({"relatiesoort": ["Klant"], "naam": f"Klant {i}"})

    def gets() -> int:
        return rig.admin.call_count(method="GET", path="/relaties")

    first = rig.backend.read_relations()
    assert len(first.records) == 600
    rig.sandbox.clock.advance(minutes=10)  # type: ignore[attr-defined]
    before = gets()
    second = rig.backend.read_relations(first.cursor)  # the import is inside the overlap
    assert (second.records, gets() - before) == ((), 2)
    before = gets()
    third = rig.backend.read_relations(second.cursor)
    # The mark moved to the read's time: the import is not fetched again.
    assert (third.records, gets() - before) == ((), 1)


def test_a_taken_relatiecode_leaves_the_code_to_snelstart(rig: Rig) -> None:
    rig.backend.create_relation(relation(1), reference="crm-1")  # relatiecode 1001
    clash = relation(2, number="1001", vat_number=None)
    made = rig.backend.create_relation(clash, reference="crm-2")
    assert made.data.number not in (None, "1001")
    assert (
        rig.backend.find_relations(RelationKeys(reference="crm-2"))[0].remote_id == made.remote_id
    )
