"""``finlink auth exact|snelstart``: the consent flow over loopback, and the SnelStart key check."""

from __future__ import annotations

import socket
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from finlink import AuthenticationError
from finlink.backends import Backend, available_backends, load_backend
from finlink.backends.faults import FailWith
from finlink.cli.config import AdministrationConfig
from finlink.cli.loopback import CallbackListener
from finlink.testing import SnelStartSandbox
from tests.cli.conftest import Cli
from tests.cli.exact_cli import (
    DIVISION,
    SNELSTART_CONFIG,
    ExactCli,
    SnelStartStandIn,
    sandbox_on_clock,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ExactCli]:
    """A sandbox served on loopback whose app's redirect URI is a loopback port of ours."""
    sandbox = sandbox_on_clock()
    redirect = f"http://127.0.0.1:{_free_port()}/callback"
    sandbox.app = sandbox.add_app(client_id=sandbox.app.client_id, redirect_uri=redirect)
    with sandbox.serve() as handle:
        # Links the sandbox writes (__next) point at where it really listens.
        sandbox.base_url = handle.url
        sandbox.service.base_url = handle.url
        yield ExactCli(tmp_path, sandbox, transport=None)


class Browser:
    """Plays the user's browser: GETs the consent URL and follows the redirects."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.opened: list[str] = []
        self.pages: list[httpx.Response] = []
        monkeypatch.setattr(webbrowser, "open", self.open)

    def open(self, url: str, *_: Any, **__: Any) -> bool:
        self.opened.append(url)
        if self.refuse:
            # The user clicks "cancel": Exact redirects with an error instead of a code.
            query = parse_qs(urlsplit(url).query)
            back = (
                query["redirect_uri"][0]
                + "?"
                + urlencode({"error": "access_denied", "state": query["state"][0]})
            )
            self.pages.append(httpx.get(back))
        else:
            self.pages.append(httpx.get(url, follow_redirects=True))
        return True


def test_auth_exact_receives_the_code_on_loopback_and_stores_working_tokens(
    served: ExactCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser(monkeypatch)
    result = served.invoke("auth", "exact", "bv", "--open", "--timeout", "10")
    assert result.exit_code == 0, result.output
    (url,) = browser.opened
    assert url in result.stdout  # printed for the user too
    assert url.startswith(f"{served.sandbox.base_url}/api/oauth2/auth?")
    assert "You may close this window" in browser.pages[0].text
    assert served.stored() is not None
    # The stored tokens work: a backend made from the configuration reads the division.
    backend = served.made[0]
    fresh = type(backend)(
        oauth=backend.oauth,
        division=DIVISION,
        token_store=backend.auth.store,
        clock=served.sandbox.clock,
    )
    try:
        assert fresh.reference_data().ledger("8000") is not None
    finally:
        fresh.close()


def test_auth_exact_refused_consent_exits_2_and_stores_nothing(
    served: ExactCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser(monkeypatch, refuse=True)
    result = served.invoke("auth", "exact", "bv", "--open", "--timeout", "10")
    assert result.exit_code == 2
    assert "did not grant access: access_denied" in result.stderr
    assert browser.pages[0].status_code == 400
    assert served.stored() is None


def test_auth_exact_gives_up_after_the_timeout_without_a_redirect(served: ExactCli) -> None:
    result = served.invoke("auth", "exact", "bv", "--timeout", "1")
    assert result.exit_code == 2
    assert "no redirect arrived within 1 s" in result.stderr
    assert "/api/oauth2/auth?" in result.stdout  # the URL was shown, nothing was opened


def test_auth_exact_ignores_a_redirect_from_another_flow(served: ExactCli) -> None:
    # A stale tab's redirect (another state) must not be taken for this flow's code.
    redirect = served.sandbox.app.redirect_uri
    port = urlsplit(redirect).port
    assert port is not None
    listener = CallbackListener(port=port, path="/callback", state="ours")
    with listener:
        page = httpx.get(redirect, params={"code": "forged", "state": "theirs"})
        assert page.status_code == 400
        page = httpx.get(redirect, params={"code": "real", "state": "ours"})
        assert listener.wait(5) == "real"


def test_auth_exact_with_a_pasted_code_stores_tokens(tmp_path: Path) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    code = sandbox.authorize(divisions=[DIVISION])
    result = cli.invoke("auth", "exact", "bv", "--code", code)
    assert result.exit_code == 0, result.output
    assert "tokens stored in" in result.stdout
    assert cli.stored() is not None
    # The redirect URI sent with the code is the configured (registered) one.
    assert cli.options_seen[-1]["redirect_uri"] == sandbox.app.redirect_uri


def test_auth_exact_accepts_the_whole_redirect_url_pasted(tmp_path: Path) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    code = sandbox.authorize(divisions=[DIVISION])
    pasted = f"{sandbox.app.redirect_uri}?{urlencode({'code': code})}"
    result = cli.invoke("auth", "exact", "bv", "--code", pasted)
    assert result.exit_code == 0, result.output
    assert cli.stored() is not None


def test_auth_exact_with_a_used_code_exits_2_saying_to_consent_again(tmp_path: Path) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    code = sandbox.authorize(divisions=[DIVISION])
    assert cli.invoke("auth", "exact", "bv", "--code", code).exit_code == 0
    result = cli.invoke("auth", "exact", "bv", "--code", code)
    assert result.exit_code == 2
    assert "consent again" in result.stderr


def test_auth_exact_without_a_token_store_exits_2_naming_the_key(tmp_path: Path) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport(), token_store=False)
    result = cli.invoke("auth", "exact", "bv", "--code", "anything")
    assert result.exit_code == 2
    assert "administrations.bv.token_store: is required" in result.stderr


def test_auth_exact_refuses_a_non_loopback_redirect_override(tmp_path: Path) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    result = cli.invoke("auth", "exact", "bv", "--redirect-uri", "https://crm.example.nl/cb")
    assert result.exit_code == 2
    assert "--redirect-uri must be http://127.0.0.1:PORT/" in result.stderr


def test_auth_exact_with_an_https_redirect_listens_on_a_loopback_uri_it_names(
    tmp_path: Path,
) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    result = cli.invoke("auth", "exact", "bv", "--timeout", "1")
    assert result.exit_code == 2  # nobody consented
    assert "Using redirect URI http://127.0.0.1:" in result.stdout
    assert "must be registered for the app" in result.stdout


def test_auth_exact_on_another_backend_exits_2(cli: Cli) -> None:
    result = cli.invoke("auth", "exact", "bv", "--code", "x")
    assert result.exit_code == 2
    assert "administrations.bv.backend: is 'memory', not 'exact'" in result.stderr


# -- SnelStart ---------------------------------------------------------------------------


def test_auth_snelstart_reports_ok_and_passes_no_token_store(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = SnelStartStandIn(cli, monkeypatch)
    result = stand_in.invoke("auth", "snelstart", "shop")
    assert result.exit_code == 0, result.output
    assert "OK: SnelStart accepts the koppelsleutel and subscription key of shop" in result.stdout
    assert "token_store" not in stand_in.options  # nothing is written to the token file
    assert stand_in.options["koppelsleutel"].reveal() == "key"


def test_auth_snelstart_refused_key_exits_2_saying_what_to_check(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = SnelStartStandIn(cli, monkeypatch)
    stand_in.backend.inject("find_relations", FailWith(AuthenticationError("invalid_grant")))
    result = stand_in.invoke("auth", "snelstart", "shop")
    assert result.exit_code == 2
    assert "SnelStart refused the credentials of shop" in result.stderr
    assert "koppelsleutel" in result.stderr


def test_auth_snelstart_with_an_unset_variable_exits_2_naming_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = SnelStartStandIn(cli, monkeypatch)
    del cli.environ["SNELSTART_SUBSCRIPTION_KEY"]
    result = stand_in.invoke("auth", "snelstart", "shop")
    assert result.exit_code == 2
    assert "SNELSTART_SUBSCRIPTION_KEY is not set" in result.stderr


@pytest.mark.skipif(
    "snelstart" not in available_backends(), reason="the snelstart backend is not installed"
)
def test_auth_snelstart_against_the_sandbox(cli: Cli) -> None:
    sandbox = SnelStartSandbox()
    keys = sandbox.add_administration("Shop B.V.")
    cli.write("finlink.toml", SNELSTART_CONFIG)
    cli.environ.update(
        {
            "SNELSTART_KOPPELSLEUTEL": keys.koppelsleutel,
            "SNELSTART_SUBSCRIPTION_KEY": keys.subscription_key,
        }
    )

    def factory(administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
        return load_backend("snelstart", **options, client=sandbox.client())

    state = cli.state()
    state.backend_factory = factory
    result = cli.invoke("auth", "snelstart", "shop", state=state)
    assert result.exit_code == 0, result.output
    assert not (cli.folder / "tokens.json").exists()
    cli.environ["SNELSTART_KOPPELSLEUTEL"] = "wrong"
    assert cli.invoke("auth", "snelstart", "shop", state=state).exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--redirect-uri", "http://127.0.0.1/callback"], "names no port"),
        (["--redirect-uri", "http://127.0.0.1:8765/cb", "--port", "8766"], "differs from"),
    ],
)
def test_auth_exact_refuses_a_listener_the_redirect_uri_cannot_reach(
    tmp_path: Path, args: list[str], message: str
) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    result = cli.invoke("auth", "exact", "bv", *args)
    assert result.exit_code == 2
    assert message in result.stderr
