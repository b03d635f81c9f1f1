"""A third-party client's whole session against the sandbox over real HTTP on loopback.

Issue #15: an unmodified public Exact client was pointed at ``ExactSandbox.serve()``. This
test replays the requests such a client makes, in its order, through a real socket (not the
mock transport): consent and token, ``current/Me``, divisions (``hrm/Divisions`` first, as
older clients do), paging by ``__next``, ``$select`` lists with percent-encoded commas, the
padded ``Code`` filter, create/update/delete, and the refresh after 570 s on the sandbox's
clock. Every call checks its status and Exact's envelope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.exact import ExactSandbox
from finlink.testing.exact.server import ServerHandle
from tests.testing.exact.paths import DIVISION

JSON = "application/json"


@pytest.fixture
def served(sandbox: ExactSandbox) -> Iterator[ServerHandle]:
    """The sandbox on a loopback port, writing links that point at that port."""
    with sandbox.serve() as handle:
        sandbox.base_url = sandbox.service.base_url = handle.url
        yield handle


def _data(response: httpx.Response, status: int) -> Any:
    """The ``d`` of an OK answer, after checking status, content type and envelope."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(JSON)
    body = response.json()
    assert set(body) == {"d"}, body
    return body["d"]


def _rows(response: httpx.Response) -> tuple[list[dict[str, Any]], str | None]:
    """A list page: ``{"d": {"results": [...], "__next": "..."}}``."""
    data = _data(response, 200)
    assert set(data) <= {"results", "__next", "__count"}
    assert all("__metadata" in row for row in data["results"])
    return data["results"], data.get("__next")


