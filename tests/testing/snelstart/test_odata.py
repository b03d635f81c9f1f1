"""OData v3 as SnelStart implements it: the parser, the type checks and the HTTP behaviour."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import SandboxAdministration
from finlink.testing.snelstart.entities.relaties import RELATIE_FIELDS
from finlink.testing.snelstart.odata import (
    ODataError,
    QueryOptions,
    apply_query,
    parse_filter,
    parse_query_options,
)
from finlink.testing.snelstart.odata_syntax import Compare, Lambda, Literal, Logical, Member, Not
from tests.testing.snelstart.support import address, errors, klant

# --------------------------------------------------------------------------- the parser


def test_parser_builds_precedence_and_or_not() -> None:
    node = parse_filter("not Naam eq 'a' or Relatiecode gt 3 and Nonactief eq false")
    assert node == Logical(
        "or",
        Not(Compare("eq", Member(("Naam",)), Literal("a", "string"))),
        Logical(
            "and",
            Compare("gt", Member(("Relatiecode",)), Literal(3, "int32")),
            Compare("eq", Member(("Nonactief",)), Literal(False, "boolean")),
        ),
    )


def test_parser_reads_v3_literals() -> None:
    assert parse_filter("X eq datetime'2017-07-16T23:59:59.999'") == Compare(
        "eq",
        Member(("X",)),
        Literal(datetime.fromisoformat("2017-07-16T23:59:59.999"), "datetime"),
    )
    guid = parse_filter("Id eq guid'8F1E2A3B-0000-4000-8000-000000000001'")
    assert isinstance(guid, Compare)
    assert guid.right == Literal("8f1e2a3b-0000-4000-8000-000000000001", "guid")
    assert parse_filter("Naam eq 'O''Brien'") == Compare(
        "eq", Member(("Naam",)), Literal("O'Brien", "string")
    )
    decimal = parse_filter("Saldo ge -1.5M")
    assert isinstance(decimal, Compare)
    assert decimal.right == Literal(Decimal("-1.5"), "decimal")
    assert parse_filter("A eq 2L") == Compare("eq", Member(("A",)), Literal(2, "int32"))
    assert parse_filter("A eq 1e3") == Compare(
        "eq", Member(("A",)), Literal(Decimal(1000), "decimal")
    )
    assert parse_filter("A eq null") == Compare("eq", Member(("A",)), Literal(None, "null"))


def test_parser_reads_lambdas_with_their_variable() -> None:
    node = parse_filter("ExtraVeldenKlant/any(e:e/Waarde eq '5' and e/Naam eq 'lid')")
    assert isinstance(node, Lambda)
    assert node.collection == Member(("ExtraVeldenKlant",))
    assert node.var == "e"
    assert node.body == Logical(
        "and",
        Compare("eq", Member(("Waarde",), "e"), Literal("5", "string")),
        Compare("eq", Member(("Naam",), "e"), Literal("lid", "string")),
    )
    assert parse_filter("Relatiesoort/any()") == Lambda(
        "any", Member(("Relatiesoort",)), None, None
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Naam eq",
        "Naam eq 'open",
        "Naam eq 'a' 'b'",
        "(Naam eq 'a'",
        "Naam # 'a'",
        "Id eq guid'nope'",
        "D eq datetime'yesterday'",
        "T eq time'10:00'",
        "Relatiesoort/all()",
        "Relatiesoort/any(1: x)",
        "Relatiesoort/any(r r eq 'x')",
        "A/ eq 1",
        "A eq 1.2.3",
        "f(1,",
    ],
)
def test_parser_rejects_bad_syntax(text: str) -> None:
    with pytest.raises(ODataError):
        parse_query_options({"$filter": text}, RELATIE_FIELDS)


@pytest.mark.parametrize(
    "text",
    [
        "naam eq 'x'",  # lower-case property name (P-ODATA: case-sensitive UpperCamelCase)
        "Onbekend eq 1",
        "Relatiecode eq '12'",  # number vs string
        "Naam gt true",
        "Nonactief gt false",
        "VestigingsAdres eq 'x'",
        "Uri eq 'x'",
        "Naam",
        "contains(Naam, 'x')",
        "substringof('x')",
        "startswith(Relatiecode, 'x')",
        "Naam eq 'a' and 'b'",
        "Naam/any(n: n eq 'x')",
        "Relatiesoort/any(r: r)",
        "Naam/Lengte eq 1",
        "year(Naam) eq 2016",
    ],
)
def test_type_checker_rejects_what_snelstart_rejects(text: str) -> None:
    with pytest.raises(ODataError):
        parse_query_options({"$filter": text}, RELATIE_FIELDS)


@pytest.mark.parametrize(
    "options",
    [
        {"$top": "0"},
        {"$top": "ten"},
        {"$skip": "-1"},
        {"$select": "naam"},
        {"$orderby": "Naam sideways"},
        {"$orderby": "VestigingsAdres"},
        {"$orderby": ""},
    ],
)
def test_bad_paging_select_and_orderby_are_refused(options: dict[str, str]) -> None:
    with pytest.raises(ODataError):
        parse_query_options(options, RELATIE_FIELDS)


def test_top_is_capped_at_500_silently() -> None:
    assert parse_query_options({"$top": "1000"}, RELATIE_FIELDS).top == 500
    assert QueryOptions().top == 500


def _records() -> list[dict[str, Any]]:
    return [
        {"naam": "Bakker", "relatiecode": 3, "modifiedOn": "2026-01-02T10:00:00",
         "relatiesoort": ["Klant"], "kredietLimiet": None, "vestigingsAdres": None},
        {"naam": "Aalders", "relatiecode": 1, "modifiedOn": "2026-01-01T10:00:00.5",
         "relatiesoort": ["Leverancier"], "kredietLimiet": 500.0,
         "vestigingsAdres": {"plaats": "Utrecht"}},
        {"naam": "Claes", "relatiecode": 2, "modifiedOn": "2026-01-03T10:00:00",
         "relatiesoort": [], "kredietLimiet": None, "vestigingsAdres": {"plaats": "Gent"}},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Relatiecode eq 1", ["Aalders"]),
        ("Relatiecode ne 1", ["Bakker", "Claes"]),
        ("Relatiecode ge 2", ["Bakker", "Claes"]),
        ("Relatiecode lt 2", ["Aalders"]),
        ("Relatiecode le 2", ["Aalders", "Claes"]),
        ("ModifiedOn gt datetime'2026-01-01T10:00:00'", ["Bakker", "Aalders", "Claes"]),
        ("ModifiedOn gt datetime'2026-01-01T10:00:00.5'", ["Bakker", "Claes"]),
        ("Relatiesoort/any(r:r eq 'Klant')", ["Bakker"]),
        ("Relatiesoort/any()", ["Bakker", "Aalders"]),
        ("Relatiesoort/all(r:r eq 'Klant')", ["Bakker", "Claes"]),
        ("substringof('ae', Naam) eq true", ["Claes"]),
        ("startswith(Naam,'Aa') eq true", ["Aalders"]),
        ("startswith(Naam,'Aa')", ["Aalders"]),
        ("endswith(tolower(Naam), 'er')", ["Bakker"]),
        ("toupper(Naam) eq 'CLAES' or length(Naam) eq 6", ["Bakker", "Claes"]),
        ("trim(Naam) eq 'Claes'", ["Claes"]),
        ("KredietLimiet ne null", ["Aalders"]),
        ("KredietLimiet eq null", ["Bakker", "Claes"]),
        ("KredietLimiet gt 100", ["Aalders"]),
        ("KredietLimiet gt 100.5", ["Aalders"]),
        ("VestigingsAdres/Plaats eq 'Gent'", ["Claes"]),
        ("VestigingsAdres/Plaats ne 'Gent'", ["Bakker", "Aalders"]),
        ("year(ModifiedOn) eq 2026 and day(ModifiedOn) eq 3", ["Claes"]),
        (
            "month(ModifiedOn) eq 1 and hour(ModifiedOn) eq 10 and minute(ModifiedOn) eq 0 "
            "and second(ModifiedOn) eq 0",
            ["Bakker", "Aalders", "Claes"],
        ),
        ("not (Relatiecode eq 1)", ["Bakker", "Claes"]),
        ("(Relatiecode eq 1 or Relatiecode eq 2) and Naam ne 'Claes'", ["Aalders"]),
        ("Naam eq (('Bakker'))", ["Bakker"]),
    ],
)
def test_filters_evaluate_like_odata(text: str, expected: list[str]) -> None:
    options = parse_query_options({"$filter": text}, RELATIE_FIELDS)
    assert [r["naam"] for r in apply_query(_records(), options, RELATIE_FIELDS)] == expected


def test_orderby_skip_top_and_select() -> None:
    options = parse_query_options(
        {"$orderby": "Relatiecode desc, Naam", "$skip": "1", "$top": "1", "$select": "Naam,Id"},
        RELATIE_FIELDS,
    )
    assert apply_query(_records(), options, RELATIE_FIELDS) == [{"naam": "Claes", "id": None}]
    ascending = parse_query_options({"$orderby": "KredietLimiet asc"}, RELATIE_FIELDS)
    ordered = apply_query(_records(), ascending, RELATIE_FIELDS)
    assert [r["naam"] for r in ordered] == ["Bakker", "Claes", "Aalders"]  # nulls first
    star = parse_query_options({"$select": "*"}, RELATIE_FIELDS)
    assert apply_query(_records(), star, RELATIE_FIELDS)[0]["naam"] == "Bakker"


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture
def three(api: httpx.Client, admin: SandboxAdministration, clock: SimulatedClock) -> list[str]:
    ids = []
    for naam, code, soort in (("Bakker", 12, "Klant"), ("Aalders", 7, "Leverancier"),
                              ("Test Claes", 30, "Klant")):  # fmt: skip
        clock.advance(minutes=1)
        body = klant(admin, naam=naam, relatiecode=code, relatiesoort=[soort],
                     vestigingsAdres=address(admin), btwNummer=None)  # fmt: skip
        ids.append(api.post("/relaties", json=body).json()["id"])
    return ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Relatiecode eq 12", ["Bakker"]),
        ("ModifiedOn gt datetime'2026-01-05T09:01:00'", ["Aalders", "Test Claes"]),
        ("Relatiesoort/any(r:r eq 'Klant')", ["Bakker", "Test Claes"]),
        ("substringof('Test', Naam) eq true", ["Test Claes"]),
        (
            "startswith(Naam,'Test') eq true and ModifiedOn gt datetime'2026-01-05T09:00:00'",
            ["Test Claes"],
        ),
        ("Relatiecode eq 7 or Relatiecode eq 30", ["Aalders", "Test Claes"]),
    ],
)
def test_relaties_filter_over_http(
    api: httpx.Client, three: list[str], text: str, expected: list[str]
) -> None:
    response = api.get("/relaties", params={"$filter": text})
    assert response.status_code == 200
    assert [r["naam"] for r in response.json()] == expected


def test_filter_on_id_and_nested_land(
    api: httpx.Client, admin: SandboxAdministration, three: list[str]
) -> None:
    by_id = api.get("/relaties", params={"$filter": f"Id eq guid'{three[1]}'"}).json()
    assert [r["naam"] for r in by_id] == ["Aalders"]
    nl = admin.land_id("NL")
    outside = api.get(
        "/relaties", params={"$filter": f"VestigingsAdres/Land/Id ne guid'{nl}'"}
    ).json()
    # The own company has no address: ``null ne guid'…'`` is true in OData.
    assert [r["relatiesoort"] for r in outside] == [["Eigen"]]
    own = api.get("/relaties", params={"$filter": "Relatiesoort/any(r:r eq 'Eigen')"}).json()
    assert [r["naam"] for r in own] == ["Acme BV"]


@pytest.mark.parametrize(
    "text", ["naam eq 'Bakker'", "Relatiecode eq '12'", "contains(Naam,'x')", "Naam eq"]
)
def test_bad_filter_is_alg_0104(api: httpx.Client, three: list[str], text: str) -> None:
    response = api.get("/relaties", params={"$filter": text})
    assert response.json() == [{"errorCode": "ALG-0104", "message": "Ongeldig OData filter"}]


def test_paging_has_no_next_link(api: httpx.Client, three: list[str]) -> None:
    first = api.get("/relaties", params={"$top": "2"}).json()
    second = api.get("/relaties", params={"$top": "2", "$skip": "2"}).json()
    third = api.get("/relaties", params={"$top": "2", "$skip": "4"}).json()
    assert isinstance(first, list)
    assert third == []  # a short (here empty) page is the only end marker
    assert [r["naam"] for r in first + second] == ["Acme BV", "Bakker", "Aalders", "Test Claes"]


def test_select_returns_only_the_chosen_properties(api: httpx.Client, three: list[str]) -> None:
    rows = api.get("/relaties", params={"$select": "Id,Naam", "$skip": "1", "$top": "1"}).json()
    assert rows == [{"id": three[0], "naam": "Bakker"}]


def test_more_than_500_items_come_back_500_at_a_time(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    for nummer in range(1, 521):
        admin.add_ledger(10_000 + nummer, f"Rekening {nummer}")
    page = api.get("/grootboeken", params={"$top": "1000"}).json()
    assert len(page) == 500
    assert len(api.get("/grootboeken").json()) == 500
    rest = api.get("/grootboeken", params={"$skip": "500"}).json()
    assert len(rest) == 520 + 17 - 500


def test_endpoints_without_odata_ignore_a_bad_filter(api: httpx.Client) -> None:
    for path in ("/landen", "/kostenplaatsen", "/btwtarieven"):
        assert api.get(path, params={"$filter": "not valid at all ("}).status_code == 200
    assert errors(api.get("/grootboeken", params={"$filter": "("})) == ["ALG-0104"]
