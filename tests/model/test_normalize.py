"""Explicit normalisation to the canonical form backends send."""

from __future__ import annotations

import re
import sys

from hypothesis import given
from hypothesis import strategies as st

import finlink
from finlink import Address, Contact, normalize_relation
from finlink.model import normalize
from finlink.model.normalize import normalize_address, normalize_contact
from tests.model.factories import relation


def test_relation_is_put_in_canonical_form() -> None:
    messy = relation(
        name="  Bakkerij   De Vries  B.V. ",
        number=" ",
        vat_number="nl 0044.95.445 b01",
        iban="nl91 abna 0417 1643 00",
        bic="abnanl2a",
        coc_number="1234 5678",
        email=" Info@BakkerijDeVries.NL ",
        currency="eur",
        language="NL_be",
        visiting_address=Address(
            line1=" Hoofdstraat  12a ", postcode="3511ab", city=" Utrecht", country="nl"
        ),
        postal_address=Address(line1="Postbus 1", line2=" ", city="Utrecht", country="NL"),
        contacts=(
            Contact(
                id="c", first_name=" Jan ", last_name="de  Vries", email="Jan@X.NL", job_title=""
            ),
        ),
    )
    clean = normalize_relation(messy)
    assert clean.name == "Bakkerij De Vries B.V."
    assert clean.number is None
    assert clean.vat_number == "NL004495445B01"
    assert clean.iban == "NL91ABNA0417164300"
    assert clean.bic == "ABNANL2A"
    assert clean.coc_number == "12345678"
    assert clean.email == "Info@bakkerijdevries.nl"
    assert clean.currency == "EUR"
    assert clean.language == "nl-be"
    assert clean.visiting_address == Address(
        line1="Hoofdstraat 12a", postcode="3511 AB", city="Utrecht", country="NL"
    )
    assert clean.postal_address is not None
    assert clean.postal_address.line2 is None
    assert clean.contacts == (
        Contact(id="c", first_name="Jan", last_name="de Vries", email="Jan@x.nl"),
    )
    assert finlink.check(clean) == ()


def test_invalid_values_are_left_as_typed() -> None:
    messy = relation(
        vat_number="nl 123", iban="NL00 ABNA", bic="x", coc_number="12", postal_address=None
    )
    clean = normalize_relation(messy)
    assert (clean.vat_number, clean.iban, clean.bic, clean.coc_number) == (
        "nl 123",
        "NL00 ABNA",
        "x",
        "12",
    )


def test_invalid_postcode_is_left_as_typed() -> None:
    rel = relation(visiting_address=Address(line1="x", postcode="12 AB", city="y", country="NL"))
    address = normalize_relation(rel).visiting_address
    assert address is not None
    assert address.postcode == "12 AB"


def test_relation_without_address_and_email() -> None:
    clean = normalize_relation(relation(visiting_address=None, email=None, language=None))
    assert clean.visiting_address is None
    assert clean.email is None


@given(
    name=st.text(max_size=30),
    email=st.none() | st.emails(),
    postcode=st.sampled_from(["3511ab", "3511 AB", " 1012  js", "B-1000", "x"]),
)
def test_normalising_twice_changes_nothing(name: str, email: str | None, postcode: str) -> None:
    rel = relation(
        name=name,
        email=email,
        visiting_address=Address(line1="Hoofdstraat 1", postcode=postcode, city="A", country="nl"),
    )
    once = normalize_relation(rel)
    assert normalize_relation(once) == once


def test_a_relation_in_canonical_form_comes_back_as_it_is() -> None:
    clean = normalize_relation(
        relation(
            vat_number="nl 0044.95.445 b01",
            iban="nl91 abna 0417 1643 00",
            contacts=(Contact(id="c", first_name=" Jan ", email="Jan@X.NL"),),
        )
    )
    # The same object: nothing is copied (nor checked again) when nothing changes.
    assert normalize_relation(clean) is clean
    assert normalize_relation.__wrapped__(clean) is clean
    assert normalize_contact(clean.contacts[0]) is clean.contacts[0]
    assert clean.visiting_address is not None
    assert normalize_address(clean.visiting_address) is clean.visiting_address


class _Markup(str):
    """A str subclass, as a web framework marks safe text (Django's ``SafeString``)."""

    __slots__ = ()


def test_text_of_a_str_subclass_comes_out_a_plain_str() -> None:
    # As it always did: normalising gives plain text, even where the value itself is canonical.
    rel = relation(name=_Markup("Bakkerij De Vries"), email=_Markup("info@devries.nl"))
    clean = normalize_relation.__wrapped__(rel)
    assert clean == rel
    assert type(clean.name) is str
    assert type(clean.email) is str
    contact = Contact(id="c", first_name=_Markup("Jan"))
    assert type(normalize_contact.__wrapped__(contact).first_name) is str


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20) | st.text(" \t\xa0ab", max_size=8)
)
def test_text_is_trimmed_and_folded(value: str) -> None:
    folded = normalize._text(value)
    assert folded == (re.sub(r"\s+", " ", value).strip() or None)


def test_the_only_printable_white_space_is_the_space() -> None:
    # _text and identifiers._compact rely on it to skip the regular expression.
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c.isprintable()] == [
        " "
    ]
