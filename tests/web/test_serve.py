"""``finlink serve``: 127.0.0.1 only, a single-user token, never logged."""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from finlink.cli import main
from finlink.cli.state import CliState, SandboxControl
from finlink.web import LocalServer


@pytest.fixture
def served(caplog: pytest.LogCaptureFixture) -> Iterator[tuple[SandboxControl, list[str]]]:
    control = SandboxControl()
    state = CliState(sandbox=control)
    output: list[str] = []

    def run() -> None:
        result = CliRunner().invoke(
            main, ["serve", "--demo", "--demo-size", "20", "--port", "0"], obj=state
        )
        output.append(result.output)

    caplog.set_level(logging.DEBUG)
    thread = threading.Thread(target=run)
    thread.start()
    assert control.ready.wait(60), "finlink serve did not start"
    try:
        yield control, output
    finally:
        control.stop.set()
        thread.join(30)


def test_serve_binds_loopback_and_lets_in_only_the_token_holder(
    served: tuple[SandboxControl, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    control, _ = served
    assert control.url is not None
    assert control.url.startswith("http://127.0.0.1:")
    token = control.credentials["token"]
    assert len(token) >= 24
    with httpx.Client(base_url=control.url) as browser:
        assert browser.get("/").status_code == 403  # no token yet
        assert browser.get("/?token=wrong-token-guess").status_code == 403
        first = browser.get(f"/reviews?token={token}&administration=exact%3A1001001")
        assert first.status_code == 303
        # The token leaves the address bar: the redirect drops it and keeps the rest.
        assert first.headers["location"] == "/reviews?administration=exact%3A1001001"
        assert "HttpOnly" in first.headers["set-cookie"]
        assert "SameSite=strict" in first.headers["set-cookie"]
        assert first.headers["cache-control"] == "no-store"
        page = browser.get("/")
        assert page.status_code == 200
        assert "Signed in as local bookkeeper" in page.text
        assert "Installatiebedrijf Demo B.V. (SnelStart)" in page.text
        assert "open-items" in page.text
        assert browser.get("/plan").status_code == 200
        assert "F" in browser.get("/open-items").text
        assert token not in page.text
        # A forged form: refused, and logged with the user (the token holder).
        assert browser.post("/reviews/1", data={"decision": "dismiss"}).status_code == 403
    control.stop.set()
    # What the server side logs (finlink, uvicorn) never holds the token; this test's own
    # HTTP client logs the URLs it asked for, which is not the server's log.
    server_side = [r for r in caplog.records if r.name.startswith(("finlink", "uvicorn"))]
    assert any("user local: csrf" in r.getMessage() for r in server_side)
    for record in server_side:
        assert token not in record.getMessage()


def test_serve_prints_the_link_once(served: tuple[SandboxControl, list[str]]) -> None:
    control, output = served
    token = control.credentials["token"]
    control.stop.set()
    for _ in range(300):
        if output:
            break
        threading.Event().wait(0.1)
    (text,) = output
    assert text.count(f"{control.url}/?token={token}") == 1


def test_a_local_token_must_be_long(scenario: object) -> None:
    from finlink.web import create_local_app
    from tests.web.scenario import Scenario

    assert isinstance(scenario, Scenario)
    with pytest.raises(ValueError, match="token"):
        create_local_app(scenario.engine, token="short")


def test_the_local_server_listens_on_loopback_only(scenario: object) -> None:
    from finlink.web import create_local_app
    from tests.web.scenario import Scenario

    assert isinstance(scenario, Scenario)
    server = LocalServer(create_local_app(scenario.engine, token="t" * 32)).start()
    try:
        host = server._socket.getsockname()[0]
        assert host == "127.0.0.1"
        assert httpx.get(f"{server.url}/", timeout=10).status_code == 403
    finally:
        server.stop()


def test_serve_over_the_configuration_shows_its_plan(tmp_path: Path) -> None:
    from tests.cli.conftest import Cli
    from tests.sync.engine_helpers import crm_relation

    cli = Cli(tmp_path)
    relations = cli.write_records("relations.json", [crm_relation(0), crm_relation(1)])
    control = SandboxControl()
    state = CliState(backend_factory=cli.factory, environ=cli.environ, sandbox=control)
    thread = threading.Thread(
        target=cli.invoke,
        args=("serve", "--port", "0", "--relations", str(relations)),
        kwargs={"state": state},
    )
    thread.start()
    try:
        assert control.ready.wait(60), "finlink serve did not start"
        assert control.url is not None
        token = control.credentials["token"]
        with httpx.Client(base_url=control.url, follow_redirects=True) as browser:
            status = browser.get(f"/?token={token}")
            assert status.status_code == 200
            assert "Demo B.V." in status.text  # the configuration's administration
            plan = browser.get("/plan").text
            assert "crm-0" in plan
            assert "crm-1" in plan
            assert "create" in plan
            # The CSV has the created relations' fields: serve passes the records with it.
            download = browser.get("/plan.csv").text
            named = [
                row
                for row in csv.DictReader(io.StringIO(download))
                if row["crm_key"] == "crm-0" and row["field"] == "name"
            ]
            assert named  # one per administration that gets it
            assert {row["new_value"] for row in named} == {crm_relation(0).name}
    finally:
        control.stop.set()
        thread.join(30)
    assert cli.links("bv") == []  # planning wrote nothing


@pytest.mark.slow
def test_no_page_ever_shows_a_credential_or_token(tmp_path: Path) -> None:
    """Over the demo's real Exact and SnelStart backends, which hold live secrets."""
    import re

    from starlette.testclient import TestClient

    from finlink.backends.exact import ExactBackend
    from finlink.demo import start_demo
    from finlink.web import WebUser, create_app

    session = start_demo(size=20, state_path=tmp_path / "demo.db")
    try:
        secrets: list[str] = []
        for name in session.engine.administrations:
            backend = session.engine.backend(name)
            if isinstance(backend, ExactBackend):
                secrets.append(backend.oauth.client_secret.reveal())
                tokens = backend.auth.store.load(backend.auth.key)
                assert tokens is not None
                secrets.append(tokens.access_token.reveal())
                if tokens.refresh_token is not None:
                    secrets.append(tokens.refresh_token.reveal())
        assert len(secrets) >= 4
        app = create_app(
            session.engine,
            authenticate=lambda request: WebUser(id="bookkeeper"),
            plan=session.plan,
            open_items=lambda: session.open_items,
        )
        with TestClient(app) as client:
            paths = ["/", "/reviews", "/conflicts", "/errors", "/plan", "/plan.csv", "/open-items"]
            reviews = client.get("/reviews").text
            paths += sorted(set(re.findall(r'href="(/(?:reviews|conflicts)/\d+)"', reviews)))
            assert len(paths) > 7, "the demo raised no review to look at"
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, path
                for secret in secrets:
                    assert secret not in response.text, f"{path} shows a secret"
    finally:
        session.close()
