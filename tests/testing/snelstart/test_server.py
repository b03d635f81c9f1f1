"""The sandbox as a real HTTP server on loopback: same behaviour, real connections."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import httpx
import pytest

from finlink.testing.snelstart import (
    AdministrationKeys,
    SandboxAdministration,
    SandboxServer,
    SnelStartSandbox,
)
from tests.testing.snelstart.support import SpecChecker, errors, klant, parties, verkoop


@pytest.fixture
def server(sandbox: SnelStartSandbox) -> Iterator[SandboxServer]:
    with sandbox.serve() as running:
        yield running


@pytest.fixture
def http(
    server: SandboxServer, keys: AdministrationKeys, spec_checker: SpecChecker
) -> Iterator[httpx.Client]:
    def check(response: httpx.Response) -> None:
        if 200 <= response.status_code < 300 and response.request.url.path.startswith("/v2"):
            response.read()
            path = response.request.url.path.removeprefix("/v2")
            spec_checker.check(response.request.method, path, response.status_code, response.json())

    with httpx.Client(base_url=server.api_url, timeout=5, event_hooks={"response": [check]}) as c:
        token = c.post(
            server.token_url, data={"grant_type": "clientkey", "clientkey": keys.koppelsleutel}
        ).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        c.headers["Ocp-Apim-Subscription-Key"] = keys.subscription_key
        yield c
    assert spec_checker.failures == []


def test_server_listens_on_loopback(server: SandboxServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.api_url == server.url + "/v2"
    assert server.token_url == server.url + "/b2b/token"
    assert "127.0.0.1" in repr(server)


def test_full_flow_over_http(http: httpx.Client, admin: SandboxAdministration) -> None:
    relatie = http.post("/relaties", json=klant(admin))
    assert relatie.status_code == 201
    boeking = http.post("/verkoopboekingen", json=verkoop(admin, relatie.json()["id"]))
    assert boeking.status_code == 201
    assert errors(http.post("/verkoopboekingen", json=verkoop(admin, relatie.json()["id"]))) == [
        "BOE-0021"
    ]
    found = http.get("/verkoopfacturen", params={"$filter": "Factuurnummer eq '2026-0001'"})
    assert [f["factuurnummer"] for f in found.json()] == ["2026-0001"]
    assert http.delete(f"/verkoopboekingen/{boeking.json()['id']}").json() == {}


def test_server_refuses_without_keys(server: SandboxServer) -> None:
    with httpx.Client(base_url=server.api_url) as bare:
        assert bare.get("/landen").status_code == 401
        assert bare.get(server.url + "/other").status_code == 404


def test_dropped_answer_closes_the_connection_after_the_write(
    sandbox: SnelStartSandbox, http: httpx.Client, admin: SandboxAdministration
) -> None:
    sandbox.faults.drop_after_commit("/relaties", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/relaties", json=klant(admin))
    assert len(parties(admin)) == 1
    assert http.get("/landen").status_code == 200  # the client reconnects


def test_timeout_fault_gives_a_read_timeout_on_the_client(
    sandbox: SnelStartSandbox, http: httpx.Client, server: SandboxServer
) -> None:
    sandbox.faults.timeout("/landen")
    with pytest.raises(httpx.ReadTimeout):
        http.get("/landen", timeout=0.2)


def test_concurrency_limit_with_parallel_connections(
    sandbox: SnelStartSandbox, http: httpx.Client, server: SandboxServer, keys: AdministrationKeys,
    admin: SandboxAdministration,
) -> None:  # fmt: skip
    gate = sandbox.faults.hold("/landen")
    headers = dict(http.headers)
    statuses: list[int] = []

    def call() -> None:
        with httpx.Client(base_url=server.api_url, headers=headers, timeout=5) as own:
            statuses.append(own.get("/landen").status_code)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    assert gate.wait_for(5)
    assert admin.in_flight() == 5
    sixth = http.get("/kostenplaatsen")
    gate.open()
    for thread in threads:
        thread.join()
    assert sixth.status_code == 429
    assert statuses == [200] * 5


def test_close_is_idempotent(sandbox: SnelStartSandbox) -> None:
    running = sandbox.serve()
    running.close()
    running.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.url + "/v2/landen", timeout=1)


def test_parallel_writes_keep_relatiecodes_unique(
    server: SandboxServer, http: httpx.Client, admin: SandboxAdministration
) -> None:
    headers = dict(http.headers)
    failures: list[int] = []

    def create(worker: int) -> None:
        with httpx.Client(base_url=server.api_url, headers=headers, timeout=5) as own:
            for n in range(8):
                response = own.post("/relaties", json=klant(admin, naam=f"W{worker}-{n}"))
                if response.status_code != 201:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=create, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # With 4 clients at once the test key's limit of 5 concurrent calls is never exceeded.
    assert failures == []
    codes = [r["relatiecode"] for r in parties(admin)]
    assert sorted(codes) == list(range(1, 33))


def test_request_log_never_shows_the_subscription_key(
    server: SandboxServer, keys: AdministrationKeys, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="finlink.testing.snelstart.server"):
        httpx.get(server.api_url + "/landen", params={"subscription-key": keys.subscription_key})
    # Only the sandbox's own log is in question: httpx logs the URL it was given (with the
    # key in the query string) when another test left the root logger at DEBUG.
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name == "finlink.testing.snelstart.server"
    )
    assert "GET /v2/landen -> 401" in ours
    assert keys.subscription_key not in ours
