"""Injected faults on the MockTransport path: 5xx, timeouts, 429, lost answers, holds."""

from __future__ import annotations

import httpx
import pytest

from finlink.testing.snelstart import (
    TOKEN_URL,
    AdministrationKeys,
    FaultKind,
    SandboxAdministration,
    SnelStartSandbox,
)
from tests.testing.snelstart.support import klant, parties


def test_fail_answers_the_next_n_calls_with_5xx_without_doing_them(
    sandbox: SnelStartSandbox, api: httpx.Client, admin: SandboxAdministration
) -> None:
    sandbox.faults.fail("/relaties", times=2, status=502, method="POST")
    assert api.get("/relaties").status_code == 200  # other methods are not affected
    first = api.post("/relaties", json=klant(admin))
    second = api.post("/relaties", json=klant(admin))
    assert (first.status_code, second.status_code) == (502, 502)
    assert parties(admin) == []
    assert api.post("/relaties", json=klant(admin)).status_code == 201
    assert sandbox.faults.pending() == []


def test_fail_only_affects_its_administration(
    sandbox: SnelStartSandbox, api: httpx.Client, keys: AdministrationKeys
) -> None:
    sandbox.add_administration("Andere BV")
    sandbox.faults.fail("/landen", administration="Andere BV")
    assert api.get("/landen").status_code == 200
    assert len(sandbox.faults.pending()) == 1


def test_fault_paths_match_whole_segments(sandbox: SnelStartSandbox, api: httpx.Client) -> None:
    sandbox.faults.fail("/relatie")
    assert api.get("/relaties").status_code == 200
    sandbox.faults.clear()
    sandbox.faults.fail("/relaties/")
    assert api.get("/relaties/11111111-2222-3333-4444-555555555555").status_code == 503


def test_timeout_raises_read_timeout_and_does_nothing(
    sandbox: SnelStartSandbox, api: httpx.Client, admin: SandboxAdministration
) -> None:
    sandbox.faults.timeout("/relaties")
    with pytest.raises(httpx.ReadTimeout):
        api.post("/relaties", json=klant(admin))
    assert parties(admin) == []
    assert admin.calls()[-1].status == 0  # no answer was given


def test_throttle_answers_429_with_retry_after(
    sandbox: SnelStartSandbox, api: httpx.Client
) -> None:
    sandbox.faults.throttle("/landen", retry_after=7)
    response = api.get("/landen")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["message"] == "Rate limit is exceeded. Try again in 7 seconds."
    assert api.get("/landen").status_code == 200


def test_drop_after_commit_stores_the_write_but_loses_the_answer(
    sandbox: SnelStartSandbox, api: httpx.Client, admin: SandboxAdministration
) -> None:
    fault = sandbox.faults.drop_after_commit("/relaties", method="POST")
    assert fault.kind is FaultKind.DROP_AFTER_COMMIT
    with pytest.raises(httpx.ReadTimeout):
        api.post("/relaties", json=klant(admin, relatiecode=501))
    [stored] = parties(admin)
    assert stored["relatiecode"] == 501
    # The engine's probe finds it; a blind retry would hit REL-0008.
    found = api.get("/relaties", params={"$filter": "Relatiecode eq 501"}).json()
    assert [r["id"] for r in found] == [stored["id"]]
    assert api.post("/relaties", json=klant(admin, relatiecode=501)).status_code == 400


def test_token_endpoint_faults(sandbox: SnelStartSandbox, keys: AdministrationKeys) -> None:
    form = {"grant_type": "clientkey", "clientkey": keys.koppelsleutel}
    sandbox.faults.fail("/b2b/token")
    sandbox.faults.throttle("/b2b/token", retry_after=3)
    sandbox.faults.timeout("/b2b/token")
    sandbox.faults.drop_after_commit("/b2b/token")
    with sandbox.client() as http:
        assert http.post(TOKEN_URL, data=form).status_code == 503
        assert http.post(TOKEN_URL, data=form).status_code == 429
        with pytest.raises(httpx.ReadTimeout):
            http.post(TOKEN_URL, data=form)
        with pytest.raises(httpx.ReadTimeout):
            http.post(TOKEN_URL, data=form)
        assert http.post(TOKEN_URL, data=form).status_code == 200


def test_fault_arguments_are_checked(sandbox: SnelStartSandbox) -> None:
    with pytest.raises(ValueError, match="5xx"):
        sandbox.faults.fail("/relaties", status=429)
    with pytest.raises(ValueError, match="at least 1"):
        sandbox.faults.timeout("/relaties", times=0)


def test_clear_opens_gates_and_drops_faults(sandbox: SnelStartSandbox, api: httpx.Client) -> None:
    gate = sandbox.faults.hold("/landen")
    sandbox.faults.fail("/landen")
    sandbox.faults.clear()
    assert gate.waiting == 0
    assert api.get("/landen").status_code == 200
    assert not gate.wait_for(1, timeout=0.01)
