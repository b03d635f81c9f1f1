"""Identifier checks with real-world valid and invalid values, and their canonical forms."""

from __future__ import annotations

import pytest

from finlink.model.identifiers import (
    check_bic,
    check_coc_number,
    check_country,
    check_currency,
    check_email,
    check_iban,
    check_language,
    check_phone,
    check_postcode,
    check_vat_number,
    check_website,
    normalize_bic,
    normalize_coc_number,
    normalize_email,
    normalize_iban,
    normalize_postcode,
    normalize_vat_number,
)


@pytest.mark.parametrize(
    "value",
    [
        "NL004495445B01",
        "nl 0044.95.445 b01",
        "NL123456789B13",
        "BE0403170701",
        "BE 0403.170.701",
        "DE136695976",
    ],
)
def test_valid_vat_numbers_pass(value: str) -> None:
    assert check_vat_number(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("NL004495446B01", "does not match"),  # one digit off: the check digit fails
        ("NL12345", ""),
        ("004495445B01", "country prefix"),
        ("XX123456789", ""),
    ],
)
def test_invalid_vat_numbers_are_refused_with_the_rule(value: str, fragment: str) -> None:
    breach = check_vat_number(value)
    assert breach is not None
    assert breach[0] == "vat_number"
    assert fragment in breach[1]


def test_vat_number_normalises_to_compact_upper_case() -> None:
    assert normalize_vat_number("nl 8525.91.239 b01") == "NL852591239B01"
    assert normalize_vat_number("BE 0403.170.701") == "BE0403170701"


@pytest.mark.parametrize(
    "value",
    ["NL91ABNA0417164300", "nl91 abna 0417 1643 00", "BE71096123456769", "BE68539007547034"],
)
def test_valid_ibans_pass(value: str) -> None:
    assert check_iban(value) is None


def test_iban_with_a_typo_fails_its_checksum() -> None:
    breach = check_iban("NL91ABNA0417164301")
    assert breach == ("iban", "is not a valid IBAN: the check digits do not match (a typo?)")


def test_iban_of_the_wrong_length_is_refused() -> None:
    breach = check_iban("NL58ABNA041716430")  # check digits right, one digit short
    assert breach is not None
    assert "length" in breach[1]


def test_iban_normalises_without_spaces() -> None:
    assert normalize_iban("nl91 abna 0417 1643 00") == "NL91ABNA0417164300"


@pytest.mark.parametrize("value", ["ABNANL2A", "RABONL2U", "INGBNL2AXXX", "GEBABEBB"])
def test_valid_bics_pass(value: str) -> None:
    assert check_bic(value) is None


@pytest.mark.parametrize("value", ["ABNANL2", "ABNA1L2A", "ABNANL2AXX"])
def test_invalid_bics_are_refused(value: str) -> None:
    assert check_bic(value) == ("bic", "is not a valid BIC (8 or 11 characters, e.g. ABNANL2A)")


def test_bic_normalises_to_upper_case() -> None:
    assert normalize_bic("abnanl2a") == "ABNANL2A"


@pytest.mark.parametrize(("value", "country"), [("12345678", "NL"), ("1234 5678", None)])
def test_dutch_kvk_numbers_have_eight_digits(value: str, country: str | None) -> None:
    assert check_coc_number(value, country) is None


@pytest.mark.parametrize("value", ["1234567", "123456789", "1234567A"])
def test_dutch_kvk_numbers_of_other_shapes_are_refused(value: str) -> None:
    assert check_coc_number(value, "NL") == (
        "coc_number",
        "must be a Dutch KvK number of exactly 8 digits",
    )


@pytest.mark.parametrize("value", ["0403.170.701", "0403170701", "BE0403170701"])
def test_belgian_enterprise_numbers_pass_for_belgian_relations(value: str) -> None:
    assert check_coc_number(value, "BE") is None


def test_belgian_enterprise_number_with_bad_check_digits_is_refused() -> None:
    breach = check_coc_number("0403170702", "BE")
    assert breach is not None
    assert "check digits" in breach[1]


def test_belgian_enterprise_number_of_wrong_shape_is_refused() -> None:
    breach = check_coc_number("12AB", "BE")
    assert breach is not None
    assert "10 digits" in breach[1]


