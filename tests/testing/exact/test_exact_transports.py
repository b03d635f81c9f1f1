"""Both transport paths (mock transport and loopback server) and injected faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from finlink.testing.exact import ExactSandbox, Fault, ServerHandle
from tests.testing.exact.paths import DIVISION, api

ACCOUNT = {"Name": "Acme", "Status": "C"}


@pytest.fixture
def server(sandbox: ExactSandbox) -> Iterator[ServerHandle]:
    with sandbox.serve() as handle:
        yield handle


@pytest.fixture
def live(server: ServerHandle, tokens: dict[str, str]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
        yield client


def test_server_listens_on_loopback(server: ServerHandle) -> None:
    assert server.url.startswith("http://127.0.0.1:")


def test_both_paths_give_the_same_answers(
    sandbox: ExactSandbox, http: httpx.Client, live: httpx.Client
) -> None:
    via_mock = http.post(api("crm/Accounts"), json=ACCOUNT)
    via_http = live.post(api("crm/Accounts"), json=ACCOUNT)
    assert (via_mock.status_code, via_http.status_code) == (201, 201)
    assert set(via_mock.json()["d"]) == set(via_http.json()["d"])
    rows = live.get(api("crm/Accounts"), params={"$filter": "Name eq 'Acme'"}).json()["d"][
        "results"
    ]
    assert len(rows) == 2
    # links point at the host that was asked: the loopback server here
    assert rows[0]["__metadata"]["uri"].startswith(live.base_url.scheme + "://127.0.0.1")
    refused = live.get(api("crm/Accounts"))
    assert refused.status_code == 400
    assert refused.headers["X-RateLimit-Minutely-Remaining"] == "56"
    put = live.put(api(f"crm/Accounts(guid'{rows[0]['ID']}')"), json={"City": "Gent"})
    assert (put.status_code, put.content) == (204, b"")
    assert live.delete(api(f"crm/Accounts(guid'{rows[0]['ID']}')")).status_code == 204
    assert sandbox.call_count(DIVISION) == 6


def test_oauth_flow_over_the_loopback_server(sandbox: ExactSandbox, server: ServerHandle) -> None:
    app = sandbox.app
    with httpx.Client(base_url=server.url, timeout=5) as client:
        redirect = client.get(
            "/api/oauth2/auth",
            params={
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "response_type": "code",
            },
        )
        assert redirect.status_code == 302
        code = httpx.URL(redirect.headers["Location"]).params["code"]
        token = client.post(
            "/api/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": app.redirect_uri,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            },
        ).json()
        me = client.get(
            "/api/v1/current/Me", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert me.json()["d"]["results"][0]["CurrentDivision"] == DIVISION


def test_server_error_fault_answers_5xx_and_stores_nothing(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    sandbox.faults.server_error(503, method="POST", path="crm/Accounts")
    failed = http.post(api("crm/Accounts"), json=ACCOUNT)
    assert failed.status_code == 503
    assert failed.json()["error"]["message"]["value"] == "Internal Server Error"
    assert sandbox.records(DIVISION, "crm/Accounts") == []
    assert http.post(api("crm/Accounts"), json=ACCOUNT).status_code == 201  # fired once


def test_timeout_fault_raises_on_the_client_without_handling(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    sandbox.faults.timeout(path="crm/Accounts", times=2)
    for _ in range(2):
        with pytest.raises(httpx.ReadTimeout):
            http.post(api("crm/Accounts"), json=ACCOUNT)
    assert sandbox.records(DIVISION, "crm/Accounts") == []
    assert sandbox.faults.pending == []


def test_bare_429_has_no_rate_limit_headers(sandbox: ExactSandbox, http: httpx.Client) -> None:
    sandbox.faults.bare_429()
    response = http.get(api("financial/Journals"))
    assert response.status_code == 429
    assert not [name for name in response.headers if name.lower().startswith("x-ratelimit")]


def test_dropped_response_commits_the_write(sandbox: ExactSandbox, http: httpx.Client) -> None:
    sandbox.faults.drop_response(path="crm/Accounts")
    with pytest.raises(httpx.ReadTimeout):
        http.post(api("crm/Accounts"), json=ACCOUNT)
    # The write happened: a blind retry would create a duplicate (§6 #3).
    assert [row["Name"] for row in sandbox.records(DIVISION, "crm/Accounts")] == ["Acme"]
    assert http.get(api("financial/Journals")).status_code == 200  # GETs were not matched


def test_faults_over_the_loopback_server_close_the_connection(
    sandbox: ExactSandbox, live: httpx.Client
) -> None:
    sandbox.faults.drop_response(path="crm/Accounts")
    with pytest.raises(httpx.RemoteProtocolError):
        live.post(api("crm/Accounts"), json=ACCOUNT)
    assert len(sandbox.records(DIVISION, "crm/Accounts")) == 1
    sandbox.faults.server_error(502)
    assert live.get(api("financial/Journals")).status_code == 502


def test_fault_plan_matching_and_clearing(sandbox: ExactSandbox) -> None:
    fault = sandbox.faults.add(Fault(kind="status", status=500, method="put"))
    assert fault.matches("PUT", "/api/v1/1/crm/Accounts")
    assert not fault.matches("GET", "/api/v1/1/crm/Accounts")
    sandbox.faults.clear()
    assert sandbox.faults.pending == []
    with pytest.raises(ValueError, match="kind"):
        Fault(kind="explode")


def test_client_helper_carries_base_url_and_accept_header(sandbox: ExactSandbox) -> None:
    with sandbox.client() as client:
        assert str(client.base_url) == "https://start.exactonline.nl"
        assert client.headers["Accept"] == "application/json"
    assert "ExactSandbox(divisions=[1234567, 1234568]" in repr(sandbox)


def test_percent_encoded_keys_are_understood_on_both_paths(
    sandbox: ExactSandbox, http: httpx.Client, live: httpx.Client
) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    path = api(f"crm/Accounts(guid%27{acme['ID']}%27)")
    assert http.get(path).json()["d"]["Name"] == "Acme"
    assert live.get(path).json()["d"]["Name"] == "Acme"
