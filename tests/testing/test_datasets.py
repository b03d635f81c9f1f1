"""The dataset generator: deterministic, realistic, valid (except where it means not to be)."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as std_iban
from stdnum.be import vat as std_be_vat
from stdnum.eu import vat as std_eu_vat
from stdnum.nl import postcode as std_nl_postcode

from finlink import RelationRole, check, validate
from finlink.testing._numbers import iban_check_digits
from finlink.testing.datasets import (
    VariantKind,
    bookings,
    invalid_relations,
    make_relation,
    make_variant,
    matching_dataset,
    projects,
    relations,
    tiny_pdf,
)


def test_same_seed_gives_the_same_relations() -> None:
    assert relations(50, seed=3) == relations(50, seed=3)
    assert relations(50, seed=3) != relations(50, seed=4)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_generated_relation_validates(seed: int) -> None:
    for rel in relations(40, seed=seed):
        validate(rel)


def test_identifiers_carry_valid_check_digits_by_python_stdnum() -> None:
    sample = relations(600, seed=5)
    for rel in sample:
        if rel.vat_number:
            assert std_eu_vat.is_valid(rel.vat_number), rel.vat_number
        if rel.iban:
            assert std_iban.is_valid(rel.iban), rel.iban
        country = rel.address.country if rel.address else "NL"
        if rel.coc_number and country == "BE":
            assert std_be_vat.is_valid(rel.coc_number), rel.coc_number
        elif rel.coc_number:
            assert re.fullmatch(r"\d{8}", rel.coc_number)
        for address in (rel.visiting_address, rel.postal_address):
            if address and address.country == "NL" and address.postcode:
                assert std_nl_postcode.is_valid(address.postcode), address.postcode
    assert sum(1 for r in sample if r.vat_number) > 300
    assert sum(1 for r in sample if r.iban) > 300


def test_iban_check_digits_match_the_published_example() -> None:
    # ISO 13616 example used by every bank: NL91 ABNA 0417 1643 00.
    assert iban_check_digits("NL", "ABNA0417164300") == "91"


def test_relations_look_dutch_and_belgian_with_contacts_and_roles() -> None:
    sample = relations(800, seed=8)
    countries = Counter(r.address.country for r in sample if r.address)
    assert countries["NL"] > countries["BE"] > 50
    assert any(r.roles == {RelationRole.CUSTOMER, RelationRole.SUPPLIER} for r in sample)
    contact_counts = Counter(len(r.contacts) for r in sample)
    assert set(contact_counts) == {0, 1, 2, 3, 4}
    last_names = [c.last_name or "" for r in sample for c in r.contacts]
    assert any(name.startswith(("van der ", "van den ", "de ")) for name in last_names)
    assert any(re.search(r"\b(B\.V\.|BV|V\.O\.F\.|Stichting|VZW|NV)\b", r.name) for r in sample)
    assert any(r.website and r.website.startswith("https://www.") for r in sample)
    assert {r.payment_term_days for r in sample} >= {14, 30, 60}


def test_projects_have_numbers_both_backends_accept() -> None:
    for project in projects(30, seed=1):
        validate(project)
        assert project.number.isdigit()
        assert len(project.number) <= 8


def test_bookings_validate_and_use_lines_projects_and_pdfs() -> None:
    rels = relations(60, seed=2)
    projs = projects(5, seed=2)
    generated = bookings(rels, 150, projects=projs, seed=2, attachment_share=0.5)
    for booking in generated:
        validate(booking)
        assert 1 <= len(booking.lines) <= 5
        relation = next(r for r in rels if r.id == booking.relation_id)
        assert booking.kind.required_role in relation.roles
    kinds = Counter(b.kind for b in generated)
    assert len(kinds) == 4
    assert any(line.project_id for b in generated for line in b.lines)
    assert any(b.attachment for b in generated)


def test_bookings_need_relations() -> None:
    with pytest.raises(ValueError, match="at least one relation"):
        bookings([], 1)


def test_tiny_pdf_is_a_well_formed_pdf() -> None:
    pdf = tiny_pdf("F2026-00001")
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.rstrip().endswith(b"%%EOF")
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[startxref:].startswith(b"xref\n")
    # Every cross-reference offset points at its object.
    offsets = re.findall(rb"(\d{10}) 00000 n ", pdf)
    for number, offset in enumerate(offsets, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)
    assert b"(F2026-00001)" in pdf


def test_invalid_relations_break_exactly_the_fields_they_name() -> None:
    broken = invalid_relations(30, seed=4)
    assert len({next(iter(b.bad_fields)) for b in broken}) == 10
    for item in broken:
        assert {p.path for p in check(item.relation)} == item.bad_fields


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.lists(st.sampled_from(list(VariantKind)), max_size=4),
)
def test_variants_still_validate(seed: int, kinds: list[VariantKind]) -> None:
    rng = random.Random(seed)
    original = make_relation(rng, "crm-1")
    variant = make_variant(original, kinds, rng, new_id="r1")
    validate(variant)
    assert variant.id == "r1"


def test_variant_kinds_change_what_they_say() -> None:
    rng = random.Random(1)
    original = make_relation(rng, "crm-1", country="NL")
    while not (original.vat_number and original.email and original.visiting_address):
        original = make_relation(rng, "crm-1", country="NL")
    missing = make_variant(original, [VariantKind.MISSING_POSTCODE], rng)
    assert missing.visiting_address is not None
    assert missing.visiting_address.postcode is None
    spaced = make_variant(original, [VariantKind.IDENTIFIER_FORMAT], rng)
    assert spaced.vat_number != original.vat_number
    assert spaced.vat_number is not None
    assert spaced.vat_number.replace(" ", "").replace(".", "") == original.vat_number
    cased = make_variant(original, [VariantKind.EMAIL_CASE], rng)
    assert cased.email != original.email
    assert cased.email is not None
    assert cased.email.lower() == (original.email or "").lower()
    moved = make_variant(original, [VariantKind.MOVED], rng)
    assert moved.visiting_address != original.visiting_address
    assert make_variant(original, [], rng) == original


def test_matching_dataset_is_labelled_and_valid() -> None:
    data = matching_dataset(200, 150, overlap=0.6, seed=9)
    assert len(data.crm) == 200
    assert len(data.remote) == 150
    assert len(data.pairs) == 90
    crm_ids = {r.id for r in data.crm}
    remote_ids = {r.remote_id for r in data.remote}
    assert {c for c, _ in data.pairs} <= crm_ids
    assert {r for _, r in data.pairs} <= remote_ids
    assert set(data.variants) == set(data.pairs)
    for record in data.remote:
        validate(record.data)
        assert record.administration == "main"
    carried = [r for r in data.remote if r.crm_key]
    assert all((r.crm_key, r.remote_id) in data.pairs for r in carried)


def test_matching_dataset_is_deterministic() -> None:
    assert matching_dataset(30, 30, seed=2) == matching_dataset(30, 30, seed=2)


def test_matching_dataset_refuses_an_impossible_overlap() -> None:
    with pytest.raises(ValueError, match="overlap"):
        matching_dataset(10, 10, overlap=1.5)


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_generated_booking_project_and_remote_copy_validates(seed: int) -> None:
    rels = relations(20, seed=seed)
    projs = projects(4, seed=seed)
    for project in projs:
        validate(project)
    for booking in bookings(rels, 20, projects=projs, seed=seed):
        validate(booking)
    for record in matching_dataset(30, 30, overlap=0.8, seed=seed).remote:
        validate(record.data)
