"""Tokens, subscription keys and the one-administration-per-koppelsleutel rule."""

from __future__ import annotations

import base64

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import (
    TOKEN_URL,
    AdministrationKeys,
    Product,
    SnelStartSandbox,
)
from finlink.testing.snelstart.scopes import required_scopes
from tests.testing.snelstart.support import klant


def _token(http: httpx.Client, koppelsleutel: str) -> str:
    response = http.post(TOKEN_URL, data={"grant_type": "clientkey", "clientkey": koppelsleutel})
    assert response.status_code == 200
    return str(response.json()["access_token"])


def _get(http: httpx.Client, path: str, token: str | None, key: str | None) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Ocp-Apim-Subscription-Key"] = key
    return http.get(path, headers=headers)


def test_token_response_has_the_documented_shape(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    with sandbox.client() as http:
        body = http.post(
            TOKEN_URL, data={"grant_type": "clientkey", "clientkey": keys.koppelsleutel}
        ).json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599


def test_keys_are_deterministic_per_seed_and_name() -> None:
    one = SnelStartSandbox().add_administration("Acme BV")
    two = SnelStartSandbox().add_administration("Acme BV")
    other = SnelStartSandbox(seed="other").add_administration("Acme BV")
    assert one == two
    assert one.koppelsleutel != other.koppelsleutel
    assert "koppelsleutel" not in repr(one)
    assert one.koppelsleutel not in repr(one)


def test_koppelsleutel_encodes_username_and_password_for_the_password_grant(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    username, password = base64.b64decode(keys.koppelsleutel).decode().split(":")
    with sandbox.client() as http:
        response = http.post(
            TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
        )
        assert response.status_code == 200
        token = response.json()["access_token"]
        assert _get(http, "/landen", token, keys.subscription_key).status_code == 200


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "clientkey", "clientkey": "bm9wZTpub3Bl"}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({}, "unsupported_grant_type"),
    ],
)
def test_token_errors_are_oauth_style(
    sandbox: SnelStartSandbox, keys: AdministrationKeys, form: dict[str, str], error: str
) -> None:
    with sandbox.client() as http:
        response = http.post(TOKEN_URL, data=form)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_token_endpoint_only_answers_post_b2b_token(sandbox: SnelStartSandbox) -> None:
    with sandbox.client() as http:
        assert http.get(TOKEN_URL).status_code == 404
        assert http.post("https://auth.snelstart.nl/token").status_code == 404


