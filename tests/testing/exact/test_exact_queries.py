"""OData over HTTP: the envelope, paging, query options, bulk, sync and Deleted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.exact import ExactSandbox
from tests.testing.exact.paths import DIVISION, OTHER_DIVISION, api

ALL_ACCOUNTS = {"$filter": "Blocked eq false"}


def _seed_accounts(sandbox: ExactSandbox, count: int) -> None:
    for number in range(count):
        sandbox.add_account(
            DIVISION, f"Klant {number:04d}", City="Utrecht" if number % 2 else "Gent"
        )


def _follow(http: httpx.Client, url: str, params: dict[str, str] | None = None) -> list[list[Any]]:
    pages: list[list[Any]] = []
    response = http.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()["d"]
        pages.append(body["results"])
        if "__next" not in body:
            return pages
        response = http.get(body["__next"])


def _error(response: httpx.Response) -> str:
    value: str = response.json()["error"]["message"]["value"]
    return value


def test_lists_come_in_sixty_row_pages_linked_by_next(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    _seed_accounts(sandbox, 130)
    pages = _follow(http, api("crm/Accounts"), {**ALL_ACCOUNTS, "$select": "ID,Name"})
    assert [len(page) for page in pages] == [60, 60, 10]
    ids = [row["ID"] for page in pages for row in page]
    assert len(set(ids)) == 130
    first = http.get(api("crm/Accounts"), params={**ALL_ACCOUNTS, "$select": "ID"}).json()["d"]
    # the next link keeps the query and adds a $skiptoken with the last key (§4.2)
    assert "$skiptoken=guid'" in first["__next"]
    assert "$select=ID" in first["__next"]
    assert first["__next"].startswith("https://start.exactonline.nl/api/v1/1234567/crm/Accounts?")


def test_top_skip_orderby_and_inlinecount(sandbox: ExactSandbox, http: httpx.Client) -> None:
    _seed_accounts(sandbox, 70)
    params = {
        **ALL_ACCOUNTS,
        "$select": "Name",
        "$orderby": "Name desc",
        "$skip": "5",
        "$top": "65",
        "$inlinecount": "allpages",
    }
    body = http.get(api("crm/Accounts"), params=params).json()["d"]
    assert body["__count"] == "70"  # a string, as OData v2 JSON has it
    assert [row["Name"] for row in body["results"][:2]] == ["Klant 0064", "Klant 0063"]
    assert len(body["results"]) == 60
    rest = http.get(body["__next"]).json()["d"]
    assert [row["Name"] for row in rest["results"]] == [f"Klant {n:04d}" for n in range(4, -1, -1)]
    assert "__next" not in rest
    ordered = http.get(
        api("crm/Accounts"),
        params={**ALL_ACCOUNTS, "$orderby": "City,Name", "$top": "2", "$select": "Name,City"},
    ).json()["d"]["results"]
    assert [row["Name"] for row in ordered] == ["Klant 0000", "Klant 0002"]


def test_count_segment_returns_a_plain_number(sandbox: ExactSandbox, http: httpx.Client) -> None:
    _seed_accounts(sandbox, 7)
    response = http.get(api("crm/Accounts/$count"), params={"$filter": "City eq 'Gent'"})
    assert response.text == "4"


def test_accounts_without_filter_get_the_mandatory_filter_error(http: httpx.Client) -> None:
    response = http.get(api("crm/Accounts"), params={"$select": "ID"})
    assert response.status_code == 400
    assert _error(response) == (
        "This endpoint has mandatory filtering applied. A GET request for this endpoint must "
        "have a $filter parameter with one of the following fields in the url:Accountant,"
        "AccountManager,AddressLine1,AddressLine2,AddressLine3,Blocked,BRIN,BSN,"
        "ChamberOfCommerce,City,Classification1,Classification2,Classification3,"
        "Classification4,Classification5,Classification6,Classification7,Classification8,"
        "Classification,Code,CodeAtSupplier,Country,Created,Email,EndDate,Fax,ID,InvoiceAccount,"
        "IsAccountant,IsReseller,IsSales,IsSupplier,MainContact,Modified,Name,Parent,Phone,"
        "Postcode,PriceList,Reseller,RSIN,SearchCode,StartDate,Status,Type,VATNumber."
    )
    # Filtering only on a field outside the list does not satisfy the rule either.
    other = http.get(api("crm/Accounts"), params={"$filter": "Website eq 'x'"})
    assert other.status_code == 400


def test_code_filter_needs_the_padding_or_trim(sandbox: ExactSandbox, http: httpx.Client) -> None:
    sandbox.add_account(DIVISION, "Acme", Code="25")

    def names(expression: str) -> list[str]:
        rows = http.get(api("crm/Accounts"), params={"$filter": expression}).json()["d"]["results"]
        return [row["Name"] for row in rows]

    assert names("Code eq '25'") == []
    assert names(f"Code eq '{'25':>18}'") == ["Acme"]
    assert names("trim(Code) eq '25'") == ["Acme"]


def test_string_functions_and_guid_literals_filter(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    acme = sandbox.add_account(DIVISION, "Acme Holding")
    sandbox.add_account(DIVISION, "Beta")

    def names(expression: str) -> list[str]:
        rows = http.get(api("crm/Accounts"), params={"$filter": expression}).json()["d"]["results"]
        return sorted(row["Name"] for row in rows)

    assert names("substringof('hold', Name) eq true") == ["Acme Holding"]
    assert names("startswith(Name, 'Be') or Name eq 'nobody'") == ["Beta"]
    assert names(f"ID eq guid'{acme['ID']}'") == ["Acme Holding"]
    assert names(f"not (ID eq guid'{acme['ID']}') and Blocked eq false") == ["Beta"]
    assert names("Created ge datetime'2026-01-05T00:00:00'") == ["Acme Holding", "Beta"]
    assert names("Created lt datetime'2026-01-05T00:00:00'") == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"$filter": "Nonsense eq 1"},
            "No property 'Nonsense' exists in type 'Exact.Web.Api.Models.Account'.",
        ),
        ({"$filter": "Name eq 'x'", "$select": "ID,Nope"}, "No property 'Nope'"),
        ({"$filter": "Name eq 'x'", "$orderby": "Nope"}, "No property 'Nope'"),
        ({"$filter": "Name eq"}, "Expression expected"),
        ({"$filter": "Name eq 'x'", "$top": "ten"}, "Invalid value for $top"),
        ({"$filter": "Name gt 5"}, "incompatible"),
    ],
)
def test_bad_query_options_give_400_with_exacts_error_body(
    sandbox: ExactSandbox, http: httpx.Client, params: dict[str, str], message: str
) -> None:
    sandbox.add_account(DIVISION, "Acme")
    response = http.get(api("crm/Accounts"), params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == ""
    assert body["error"]["message"]["lang"] == ""
    assert message in body["error"]["message"]["value"]


def test_single_entity_by_key_and_bad_keys(sandbox: ExactSandbox, http: httpx.Client) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    body = http.get(api(f"crm/Accounts(guid'{acme['ID']}')")).json()
    assert body["d"]["Name"] == "Acme"
    assert body["d"]["__metadata"]["uri"].endswith(f"crm/Accounts(guid'{acme['ID']}')")
    assert http.get(api("crm/Accounts(guid'nope')")).status_code == 400
    assert http.get(api("crm/Accounts(Name eq 'x')")).status_code == 400
    assert http.get(api("crm/Nothing")).status_code == 404
    assert http.get("/api/v1/abc/crm/Accounts").status_code == 404
    assert http.get("/elsewhere").status_code == 404


def test_bulk_pages_by_1000_and_demands_select(sandbox: ExactSandbox, http: httpx.Client) -> None:
    _seed_accounts(sandbox, 1005)
    no_select = http.get(api("bulk/CRM/Accounts"), params=ALL_ACCOUNTS)
    assert no_select.status_code == 400
    assert _error(no_select) == "Please add a $select or a $top=1 statement to the query string."
    assert (
        http.get(api("bulk/CRM/Accounts"), params={**ALL_ACCOUNTS, "$top": "1"}).status_code == 200
    )
    pages = _follow(http, api("bulk/CRM/Accounts"), {**ALL_ACCOUNTS, "$select": "ID,Code"})
    assert [len(page) for page in pages] == [1000, 5]
    assert http.post(api("bulk/CRM/Accounts"), json={}).status_code == 405


def test_sync_reads_changes_after_a_timestamp(sandbox: ExactSandbox, http: httpx.Client) -> None:
    first = sandbox.add_account(DIVISION, "Eerste")
    second = sandbox.add_account(DIVISION, "Tweede")
    rows = http.get(
        api("sync/CRM/Accounts"),
        params={"$filter": "Timestamp gt 1L", "$select": "ID,Name,Timestamp"},
    ).json()["d"]["results"]
    assert [row["Name"] for row in rows] == ["Eerste", "Tweede"]
    high = max(row["Timestamp"] for row in rows)
    assert rows[0]["Timestamp"] < rows[1]["Timestamp"]
    sandbox.change(DIVISION, "crm/Accounts", first["ID"], City="Zwolle")
    changed = http.get(
        api("sync/CRM/Accounts"), params={"$filter": f"Timestamp gt {high}L"}
    ).json()["d"]["results"]
    assert [(row["Name"], row["City"]) for row in changed] == [("Eerste", "Zwolle")]
    assert "Timestamp" in changed[0]
    assert changed[0]["ID"] != str(second["ID"])


def test_sync_allows_only_the_timestamp_filter_and_pages_by_1000(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    refused = http.get(api("sync/CRM/Accounts"), params={"$filter": "Name eq 'x'"})
    assert refused.status_code == 400
    assert _error(refused) == "Filtering on these fields is not supported: Name"
    _seed_accounts(sandbox, 1001)
    first = http.get(
        api("sync/CRM/Accounts"), params={"$filter": "Timestamp gt 1L", "$select": "ID,Timestamp"}
    ).json()["d"]
    assert len(first["results"]) == 1000
    assert "$skiptoken=" in first["__next"]
    last = http.get(first["__next"]).json()["d"]
    assert len(last["results"]) == 1
    assert last["results"][0]["Timestamp"] > first["results"][-1]["Timestamp"]


def test_sync_deleted_logs_deletions_with_entity_type(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    acme = sandbox.add_account(DIVISION, "Weg ermee")
    assert http.delete(api(f"crm/Accounts(guid'{acme['ID']}')")).status_code == 204
    rows = http.get(api("sync/Deleted"), params={"$filter": "Timestamp gt 1L"}).json()["d"][
        "results"
    ]
    assert [(row["EntityKey"], row["EntityType"]) for row in rows] == [(str(acme["ID"]), 2)]
    assert rows[0]["DeletedDate"].startswith("/Date(")


def test_divisions_hold_separate_data(sandbox: ExactSandbox, http: httpx.Client) -> None:
    sandbox.add_account(DIVISION, "Alleen hier")
    here = http.get(api("crm/Accounts"), params=ALL_ACCOUNTS).json()["d"]["results"]
    there = http.get(api("crm/Accounts", OTHER_DIVISION), params=ALL_ACCOUNTS).json()["d"][
        "results"
    ]
    assert [row["Name"] for row in here] == ["Alleen hier"]
    assert there == []


def test_accountant_change_bumps_modified_and_timestamp(
    sandbox: ExactSandbox, clock: SimulatedClock
) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    clock.advance(60)
    changed = sandbox.change(DIVISION, "crm/Accounts", str(acme["ID"]), Name="Acme Groep")
    assert changed["Name"] == "Acme Groep"
    assert changed["Modified"] > acme["Modified"]
    assert changed["Timestamp"] > acme["Timestamp"]
    with pytest.raises(ValueError, match="Verplicht: Naam"):
        sandbox.change(DIVISION, "crm/Accounts", acme["ID"], Name="")
