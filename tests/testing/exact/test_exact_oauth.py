"""OAuth 2.0 as Exact runs it: codes, 600 s tokens, rotation, the 570 s rule, 30-day expiry."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.exact import ExactSandbox
from tests.testing.exact.paths import DIVISION, OTHER_DIVISION, api


def _token_call(http: httpx.Client, **form: str) -> httpx.Response:
    return http.post("/api/oauth2/token", data=form)


def _exchange(sandbox: ExactSandbox, http: httpx.Client, code: str) -> httpx.Response:
    app = sandbox.app
    return _token_call(
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri=app.redirect_uri,
        client_id=app.client_id,
        client_secret=app.client_secret,
    )


def _refresh(sandbox: ExactSandbox, http: httpx.Client, refresh_token: str) -> httpx.Response:
    return _token_call(
        http,
        grant_type="refresh_token",
        refresh_token=refresh_token,
        client_id=sandbox.app.client_id,
        client_secret=sandbox.app.client_secret,
    )


@pytest.fixture
def anon(sandbox: ExactSandbox) -> httpx.Client:
    return sandbox.client()


def test_authorize_get_redirects_to_the_registered_uri_with_a_code_and_state(
    sandbox: ExactSandbox, anon: httpx.Client
) -> None:
    response = anon.get(
        "/api/oauth2/auth",
        params={
            "client_id": sandbox.app.client_id,
            "redirect_uri": sandbox.app.redirect_uri,
            "response_type": "code",
            "force_login": "0",
            "state": "xyz",
        },
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == sandbox.app.redirect_uri
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    # The code arrives URL-encoded ('!' as %21) and works once decoded (§1.2).
    assert "%21" in location.query
    assert _exchange(sandbox, anon, query["code"][0]).status_code == 200


def test_authorize_get_refuses_a_foreign_redirect_uri(
    sandbox: ExactSandbox, anon: httpx.Client
) -> None:
    response = anon.get(
        "/api/oauth2/auth",
        params={
            "client_id": sandbox.app.client_id,
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    wrong_type = anon.get(
        "/api/oauth2/auth",
        params={"client_id": sandbox.app.client_id, "response_type": "token"},
    )
    assert wrong_type.json()["error"] == "unsupported_response_type"


def test_code_exchange_returns_expires_in_as_the_string_600(
    sandbox: ExactSandbox, anon: httpx.Client
) -> None:
    body = _exchange(sandbox, anon, sandbox.authorize()).json()
    assert body["expires_in"] == "600"
    assert body["token_type"] == "Bearer"
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}


def test_code_is_single_use(sandbox: ExactSandbox, anon: httpx.Client) -> None:
    code = sandbox.authorize()
    assert _exchange(sandbox, anon, code).status_code == 200
    again = _exchange(sandbox, anon, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_code_expires_after_three_minutes(
    sandbox: ExactSandbox, anon: httpx.Client, clock: SimulatedClock
) -> None:
    fresh = sandbox.authorize()
    clock.advance(179)
    assert _exchange(sandbox, anon, fresh).status_code == 200
    stale = sandbox.authorize()
    clock.advance(181)
    assert _exchange(sandbox, anon, stale).json()["error"] == "invalid_grant"


def test_token_endpoint_checks_client_secret_and_redirect_uri(
    sandbox: ExactSandbox, anon: httpx.Client
) -> None:
    code = sandbox.authorize()
    bad = _token_call(
        anon,
        grant_type="authorization_code",
        code=code,
        redirect_uri=sandbox.app.redirect_uri,
        client_id=sandbox.app.client_id,
        client_secret="wrong",
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_client"
    mismatch = _token_call(
        anon,
        grant_type="authorization_code",
        code=sandbox.authorize(),
        redirect_uri="https://other.example/cb",
        client_id=sandbox.app.client_id,
        client_secret=sandbox.app.client_secret,
    )
    assert mismatch.json()["error"] == "invalid_grant"
    unknown_grant = _token_call(
        anon,
        grant_type="client_credentials",
        client_id=sandbox.app.client_id,
        client_secret=sandbox.app.client_secret,
    )
    assert unknown_grant.json()["error"] == "unsupported_grant_type"
    assert anon.get("/api/oauth2/token").status_code == 405


def test_access_token_works_for_600_seconds_then_401(
    sandbox: ExactSandbox, http: httpx.Client, clock: SimulatedClock
) -> None:
    clock.advance(599)
    assert http.get("/api/v1/current/Me").status_code == 200
    clock.advance(1)
    assert http.get("/api/v1/current/Me").status_code == 401
    assert http.get(api("financial/Journals")).status_code == 401


def test_refresh_before_570_seconds_is_refused_with_reason_header(
    sandbox: ExactSandbox, tokens: dict[str, str], anon: httpx.Client, clock: SimulatedClock
) -> None:
    clock.advance(569)
    response = _refresh(sandbox, anon, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.headers["Reason"] == "TooEarlyToRefreshTokens"
    assert response.json() == {
        "error": "access_denied",
        "error_description": "Rate limit exceeded: access_token not expired",
    }
    clock.advance(1)  # 570 s: allowed, and the same refresh token still works
    assert _refresh(sandbox, anon, tokens["refresh_token"]).status_code == 200


def test_every_refresh_rotates_and_the_old_token_gets_401(
    sandbox: ExactSandbox, tokens: dict[str, str], anon: httpx.Client, clock: SimulatedClock
) -> None:
    clock.advance(580)
    first = _refresh(sandbox, anon, tokens["refresh_token"]).json()
    assert first["refresh_token"] != tokens["refresh_token"]
    assert first["access_token"] != tokens["access_token"]
    clock.advance(580)
    reused = _refresh(sandbox, anon, tokens["refresh_token"])
    assert reused.status_code == 401
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Unauthorized Client: Old refresh token used.",
    }
    assert _refresh(sandbox, anon, first["refresh_token"]).status_code == 200


def test_refresh_token_unused_for_30_days_expires_with_exacts_message(
    sandbox: ExactSandbox, tokens: dict[str, str], anon: httpx.Client, clock: SimulatedClock
) -> None:
    clock.advance(days=30, seconds=1)
    response = _refresh(sandbox, anon, tokens["refresh_token"])
    assert response.status_code == 400
    # issued Monday 5 January 2026 09:00:00 UTC; now 4 February 2026 09:00:01
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The refresh token expired at 2/4/2026 9:00:00 AM "
        "and it is now 2/4/2026 9:00:01 AM.",
    }


def test_unknown_refresh_token_is_invalid_grant(sandbox: ExactSandbox, anon: httpx.Client) -> None:
    response = _refresh(sandbox, anon, "nonsense")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_bearer_token_gives_401(sandbox: ExactSandbox, anon: httpx.Client) -> None:
    assert anon.get("/api/v1/current/Me").status_code == 401
    assert anon.get(api("financial/Journals")).status_code == 401
    garbage = anon.get(api("financial/Journals"), headers={"Authorization": "Bearer nope"})
    assert garbage.status_code == 401


def test_token_reaches_only_the_consented_divisions(
    sandbox: ExactSandbox, anon: httpx.Client
) -> None:
    tokens = sandbox.connect(divisions=[DIVISION])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert anon.get(api("financial/Journals"), headers=headers).status_code == 200
    other = anon.get(api("financial/Journals", OTHER_DIVISION), headers=headers)
    assert other.status_code == 403
    assert other.json() == {"error": {"code": "", "message": {"lang": "", "value": "Forbidden"}}}
    unknown = anon.get(api("financial/Journals", 999), headers=headers)
    assert unknown.status_code == 403


def test_authorize_refuses_unknown_clients_and_divisions(sandbox: ExactSandbox) -> None:
    with pytest.raises(ValueError, match="client_id"):
        sandbox.authorize("not-a-client")
    with pytest.raises(ValueError, match="redirect_uri"):
        sandbox.authorize(redirect_uri="https://evil.example/cb")
    with pytest.raises(ValueError, match="division"):
        sandbox.authorize(divisions=[42])


def test_current_me_names_the_current_division_and_is_a_result_list(
    http: httpx.Client,
) -> None:
    body = http.get("/api/v1/current/Me", params={"$select": "CurrentDivision"}).json()
    (me,) = body["d"]["results"]
    assert me["CurrentDivision"] == DIVISION
    http.get(api("financial/Journals", OTHER_DIVISION))
    me = http.get("/api/v1/current/Me").json()["d"]["results"][0]
    assert me["CurrentDivision"] == OTHER_DIVISION  # "division last used" (§2)


def test_system_divisions_lists_the_users_administrations(http: httpx.Client) -> None:
    rows = http.get(api("system/Divisions")).json()["d"]["results"]
    assert {(row["Code"], row["Current"]) for row in rows} == {
        (DIVISION, True),
        (OTHER_DIVISION, False),
    }
    one = http.get(api(f"system/Divisions({OTHER_DIVISION})")).json()["d"]
    assert one["Description"] == "Stichting Voorbeeld"


def test_app_secrets_do_not_appear_in_reprs(sandbox: ExactSandbox) -> None:
    assert sandbox.app.client_secret not in repr(sandbox.app)
    assert sandbox.app.webhook_secret not in repr(sandbox.app)
