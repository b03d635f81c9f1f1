"""The $filter tokenizer, parser and evaluator."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finlink.testing.exact.odata import (
    Call,
    Compare,
    Field,
    Literal,
    Logical,
    Not,
    ODataError,
    OrderBy,
    evaluate,
    field_names,
    parse_filter,
    parse_orderby,
    parse_select,
    tokenize,
)

GUID = uuid.UUID("71b961de-b9f3-49fe-883d-0f46c7e0e89b")


def test_literals_of_every_kind_are_typed() -> None:
    kinds = [
        (token.kind, token.value)
        for token in tokenize(
            f"'it''s' guid'{GUID}' datetime'2026-01-01T00:00:00' 12 12L 1.5 2.5M -3 true"
        )
    ]
    assert kinds == [
        ("string", "it's"),
        ("guid", GUID),
        ("datetime", datetime(2026, 1, 1, tzinfo=UTC)),
        ("number", 12),
        ("int64", 12),
        ("number", Decimal("1.5")),
        ("number", Decimal("2.5")),
        ("number", -3),
        ("name", "true"),
    ]


def test_and_binds_tighter_than_or_and_parentheses_override() -> None:
    assert parse_filter("a eq 1 or b eq 2 and c eq 3") == Logical(
        "or",
        Compare("eq", Field("a"), Literal(1)),
        Logical(
            "and", Compare("eq", Field("b"), Literal(2)), Compare("eq", Field("c"), Literal(3))
        ),
    )
    grouped = parse_filter("(a eq 1 or b eq 2) and c eq 3")
    assert isinstance(grouped, Logical)
    assert grouped.op == "and"


def test_not_and_functions_parse() -> None:
    assert parse_filter("not startswith(Name, 'Ac')") == Not(
        Call("startswith", (Field("Name"), Literal("Ac")))
    )
    assert parse_filter("substringof('x', Name) eq true") == Compare(
        "eq", Call("substringof", (Literal("x"), Field("Name"))), Literal(True)
    )


def test_field_names_lists_every_property_used() -> None:
    node = parse_filter("trim(Code) eq '1' and (Name ne null or not Blocked eq false)")
    assert field_names(node) == {"Code", "Name", "Blocked"}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("Name eq 'open", "Unterminated string"),
        ("Name eq", "Expression expected"),
        ("(Name eq 'a'", "')' expected"),
        ("Name eq 'a' 'b'", "Syntax error at position 12"),
        ("Name # 'a'", "character '#'"),
        ("frobnicate(Name)", "Unknown function 'frobnicate'"),
        ("trim(Name, Code) eq 'a'", "No function signature"),
        ("ID eq guid'not-a-guid'", "Unrecognized 'guid' literal"),
        ("Modified gt datetime'yesterday'", "Unrecognized 'datetime' literal"),
        ("Amount eq 1.2.3", "not a valid number"),
        (") eq 1", "Syntax error at position 0"),
    ],
)
def test_syntax_errors_are_refused_with_a_position(expression: str, message: str) -> None:
    with pytest.raises(ODataError, match=re.escape(message)):
        parse_filter(expression)


RECORD: dict[str, Any] = {
    "Name": "Acme B.V.",
    "Code": "                42",
    "ID": GUID,
    "Amount": Decimal("100.50"),
    "Timestamp": 1500,
    "Blocked": False,
    "Modified": datetime(2026, 1, 5, 9, tzinfo=UTC),
    "Email": None,
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Name eq 'Acme B.V.'", True),
        ("Name ne 'Acme B.V.'", False),
        ("Code eq '42'", False),  # the padding matters (§6 #1)
        ("Code eq '                42'", True),
        ("trim(Code) eq '42'", True),
        (f"ID eq guid'{GUID}'", True),
        (f"ID eq '{GUID}'", True),
        ("Amount gt 100", True),
        ("Amount le 100.5", True),
        ("Amount lt 100.5M", False),
        ("Timestamp gt 1499L", True),
        ("Timestamp ge 1501L", False),
        ("Modified ge datetime'2026-01-05T09:00:00'", True),
        ("Modified lt datetime'2026-01-05T09:00:00'", False),
        ("Blocked eq false", True),
        ("not Blocked eq false", False),
        ("Email eq null", True),
        ("Email gt 'a'", False),
        ("substringof('acme', Name) eq true", True),
        ("startswith(Name, 'Ac')", True),
        ("endswith(Name, 'B.V.')", True),
        ("tolower(Name) eq 'acme b.v.'", True),
        ("toupper(Name) eq 'ACME B.V.'", True),
        ("trim(Email) eq null", True),
        ("tolower(Email) eq null and toupper(Email) eq null", True),
        ("Name eq 'x' or Timestamp gt 1L", True),
        ("Name eq 'x' and Timestamp gt 1L", False),
    ],
)
def test_evaluation_follows_odata_semantics(expression: str, expected: bool) -> None:
    assert evaluate(parse_filter(expression), RECORD) is expected


def test_comparing_incompatible_types_is_an_odata_error() -> None:
    with pytest.raises(ODataError, match="incompatible"):
        evaluate(parse_filter("Modified gt 'yesterday'"), RECORD)
    with pytest.raises(ODataError, match="function signature"):
        evaluate(parse_filter("startswith(Amount, '1')"), RECORD)


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30))
def test_any_string_survives_quoting(text: str) -> None:
    quoted = "'" + text.replace("'", "''") + "'"
    assert evaluate(parse_filter(f"Name eq {quoted}"), {"Name": text}) is True


def test_orderby_and_select_parse() -> None:
    assert parse_orderby("Name desc, Code") == [OrderBy("Name", True), OrderBy("Code", False)]
    assert parse_select("ID, Name") == ["ID", "Name"]
    with pytest.raises(ODataError):
        parse_orderby("Name sideways")
    with pytest.raises(ODataError):
        parse_orderby("Name,")
    with pytest.raises(ODataError):
        parse_select("ID,,Name")
