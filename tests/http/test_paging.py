"""Pagers: OData __next links and $skip/$top, with loop detection and a page cap."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from finlink import BackendError
from finlink.clock import SimulatedClock
from finlink.http import (
    ApiClient,
    iter_odata,
    iter_odata_pages,
    iter_skip_top,
    iter_skip_top_pages,
    odata_page,
)

BASE = "https://start.exactonline.nl/api/v1/1/crm/Accounts"


class Pages:
    """A fetch function answering from a dict of URL -> body, recording calls."""

    def __init__(self, bodies: Mapping[str, Any]) -> None:
        self.bodies = bodies
        self.calls: list[tuple[str, Mapping[str, str] | None]] = []

    def __call__(self, url: str, params: Mapping[str, str] | None) -> Any:
        self.calls.append((url, params))
        return self.bodies[url]


def _page(rows: list[int], next_url: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"results": [{"ID": r} for r in rows]}
    if next_url:
        d["__next"] = next_url
    return {"d": d}


def test_follows_next_links_verbatim_until_there_is_none() -> None:
    fetch = Pages(
        {
            BASE: _page([1, 2], f"{BASE}?$skiptoken=guid'a'"),
            f"{BASE}?$skiptoken=guid'a'": _page([3, 4], f"{BASE}?$skiptoken=guid'b'"),
            f"{BASE}?$skiptoken=guid'b'": _page([5]),
        }
    )
    rows = list(iter_odata(fetch, BASE, {"$select": "ID"}))
    assert [r["ID"] for r in rows] == [1, 2, 3, 4, 5]
    # The first page gets the caller's parameters; next links carry their own.
    assert fetch.calls == [
        (BASE, {"$select": "ID"}),
        (f"{BASE}?$skiptoken=guid'a'", None),
        (f"{BASE}?$skiptoken=guid'b'", None),
    ]


def test_pages_are_fetched_lazily() -> None:
    fetch = Pages({BASE: _page([1], f"{BASE}?p=2"), f"{BASE}?p=2": _page([2])})
    pages = iter_odata_pages(fetch, BASE)
    assert next(pages) == [{"ID": 1}]
    assert len(fetch.calls) == 1


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        ({"d": [{"ID": 1}, {"ID": 2}]}, [{"ID": 1}, {"ID": 2}]),
        ({"d": {"__metadata": {"uri": "x"}, "ID": 7}}, [{"__metadata": {"uri": "x"}, "ID": 7}]),
        ({"d": {"results": [], "__next": ""}}, []),
    ],
)
def test_tolerates_a_bare_list_and_a_single_entity(body: object, rows: list[Any]) -> None:
    assert odata_page(body) == (rows, None)


@pytest.mark.parametrize("body", [[1, 2], {"value": []}, {"d": "text"}, None])
def test_refuses_a_body_that_is_no_odata_page(body: object) -> None:
    with pytest.raises(BackendError, match="not an OData page"):
        odata_page(body)


def test_next_link_seen_before_is_a_loop() -> None:
    fetch = Pages({BASE: _page([1], f"{BASE}?p=2"), f"{BASE}?p=2": _page([2], BASE)})
    pages = iter_odata_pages(fetch, BASE)
    assert next(pages) == [{"ID": 1}]
    assert next(pages) == [{"ID": 2}]
    with pytest.raises(BackendError, match="page 2 links back to an earlier page"):
        next(pages)


def test_page_identical_to_the_previous_one_is_a_loop() -> None:
    fetch = Pages({BASE: _page([1], f"{BASE}?p=2"), f"{BASE}?p=2": _page([1], f"{BASE}?p=3")})
    with pytest.raises(BackendError, match="page 2 repeats page 1"):
        list(iter_odata(fetch, BASE))


def test_page_cap_stops_an_endless_list() -> None:
    fetch = Pages({f"{BASE}?p={n}": _page([n], f"{BASE}?p={n + 1}") for n in range(10)})
    with pytest.raises(BackendError, match="more than 3 pages"):
        list(iter_odata(fetch, f"{BASE}?p=0", max_pages=3))
    assert len(fetch.calls) == 3


def test_loop_errors_name_the_path_but_not_the_query() -> None:
    url = "https://b2bapi.snelstart.nl/v2/relaties?subscription-key=SECRETKEY"
    fetch = Pages({url: {"d": {"results": [{"a": 1}], "__next": url}}})
    with pytest.raises(BackendError) as caught:
        list(iter_odata(fetch, url))
    assert "/v2/relaties" in str(caught.value)
    assert "SECRETKEY" not in str(caught.value)


class SkipTopServer:
    """A SnelStart-like list of ``total`` rows answering $skip/$top, at most 500 per page."""

    def __init__(self, total: int, *, ignore_skip: bool = False, envelope: bool = False) -> None:
        self.rows = [{"id": n} for n in range(total)]
        self.ignore_skip = ignore_skip
        self.envelope = envelope
        self.calls: list[dict[str, str]] = []

    def __call__(self, url: str, params: Mapping[str, str] | None) -> Any:
        query = dict(params or {})
        self.calls.append(query)
        skip = 0 if self.ignore_skip else int(query["$skip"])
        top = min(500, int(query["$top"]))
        page = self.rows[skip : skip + top]
        return {"value": page} if self.envelope else page


@pytest.mark.parametrize(("total", "requests"), [(0, 1), (499, 1), (500, 2), (1234, 3)])
def test_skip_top_stops_after_the_first_short_page(total: int, requests: int) -> None:
    server = SkipTopServer(total)
    rows = list(iter_skip_top(server, "https://b2bapi.snelstart.nl/v2/relaties", {"$filter": "x"}))
    assert rows == server.rows
    assert len(server.calls) == requests
    assert server.calls[0] == {"$filter": "x", "$skip": "0", "$top": "500"}


def test_skip_top_reads_an_odata_value_envelope_and_a_small_page_size() -> None:
    server = SkipTopServer(60, envelope=True)
    pages = list(iter_skip_top_pages(server, "https://x.test/v2/artikelen", page_size=25))
    assert [len(p) for p in pages] == [25, 25, 10]
    assert [c["$skip"] for c in server.calls] == ["0", "25", "50"]


def test_skip_top_server_ignoring_skip_is_a_loop() -> None:
    with pytest.raises(BackendError, match=r"page 2 repeats page 1; the server ignores \$skip"):
        list(iter_skip_top(SkipTopServer(2000, ignore_skip=True), "https://x.test/v2/relaties"))


def test_skip_top_page_cap() -> None:
    server = SkipTopServer(5000)
    with pytest.raises(BackendError, match="more than 2 pages"):
        list(iter_skip_top(server, "https://x.test/v2/relaties", max_pages=2))
    assert len(server.calls) == 2


def test_skip_top_refuses_a_non_list_body_and_a_bad_page_size() -> None:
    with pytest.raises(BackendError, match="not a list page"):
        list(iter_skip_top(lambda url, params: {"d": []}, "https://x.test/v2/relaties"))
    with pytest.raises(ValueError, match="page_size"):
        list(iter_skip_top(SkipTopServer(1), "https://x.test/v2/relaties", page_size=0))


def test_pagers_work_with_api_client_get_json(clock: SimulatedClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("$skiptoken")
        body = _page([1, 2], f"{BASE}?$skiptoken=guid'x'") if token is None else _page([3])
        return httpx.Response(200, content=json.dumps(body).encode())

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        api = ApiClient(http, clock=clock)
        assert [r["ID"] for r in iter_odata(api.get_json, BASE)] == [1, 2, 3]