def test_data_call_needs_a_subscription_key(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    with sandbox.client() as http:
        token = _token(http, keys.koppelsleutel)
        missing = _get(http, "/landen", token, None)
        wrong = _get(http, "/landen", token, "0" * 32)
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["message"].startswith("Access denied due to missing subscription key")
    assert wrong.json() == {
        "statusCode": 401,
        "message": "Access denied due to invalid subscription key. "
        "Make sure to provide a valid key for an active subscription.",
    }


def test_subscription_key_may_be_a_query_parameter(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    with sandbox.client() as http:
        token = _token(http, keys.koppelsleutel)
        response = http.get(
            "/landen",
            params={"subscription-key": keys.subscription_key},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200


def test_secondary_subscription_key_works(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    secondary = sandbox.subscription_key(Product.TEST, secondary=True)
    assert secondary != keys.subscription_key
    with sandbox.client() as http:
        token = _token(http, keys.koppelsleutel)
        assert _get(http, "/landen", token, secondary).status_code == 200


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_data_call_needs_a_live_bearer_token(
    sandbox: SnelStartSandbox, keys: AdministrationKeys, token: str | None
) -> None:
    with sandbox.client() as http:
        response = _get(http, "/landen", token, keys.subscription_key)
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_token_expires_after_3599_seconds_on_the_clock(
    sandbox: SnelStartSandbox, keys: AdministrationKeys, clock: SimulatedClock
) -> None:
    with sandbox.client() as http:
        token = _token(http, keys.koppelsleutel)
        clock.advance(3598)
        assert _get(http, "/landen", token, keys.subscription_key).status_code == 200
        clock.advance(1)
        assert _get(http, "/landen", token, keys.subscription_key).status_code == 401
        fresh = _token(http, keys.koppelsleutel)
        assert _get(http, "/landen", fresh, keys.subscription_key).status_code == 200


def test_revoked_tokens_are_refused(sandbox: SnelStartSandbox, keys: AdministrationKeys) -> None:
    with sandbox.client() as http:
        token = _token(http, keys.koppelsleutel)
        sandbox.revoke_tokens()
        assert _get(http, "/landen", token, keys.subscription_key).status_code == 401


def test_each_koppelsleutel_reaches_exactly_its_own_administration(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    stichting = sandbox.add_administration("Stichting Acme", product="productie")
    admin = sandbox.administration(keys.name)
    with sandbox.client() as http:
        token_bv = _token(http, keys.koppelsleutel)
        token_st = _token(http, stichting.koppelsleutel)
        http.post(
            "/relaties",
            json=klant(admin),
            headers={"Authorization": f"Bearer {token_bv}",
                     "Ocp-Apim-Subscription-Key": keys.subscription_key},
        )  # fmt: skip
        bv = _get(http, "/relaties", token_bv, keys.subscription_key).json()
        st = _get(http, "/relaties", token_st, stichting.subscription_key).json()
    assert sorted(r["naam"] for r in bv) == ["Acme BV", "Jansen Installatietechniek BV"]
    assert [r["naam"] for r in st] == ["Stichting Acme"]  # just its own company
    assert len(sandbox.calls("Acme BV")) == 2
    assert len(sandbox.calls("Stichting Acme")) == 1
    assert sandbox.administrations() == ["Acme BV", "Stichting Acme"]


def test_duplicate_administration_name_is_refused(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    with pytest.raises(ValueError, match="exists already"):
        sandbox.add_administration(keys.name)


def test_paths_outside_v2_and_unknown_operations_are_apim_404s(api: httpx.Client) -> None:
    for url in ("https://b2bapi.snelstart.nl/v1/relaties", "/artikelen", "/relaties/x/y/z"):
        response = api.get(url)
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "message": "Resource not found"}


def test_other_hosts_are_unreachable(sandbox: SnelStartSandbox) -> None:
    with sandbox.client() as http, pytest.raises(httpx.ConnectError):
        http.get("https://example.com/")


def test_authorized_client_is_ready_to_use(
    sandbox: SnelStartSandbox, keys: AdministrationKeys
) -> None:
    with sandbox.authorized_client(keys.name) as http:
        assert http.get("/landen").status_code == 200
    with pytest.raises(KeyError):
        sandbox.authorized_client("nope")


def test_missing_scope_is_403(sandbox: SnelStartSandbox) -> None:
    keys = sandbox.add_administration("Alleen lezen", scopes={"relaties:read", "settings:read"})
    admin = sandbox.administration(keys.name)
    with sandbox.authorized_client(keys.name) as http:
        assert http.get("/relaties").status_code == 200
        assert http.get("/landen").status_code == 200
        refused = http.post("/relaties", json=klant(admin))
        assert refused.status_code == 403
        assert refused.json() == {"Message": "Authorization has been denied for this request."}
        assert http.get("/verkoopfacturen").status_code == 403
        assert http.get("/grootboeken").status_code == 403
    with pytest.raises(ValueError, match="unknown scope"):
        sandbox.add_administration("Fout", scopes={"alles:write"})


def test_required_scopes_follow_the_reference() -> None:
    assert required_scopes("GET", "/relaties") == {"relaties:read"}
    assert required_scopes("PUT", "/relaties/x") == {"relaties:write"}
    assert required_scopes("GET", "/relaties/x/verkoopboekingen") == {
        "relaties:read",
        "boekhouden:read",
    }
    assert required_scopes("POST", "/kostenplaatsen") == {"settings:write"}
    assert required_scopes("GET", "/inkoopfacturen") == {"orders:read"}
    assert required_scopes("GET", "/documenten/x") == {"documenten:read"}
    assert required_scopes("POST", "/documenten/Relaties") == {
        "boekhouden:write",
        "documenten:write",
    }
    assert required_scopes("GET", "/echo/x") == frozenset()
    assert required_scopes("GET", "/") == frozenset()