def test_coc_number_normalises_to_digits() -> None:
    assert normalize_coc_number("1234 5678") == "12345678"
    assert normalize_coc_number("BE 0403.170.701", "BE") == "0403170701"
    assert normalize_coc_number("403.170.701", "BE") == "0403170701"


@pytest.mark.parametrize("value", ["3511 AB", "3511ab", "1012JS"])
def test_valid_dutch_postcodes_pass(value: str) -> None:
    assert check_postcode(value, "NL") is None


def test_dutch_postcode_with_letters_never_issued_is_refused() -> None:
    breach = check_postcode("1234 SS", "NL")
    assert breach is not None
    assert "SA, SD and SS" in breach[1]


@pytest.mark.parametrize("value", ["123 AB", "0123 AB", "12345", "ABCD 12"])
def test_malformed_dutch_postcodes_are_refused(value: str) -> None:
    breach = check_postcode(value, "NL")
    assert breach is not None
    assert breach[0] == "postcode"


def test_belgian_postcodes_have_four_digits_from_1000() -> None:
    assert check_postcode("1000", "BE") is None
    assert check_postcode("9999", "be") is None
    assert check_postcode("0999", "BE") is not None
    assert check_postcode("10000", "BE") is not None


def test_other_countries_postcodes_only_have_a_length_limit() -> None:
    assert check_postcode("SW1A 1AA", "GB") is None
    assert check_postcode("12345678901", "DE") == ("postcode", "is longer than 10 characters")


def test_postcodes_normalise_per_country() -> None:
    assert normalize_postcode("3511ab", "NL") == "3511 AB"
    assert normalize_postcode(" 3511  AB ", "nl") == "3511 AB"
    assert normalize_postcode("B-1000", "BE") == "1000"
    assert normalize_postcode("sw1a  1aa", "GB") == "SW1A 1AA"


def test_country_and_currency_codes_come_from_iso_lists() -> None:
    assert check_country("NL") is None
    assert check_country("be") is None
    assert check_country("XX") is not None
    assert check_country("NLD") is not None
    assert check_currency("EUR") is None
    assert check_currency("usd") is None
    assert check_currency("EURO") is not None


@pytest.mark.parametrize(
    "value", ["info@bakkerij.nl", "jan.de.vries+crm@sub.example.co.uk", "a_b@x-y.be"]
)
def test_valid_emails_pass(value: str) -> None:
    assert check_email(value) is None


@pytest.mark.parametrize(
    "value", ["info@", "@example.nl", "jan de vries@example.nl", "jan@example", "jan@@x.nl"]
)
def test_invalid_emails_are_refused(value: str) -> None:
    assert check_email(value) == ("email_format", "is not a valid e-mail address (name@example.nl)")


def test_email_normalisation_lower_cases_only_the_domain() -> None:
    assert normalize_email(" Jan.Vries@Example.NL ") == "Jan.Vries@example.nl"


@pytest.mark.parametrize(
    "value", ["+31 30 123 4567", "030-1234567", "(030) 123.45.67", "0612345678"]
)
def test_valid_phone_numbers_pass(value: str) -> None:
    assert check_phone(value) is None


@pytest.mark.parametrize("value", ["12345", "call me", "+31 30 123 4567 ext 5", "1" * 21])
def test_invalid_phone_numbers_are_refused(value: str) -> None:
    breach = check_phone(value)
    assert breach is not None
    assert breach[0] == "phone_format"


@pytest.mark.parametrize(
    "value", ["www.example.nl", "https://example.nl/contact", "http://shop.example.be:8080/?a=1"]
)
def test_valid_websites_pass(value: str) -> None:
    assert check_website(value) is None


@pytest.mark.parametrize("value", ["example", "http://", "www example.nl"])
def test_invalid_websites_are_refused(value: str) -> None:
    assert check_website(value) == ("url_format", "is not a web address (www.example.nl)")


@pytest.mark.parametrize(
    ("value", "ok"), [("nl", True), ("nl-BE", True), ("NL", True), ("dutch", False)]
)
def test_language_codes(value: str, ok: bool) -> None:
    assert (check_language(value) is None) is ok
