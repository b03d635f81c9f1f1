"""``finlink sandbox``: serves the emulators on loopback until stopped."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from click.testing import CliRunner, Result

from finlink.cli import main
from finlink.cli.state import CliState, SandboxControl


class Served:
    """``finlink sandbox VENDOR --port 0`` running in a thread."""

    def __init__(self, vendor: str, *options: str) -> None:
        self.control = SandboxControl()
        self.results: list[Result] = []
        self.thread = threading.Thread(target=self._run, args=(vendor, options), daemon=True)
        self.thread.start()
        assert self.control.ready.wait(10), "the sandbox did not start"
        assert self.control.url is not None
        self.url = self.control.url
        self.credentials = self.control.credentials

    def _run(self, vendor: str, options: tuple[str, ...]) -> None:
        state = CliState(sandbox=self.control)
        args = ["sandbox", vendor, "--port", "0", *options]
        self.results.append(CliRunner().invoke(main, args, obj=state))

    def stop(self) -> Result:
        self.control.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
        (result,) = self.results
        assert result.exit_code == 0, result.output
        return result


def _exact_token(creds: dict[str, str]) -> str:
    consent = httpx.get(creds["consent URL"], follow_redirects=False)
    code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]
    token = httpx.post(
        creds["token URL"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": creds["redirect URI"],
            "client_id": creds["client id"],
            "client_secret": creds["client secret"],
        },
    )
    assert token.status_code == 200
    return str(token.json()["access_token"])


@pytest.mark.parametrize(("options", "expected"), [((), 200), (("--no-hrm-divisions",), 404)])
def test_exact_sandbox_answers_hrm_divisions_unless_told_to_404_like_some_licences(
    options: tuple[str, ...], expected: int
) -> None:
    served = Served("exact", *options)
    try:
        creds = served.credentials
        division = creds["divisions"].split(",")[0].strip()
        answer = httpx.get(
            f"{creds['API base']}/{division}/hrm/Divisions",
            params={"$select": "Code,Description"},
            headers={
                "Authorization": f"Bearer {_exact_token(creds)}",
                "Accept": "application/json",
            },
        )
        assert answer.status_code == expected
    finally:
        served.stop()


def test_exact_sandbox_prints_credentials_that_get_a_token_over_loopback() -> None:
    served = Served("exact")
    try:
        assert served.url.startswith("http://127.0.0.1:")
        creds = served.credentials
        consent = httpx.get(creds["consent URL"], follow_redirects=False)
        assert consent.status_code == 302
        code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]
        token = httpx.post(
            creds["token URL"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": creds["redirect URI"],
                "client_id": creds["client id"],
                "client_secret": creds["client secret"],
            },
        )
        assert token.status_code == 200
        me = httpx.get(
            f"{creds['API base']}/current/Me",
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Accept": "application/json",
            },
        )
        assert me.status_code == 200
    finally:
        result = served.stop()
    assert f"Exact Online sandbox at {served.url}" in result.stdout
    assert "client secret:" in result.stdout
    assert "Stopped." not in result.stdout  # stopped by the control, not Ctrl-C


def test_snelstart_sandbox_prints_keys_that_get_a_token_and_data_over_loopback() -> None:
    served = Served("snelstart")
    try:
        creds = served.credentials
        token = httpx.post(
            creds["token URL"],
            data={"grant_type": "clientkey", "clientkey": creds["koppelsleutel"]},
        )
        assert token.status_code == 200
        relaties = httpx.get(
            f"{creds['API base']}/relaties",
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Ocp-Apim-Subscription-Key": creds["subscription key"],
            },
        )
        assert relaties.status_code == 200
    finally:
        result = served.stop()
    assert f"SnelStart sandbox at {served.url}" in result.stdout
    assert "koppelsleutel:" in result.stdout


@pytest.mark.parametrize("vendor", ["exact", "snelstart"])
def test_sandbox_releases_its_port_when_stopped(vendor: str) -> None:
    served = Served(vendor)
    served.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{served.url}/", timeout=2)
