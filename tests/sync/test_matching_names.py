"""Dutch-aware normalisation of names, addresses, postcodes and e-mail domains."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finlink.sync.names import (
    address_key,
    email_domain,
    fold,
    name_key,
    postcode_key,
    website_domain,
)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Bakkerij de Vries B.V.", "Bakkerij De Vries"),
        ("Bakkerij de Vries BV", "bakkerij de vries b.v."),
        ("Jansen & Zn.", "Jansen en Zonen"),
        ("Jansen and Zonen V.O.F.", "Jansen en Zonen vof"),
        ("Coöperatie Zuivel U.A.", "Cooperatie Zuivel"),
        ("Café 't Hoekje", "Cafe t Hoekje"),
        ("Transport v.d. Berg BVBA", "Transport van der Berg"),
        ("Brouwerij Jansen Naamloze Vennootschap", "Brouwerij Jansen NV"),
        ("Stichting Het Anker", "Het Anker"),
        ("Verenigng Twente", "Vereniging Twente"),
        ("Dubois SRL", "Dubois SA"),
        ("Peeters CommV", "Peeters VZW"),
        ("B. V. Jansen", "Jansen"),
    ],
)
def test_name_key_equates_spellings_of_the_same_name(first: str, second: str) -> None:
    assert name_key(first).compact == name_key(second).compact


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Jansen Holding B.V.", "Jansen B.V."),
        ("Bakkerij de Vries", "Slagerij de Vries"),
        ("Jansen Bouw", "Janssen Hout"),
    ],
)
def test_name_key_keeps_different_names_apart(first: str, second: str) -> None:
    assert name_key(first).compact != name_key(second).compact


def test_name_key_reports_the_legal_form_it_removed() -> None:
    assert name_key("Bakkerij de Vries b.v.").legal_form == "BV"
    assert name_key("Stichting Het Anker").legal_form == "Stichting"
    assert name_key("Bakkerij de Vries").legal_form is None


def test_name_key_keeps_a_name_that_is_only_a_legal_form() -> None:
    assert name_key("Stichting").text == "stichting"


def test_fold_removes_diacritics_and_case() -> None:
    assert fold("Coöperatie Café Zoë") == "cooperatie cafe zoe"


@pytest.mark.parametrize(
    ("line", "street", "number", "addition"),
    [
        ("Hoofdstraat 12a", "hoofdstraat", "12", "a"),
        ("Hoofdstr. 12 A", "hoofdstraat", "12", "a"),
        ("Hoofdstraat 12-A", "hoofdstraat", "12", "a"),
        ("Beukenln 3", "beukenlaan", "3", ""),
        ("Stationspln 1", "stationsplein", "1", ""),
        ("Dorpswg 7/2", "dorpsweg", "7", "2"),
        ("Burg. v.d. Veldenlaan 3-hs", "burgemeestervandeveldenlaan", "3", "hs"),
        ("Kerkstraat 12 bus 3", "kerkstraat", "12", "3"),
        ("Laan 1940-1945 12-II", "laan19401945", "12", "ii"),
        ("Van Goghstraat 007", "vangoghstraat", "7", ""),
    ],
)
def test_address_key_splits_street_number_and_addition(
    line: str, street: str, number: str, addition: str
) -> None:
    key = address_key(line, "1234 ab", "Den Haag", "nl")
    assert (key.street, key.number, key.addition) == (street, number, addition)
    assert key.postcode == "1234AB"
    assert key.city == "denhaag"
    assert key.country == "NL"


def test_address_key_without_house_number_has_no_house() -> None:
    key = address_key("Grote Markt", None, "Brussel", "BE")
    assert key.number is None
    assert key.house is None


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("1234 AB", "NL", "1234AB"),
        ("1234ab", "NL", "1234AB"),
        (" 1234  aB ", "NL", "1234AB"),
        ("B-1000", "BE", "1000"),
        ("1000", "BE", "1000"),
        ("", "NL", None),
        (None, "NL", None),
    ],
)
def test_postcode_key_drops_spaces_and_case(
    raw: str | None, country: str, expected: str | None
) -> None:
    assert postcode_key(raw, country) == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("info@BakkerijDeVries.NL", "bakkerijdevries.nl"),
        ("jan@gmail.com", None),
        ("jan@Hotmail.com", None),
        ("piet@ziggo.nl", None),
        ("els@kpnmail.nl", None),
        ("no-at-sign", None),
        (None, None),
    ],
)
def test_email_domain_lowercases_and_skips_free_mail(
    email: str | None, expected: str | None
) -> None:
    assert email_domain(email) == expected


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("https://www.Jansen.nl/contact", "jansen.nl"),
        ("jansen.nl", "jansen.nl"),
        ("http://shop.jansen.nl:8080", "shop.jansen.nl"),
        ("localhost", None),
    ],
)
def test_website_domain_takes_the_host_without_www(site: str, expected: str | None) -> None:
    assert website_domain(site) == expected


_NAMEISH = st.text(
    alphabet=st.sampled_from(list("abcdeéöijkBVNOF. &'-+ußvdlnstr0123")), max_size=40
)


@given(_NAMEISH)
def test_name_normalisation_is_idempotent(name: str) -> None:
    once = name_key(name)
    assert name_key(once.text).text == once.text


@given(_NAMEISH)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet=st.sampled_from(list("0123456789abAB -")), max_size=10))
def test_postcode_key_is_idempotent(postcode: str) -> None:
    once = postcode_key(postcode, "NL")
    assert postcode_key(once, "NL") == once


@given(
    st.sampled_from(["Hoofdstraat", "Hoofdstr.", "Beukenln", "Van Goghstraat", "Kerkstraat"]),
    st.integers(min_value=1, max_value=9999),
    st.sampled_from(["", "a", " A", "-2", " bis", "-hs"]),
)
def test_street_normalisation_is_idempotent(street: str, number: int, addition: str) -> None:
    key = address_key(f"{street} {number}{addition}", None, None, "NL")
    suffix = f"-{key.addition}" if key.addition else ""
    again = address_key(f"{key.street} {key.number}{suffix}", None, None, "NL")
    assert (again.street, again.number, again.addition) == (key.street, key.number, key.addition)


def test_a_typo_in_a_written_out_legal_form_is_still_that_legal_form() -> None:
    typed = name_key("Bakker Projecten Besloten Vnnootschap")
    assert (typed.text, typed.legal_form) == ("bakker projecten", "BV")
    assert name_key("Naamloze Vennotschap Jansen").legal_form == "NV"
    assert name_key("Besloten Kring").text == "besloten kring"  # not a legal form at all


def test_a_doubled_dot_in_a_legal_form_is_a_typing_slip() -> None:
    assert name_key("Van Haan en Zonen V..O.F.") == name_key("Van Haan en Zonen V.O.F.")