def _error(response: httpx.Response, status: int) -> str:
    """The text of Exact's error envelope ``{"error": {"code", "message": {"lang", "value"}}}``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert set(body["error"]["message"]) == {"lang", "value"}
    value: str = body["error"]["message"]["value"]
    return value


def _limited(response: httpx.Response) -> None:
    """A division call carries the rate-limit headers (reference §3.1)."""
    assert int(response.headers["X-RateLimit-Minutely-Remaining"]) < 60
    assert response.headers["X-RateLimit-Limit"] == "5000"


def test_a_third_party_client_session_over_loopback_http(
    sandbox: ExactSandbox, clock: SimulatedClock, served: ServerHandle
) -> None:
    app = sandbox.app
    for n in range(1, 131):
        sandbox.add_account(DIVISION, f"Relatie {n:03}", Code=str(n))
    base = f"{served.url}/api/v1"
    with httpx.Client(timeout=5, headers={"Accept": JSON}) as client:
        # -- consent (the user's browser) and the code exchange -------------------------
        consent = client.get(
            f"{served.url}/api/oauth2/auth",
            params={
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "response_type": "code",
            },
        )
        assert consent.status_code == 302
        code = httpx.URL(consent.headers["Location"]).params["code"]
        issued = client.post(
            f"{served.url}/api/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": app.redirect_uri,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            },
        )
        assert issued.status_code == 200
        tokens = issued.json()
        assert tokens["token_type"] == "Bearer"
        assert tokens["expires_in"] == "600"  # a string, as picqer checks with ctype_digit
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"

        # -- who am I, which divisions ---------------------------------------------------
        me = client.get(f"{base}/current/Me?$select=CurrentDivision")
        (row,) = _rows(me)[0]
        assert set(row) == {"__metadata", "CurrentDivision"}
        division = row["CurrentDivision"]
        assert division == DIVISION
        assert "X-RateLimit-Remaining" not in me.headers  # current/Me is free (§2)
        hrm = client.get(f"{base}/{division}/hrm/Divisions?$select=Code%2CDescription")
        _limited(hrm)
        assert [(r["Code"], r["Description"]) for r in _rows(hrm)[0]] == [
            (1234567, "Voorbeeld B.V."),
            (1234568, "Stichting Voorbeeld"),
        ]
        assert b"%2C" in hrm.request.url.raw_path  # the commas really travelled encoded
        system = client.get(f"{base}/{division}/system/Divisions?$select=Code%2CDescription")
        assert _rows(system)[0] == _rows(hrm)[0]

        # -- paging with __next ----------------------------------------------------------
        url: str | None = (
            f"{base}/{division}/crm/Accounts?$select=ID%2CCode%2CName&$filter=Blocked eq false"
        )
        pages: list[int] = []
        names: list[str] = []
        while url is not None:
            page = client.get(url)
            _limited(page)
            rows, url = _rows(page)
            assert all(set(r) == {"__metadata", "ID", "Code", "Name"} for r in rows)
            assert url is None or url.startswith(f"{base}/{division}/crm/Accounts?")
            pages.append(len(rows))
            names.extend(r["Name"] for r in rows)
        assert pages == [60, 60, 10]
        assert len(set(names)) == 130

        # -- the padded Code filter (§4.5: 18 characters, left-padded) ------------------
        padded = client.get(
            f"{base}/{division}/crm/Accounts",
            params={"$filter": f"Code eq '{'42':>18}'", "$select": "Name,Code"},
        )
        (hit,) = _rows(padded)[0]
        assert (hit["Name"], hit["Code"]) == ("Relatie 042", "42".rjust(18))
        bare = client.get(f"{base}/{division}/crm/Accounts", params={"$filter": "Code eq '42'"})
        assert _rows(bare)[0] == []  # without the padding Exact finds nothing
        trimmed = client.get(
            f"{base}/{division}/crm/Accounts", params={"$filter": "trim(Code) eq '42'"}
        )
        assert len(_rows(trimmed)[0]) == 1
        unfiltered = client.get(f"{base}/{division}/crm/Accounts")
        assert "mandatory filtering" in _error(unfiltered, 400)

        # -- create, read back, update, delete -------------------------------------------
        created = client.post(
            f"{base}/{division}/crm/Accounts",
            json={"Name": "Nieuw B.V.", "Code": "900", "Status": "C", "City": "Houten"},
            headers={"Prefer": "return=representation"},
        )
        account = _data(created, 201)
        key = account["ID"]
        assert account["Code"] == "900".rjust(18)
        assert account["__metadata"]["uri"] == (f"{base}/{division}/crm/Accounts(guid'{key}')")
        contact = client.post(
            f"{base}/{division}/crm/Contacts",
            json={"Account": key, "FirstName": "Anna", "MiddleName": "de", "LastName": "Vries"},
        )
        assert _data(contact, 201)["LastName"] == "Vries"
        contacts = client.get(
            f"{base}/{division}/crm/Contacts?$select=ID%2CCode%2CFirstName%2CMiddleName%2CLastName"
        )
        (person,) = _rows(contacts)[0]
        assert person["Code"] is None  # listed by Exact, not simulated (issue #15)
        assert (person["FirstName"], person["MiddleName"], person["LastName"]) == (
            "Anna",
            "de",
            "Vries",
        )
        updated = client.put(
            f"{base}/{division}/crm/Accounts(guid'{key}')", json={"City": "Utrecht"}
        )
        assert updated.status_code == 204
        assert updated.content == b""
        again = client.get(f"{base}/{division}/crm/Accounts(guid'{key}')?$select=City%2CName")
        assert _data(again, 200)["City"] == "Utrecht"
        gone = client.delete(f"{base}/{division}/crm/Contacts(guid'{_rows(contacts)[0][0]['ID']}')")
        assert gone.status_code == 204
        deleted = client.delete(f"{base}/{division}/crm/Accounts(guid'{key}')")
        assert deleted.status_code == 204
        missing = client.get(f"{base}/{division}/crm/Accounts(guid'{key}')")
        _error(missing, 404)

        # -- the token refresh: refused before 570 s, granted from then on ---------------
        refresh_form = {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }
        clock.advance(569)
        early = client.post(f"{served.url}/api/oauth2/token", data=refresh_form)
        assert early.status_code == 400
        assert early.json()["error"] == "access_denied"
        assert early.headers["Reason"] == "TooEarlyToRefreshTokens"
        clock.advance(1)  # 570 s after the token was issued
        refreshed = client.post(f"{served.url}/api/oauth2/token", data=refresh_form)
        assert refreshed.status_code == 200
        fresh = refreshed.json()
        assert fresh["refresh_token"] != tokens["refresh_token"]  # rotated on every refresh
        assert fresh["expires_in"] == "600"
        clock.advance(31)  # the first access token has now lived 601 s
        expired = client.get(f"{base}/{division}/system/Divisions?$select=Code")
        _error(expired, 401)
        client.headers["Authorization"] = f"Bearer {fresh['access_token']}"
        after = client.get(f"{base}/{division}/system/Divisions?$select=Code")
        assert len(_rows(after)[0]) == 2
        reused = client.post(f"{served.url}/api/oauth2/token", data=refresh_form)
        assert reused.status_code == 401  # the rotated-out refresh token is dead
