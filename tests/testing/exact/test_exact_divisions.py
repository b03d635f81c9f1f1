"""``system/Divisions`` and the older ``hrm/Divisions``, with its 404 switch (§2, quirk 18)."""

from __future__ import annotations

import httpx

from finlink.clock import SimulatedClock
from finlink.testing.exact import ExactSandbox
from tests.testing.exact.paths import DIVISION, api


def _divisions(http: httpx.Client, path: str) -> list[tuple[int, str]]:
    response = http.get(api(path), params={"$select": "Code,Description"})
    assert response.status_code == 200, response.text
    rows = response.json()["d"]["results"]
    assert all(set(row) == {"__metadata", "Code", "Description"} for row in rows)
    return [(row["Code"], row["Description"]) for row in rows]


def test_hrm_divisions_lists_what_system_divisions_lists(http: httpx.Client) -> None:
    hrm = _divisions(http, "hrm/Divisions")
    assert hrm == _divisions(http, "system/Divisions")
    assert hrm == [(1234567, "Voorbeeld B.V."), (1234568, "Stichting Voorbeeld")]


def test_hrm_divisions_answers_404_for_a_licence_without_it(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    sandbox.hrm_divisions = False
    response = http.get(api("hrm/Divisions"), params={"$select": "Code,Description"})
    assert response.status_code == 404
    assert response.json()["error"]["message"]["value"] == "Resource not found."
    assert "X-RateLimit-Remaining" in response.headers  # counted like any division call
    assert len(_divisions(http, "system/Divisions")) == 2
    sandbox.hrm_divisions = True
    assert len(_divisions(http, "hrm/Divisions")) == 2


def test_the_switch_can_be_set_when_the_sandbox_is_made(clock: SimulatedClock) -> None:
    sandbox = ExactSandbox(clock, hrm_divisions=False)
    assert sandbox.hrm_divisions is False
    with sandbox.client(token=sandbox.connect()["access_token"]) as http:
        assert http.get(api("hrm/Divisions", DIVISION)).status_code == 404
