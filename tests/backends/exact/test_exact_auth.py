"""OAuth against ExactSandbox: consent URL, code exchange, the 570 s rule, rotation, re-consent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from finlink import AuthenticationError, ConfigurationError, PermissionDeniedError
from finlink.backends.exact import EARLIEST_REFRESH, ExactBackend, ExactOAuth, exact_host
from finlink.clock import SimulatedClock
from finlink.http import FileTokenStore, MemoryTokenStore
from tests.backends.exact.support import (
    DIVISION,
    RecordingTransport,
    connected_backend,
    new_sandbox,
    oauth_for,
    recorded_backend,
)

WORKER = Path(__file__).with_name("rotation_worker.py")


def test_authorization_url_asks_for_consent_on_the_country_host() -> None:
    oauth = ExactOAuth(
        client_id="my-client",
        client_secret="s3cr3t",
        redirect_uri="https://crm.example.be/exact/callback",
        host="be",
    )
    url = urlsplit(oauth.authorization_url(state="xyz"))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "start.exactonline.be",
        "/api/oauth2/auth",
    )
    query = parse_qs(url.query)
    assert query["client_id"] == ["my-client"]
    assert query["redirect_uri"] == ["https://crm.example.be/exact/callback"]
    assert query["response_type"] == ["code"]
    assert query["state"] == ["xyz"]
    assert oauth.token_url == "https://start.exactonline.be/api/oauth2/token"


@pytest.mark.parametrize(
    ("country", "host"),
    [
        ("nl", "https://start.exactonline.nl"),
        ("co.uk", "https://start.exactonline.co.uk"),
        ("de", "https://start.exactonline.de"),
        ("https://start.exactonline.fr/", "https://start.exactonline.fr"),
    ],
)
def test_country_hosts(country: str, host: str) -> None:
    assert exact_host(country) == host


def test_unknown_country_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown Exact Online country 'xx'"):
        exact_host("xx")


def test_code_exchange_stores_the_first_tokens() -> None:
    sandbox, _ = new_sandbox()
    store = MemoryTokenStore()
    backend = connected_backend(sandbox, store=store)
    tokens = store.load("exact")
    assert tokens is not None
    assert (tokens.expires_at - tokens.issued_at).total_seconds() == 600
    assert backend.find_project("1") is None  # the stored token works


def test_a_refused_code_is_an_authentication_error() -> None:
    sandbox, _ = new_sandbox()
    backend = ExactBackend(
        oauth=oauth_for(sandbox),
        division=DIVISION,
        token_store=MemoryTokenStore(),
        transport=sandbox.transport(),
        clock=sandbox.clock,
    )
    code = sandbox.authorize()
    backend.connect(code)
    with pytest.raises(AuthenticationError, match="consent again"):
        backend.connect(code)  # single use (§1.2)


def test_no_tokens_stored_asks_for_consent() -> None:
    sandbox, _ = new_sandbox()
    backend = ExactBackend(
        oauth=oauth_for(sandbox),
        division=DIVISION,
        token_store=MemoryTokenStore(),
        transport=sandbox.transport(),
        clock=sandbox.clock,
    )
    with pytest.raises(AuthenticationError, match="consent again"):
        backend.find_project("1")


def test_a_token_younger_than_570_seconds_is_never_refreshed() -> None:
    sandbox, clock = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    clock.advance(EARLIEST_REFRESH.total_seconds() - 1)
    backend.find_project("1")
    assert backend.auth.refreshes == 0
    assert not [c for c in recorder.calls if c.path == "/api/oauth2/token"]


def test_the_token_is_refreshed_in_the_570_to_600_second_window_and_rotated() -> None:
    sandbox, clock = new_sandbox()
    store = MemoryTokenStore()
    backend = connected_backend(sandbox, store=store)
    first = store.load("exact")
    assert first is not None
    clock.advance(575)
    backend.find_project("1")
    second = store.load("exact")
    assert second is not None
    assert backend.auth.refreshes == 1
    assert second.refresh_token != first.refresh_token, "Exact rotates the refresh token"
    assert second.issued_at == clock.now()
    # The old refresh token is dead now (§1.3): using it is refused.
    clock.advance(575)
    with pytest.raises(AuthenticationError, match="Old refresh token used"):
        backend.oauth.refresh(first, http=backend.http, clock=clock)


def test_an_idle_connection_refreshes_after_expiry() -> None:
    sandbox, clock = new_sandbox()
    backend = connected_backend(sandbox)
    clock.advance(3600)
    assert backend.find_project("1") is None
    assert backend.auth.refreshes == 1


def test_a_401_near_expiry_refreshes_once_and_retries() -> None:
    sandbox, clock = new_sandbox()
    backend = connected_backend(sandbox)
    sent = backend.auth.tokens().authorization()
    clock.advance(590)  # Exact may call a token this old expired (§6 quirk 5)
    refused = httpx.Response(
        401,
        request=httpx.Request(
            "GET", "https://start.exactonline.nl/", headers={"Authorization": sent}
        ),
    )
    assert backend.auth.on_unauthorized(refused) is True
    assert backend.auth.refreshes == 1
    assert backend.auth.tokens().authorization() != sent
    assert backend.find_project("1") is None


def test_a_401_on_a_young_token_is_not_refreshed_and_raises() -> None:
    sandbox, clock = new_sandbox()
    backend = connected_backend(sandbox)
    clock.advance(60)
    sandbox.faults.server_error(401, path="hrm/Costcenters", times=3)
    with pytest.raises(AuthenticationError):
        backend.find_project("1")
    assert backend.auth.refreshes == 0, "a refresh before 570 s would be refused by Exact"


def test_a_dead_refresh_token_asks_the_user_to_consent_again() -> None:
    sandbox, clock = new_sandbox()
    backend = connected_backend(sandbox)
    clock.advance(days=31)  # refresh tokens die after 30 idle days (§1.3)
    with pytest.raises(AuthenticationError, match="consent again") as caught:
        backend.find_project("1")
    assert "refresh token expired" in str(caught.value)


def test_a_second_copy_of_the_tokens_without_the_shared_store_burns_the_connection() -> None:
    """Why the store must be shared: a copy refreshing on its own meets "Old refresh token"."""
    sandbox, clock = new_sandbox()
    shared = MemoryTokenStore()
    first = connected_backend(sandbox, store=shared)
    copied = MemoryTokenStore()
    tokens = shared.load("exact")
    assert tokens is not None
    copied.save("exact", tokens)
    second = ExactBackend(
        oauth=oauth_for(sandbox),
        division=DIVISION,
        token_store=copied,
        transport=sandbox.transport(),
        clock=clock,
    )
    clock.advance(580)
    first.find_project("1")
    with pytest.raises(AuthenticationError, match="Old refresh token used"):
        second.find_project("1")


def test_two_backends_sharing_a_store_refresh_once() -> None:
    sandbox, clock = new_sandbox()
    store = MemoryTokenStore()
    first = connected_backend(sandbox, store=store)
    second = ExactBackend(
        oauth=oauth_for(sandbox),
        division=1234568,
        token_store=store,
        transport=sandbox.transport(),
        clock=clock,
    )
    second.find_project("1")
    clock.advance(580)
    first.find_project("1")
    second.find_project("1")  # re-reads the store under the lock: no second refresh
    assert (first.auth.refreshes, second.auth.refreshes) == (1, 0)


def test_rotation_under_two_concurrent_os_processes_sharing_a_file_store(tmp_path: Path) -> None:
    sandbox, clock = new_sandbox()
    store_path = tmp_path / "tokens.json"
    with sandbox.serve() as server, httpx.Client(trust_env=False) as http:
        backend = ExactBackend(
            oauth=oauth_for(sandbox, host=server.url),
            division=DIVISION,
            token_store=FileTokenStore(store_path),
            http=http,
            clock=clock,
        )
        backend.connect(sandbox.authorize())
        clock.advance(580)  # both workers find the token due for a refresh
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "EXACT_CLIENT_ID": sandbox.app.client_id,
            "EXACT_CLIENT_SECRET": sandbox.app.client_secret,
            "EXACT_REDIRECT": sandbox.app.redirect_uri,
        }
        deadline = time.time() + 30
        args = [str(store_path), server.url, clock.now().isoformat(), str(tmp_path / "ready")]
        workers = [
            subprocess.Popen(
                [sys.executable, str(WORKER), *args, name, str(deadline)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            for name in ("a", "b")
        ]
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err.decode()
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
        assert all(result["ok"] for result in results), results
        assert sum(result["refreshed"] for result in results) == 1, (
            "exactly one process refreshes; the other re-reads the stored tokens"
        )
        assert backend.find_project("1") is None  # and the parent picks up the rotated pair


def test_a_too_early_refusal_is_not_repeated_on_every_call() -> None:
    sandbox, _ = new_sandbox()
    own_clock = SimulatedClock()  # runs ahead of Exact's: Exact still calls the token young
    recorder = RecordingTransport(sandbox.transport())
    backend = ExactBackend(
        oauth=oauth_for(sandbox),
        division=DIVISION,
        token_store=MemoryTokenStore(),
        transport=recorder,
        clock=own_clock,
    )
    backend.connect(sandbox.authorize())
    own_clock.advance(575)
    for _ in range(3):
        assert backend.find_project("1") is None  # the stored token is still good at Exact
    refreshes = [c for c in recorder.calls if c.path == "/api/oauth2/token"]
    assert len(refreshes) == 2, "the code exchange and one refused refresh, not one per call"
    assert backend.auth.refreshes == 0


def test_a_division_outside_the_consent_is_permission_denied() -> None:
    sandbox, clock = new_sandbox()
    store = MemoryTokenStore()
    backend = ExactBackend(
        oauth=oauth_for(sandbox),
        division=1234568,
        token_store=store,
        transport=sandbox.transport(),
        clock=clock,
    )
    backend.connect(sandbox.authorize(divisions=[DIVISION]))  # the user ticked one division
    with pytest.raises(PermissionDeniedError):
        backend.find_project("1")
