"""The one ``$filter`` tokenizer both sandboxes share, and what its two dialects change."""

from __future__ import annotations

import attrs
import pytest

from finlink.testing._odata_tokens import EXACT_V2, SNELSTART_V3, Dialect, Token, tokenize
from finlink.testing.exact import odata as exact_odata
from finlink.testing.snelstart import odata_syntax as snelstart_odata


def _lexemes(text: str, dialect: Dialect) -> list[tuple[str, str]]:
    return [(token.kind, token.text) for token in tokenize(text, dialect)]


def test_the_common_lexemes_read_the_same_in_both_dialects() -> None:
    text = (
        "(Naam eq 'it''s') and Bedrag ge -12.5M or Id eq guid'71b961de-b9f3-49fe-883d-0f46c7e0e89b'"
    )
    expected = [
        ("punct", "("),
        ("name", "Naam"),
        ("name", "eq"),
        ("string", "it's"),
        ("punct", ")"),
        ("name", "and"),
        ("name", "Bedrag"),
        ("name", "ge"),
        ("number", "-12.5M"),
        ("name", "or"),
        ("name", "Id"),
        ("name", "eq"),
        ("typed", "71b961de-b9f3-49fe-883d-0f46c7e0e89b"),
    ]
    assert _lexemes(text, EXACT_V2) == expected
    assert _lexemes(text, SNELSTART_V3) == expected
    assert tokenize("guid'x'", EXACT_V2) == [Token("typed", "x", 0, prefix="guid")]


def test_a_member_path_is_one_name_in_v2_and_three_tokens_in_v3() -> None:
    assert _lexemes("Account/Name", EXACT_V2) == [("name", "Account/Name")]
    assert _lexemes("Account/Name", SNELSTART_V3) == [
        ("name", "Account"),
        ("punct", "/"),
        ("name", "Name"),
    ]


def test_v3_adds_lambda_colons_exponents_and_more_typed_literals() -> None:
    assert _lexemes("r:", SNELSTART_V3) == [("name", "r"), ("punct", ":")]
    assert _lexemes("2.5E-2", SNELSTART_V3) == [("number", "2.5E-2")]
    assert _lexemes("2.5E", EXACT_V2) == [("number", "2.5"), ("name", "E")]
    assert _lexemes("datetimeoffset'2026-01-01'", SNELSTART_V3) == [("typed", "2026-01-01")]
    assert _lexemes("datetimeoffset'2026-01-01'", EXACT_V2) == [
        ("name", "datetimeoffset"),
        ("string", "2026-01-01"),
    ]
    with pytest.raises(ValueError, match=r"character ':' is not valid at position 1\."):
        tokenize("r:", EXACT_V2)


def test_each_sandbox_reports_errors_in_its_own_type_and_wording() -> None:
    with pytest.raises(
        exact_odata.ODataError, match=r"^Unterminated string literal at position 5\.$"
    ):
        exact_odata.tokenize("a eq 'open")
    with pytest.raises(
        snelstart_odata.ODataError, match=r"^unterminated string literal at position 5$"
    ):
        snelstart_odata.parse_filter("a eq 'open")
    with pytest.raises(
        snelstart_odata.ODataError, match=r"unexpected character '\?' at position 2"
    ):
        snelstart_odata.parse_filter("a ? b")
    custom = attrs.evolve(EXACT_V2, error=KeyError)
    with pytest.raises(KeyError):
        tokenize("#", custom)


def test_token_positions_are_where_a_lexeme_starts() -> None:
    # A string's position is its opening quote in both sandboxes (SnelStart's scanner used
    # to report the position after the closing quote).
    with pytest.raises(snelstart_odata.ODataError, match="trailing input at position 12"):
        snelstart_odata.parse_filter("Naam eq 'a' 'b'")
    assert [token.pos for token in tokenize("a eq 'b' 12L", EXACT_V2)] == [0, 2, 5, 9]
