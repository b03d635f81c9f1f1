"""Done criterion: a whole mocked flow with every logger at DEBUG never shows a secret.

The flow: a token fetch with a client secret, calls with Bearer tokens and a subscription-key
header, a 503 that is retried, a 401 that triggers one refresh, and an error body. Every log
record (message, arguments, exception text, extra fields), every exception's ``str`` and
``repr`` along its cause chain, and the ``repr`` of every object involved is searched for each
secret value.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable
from typing import Any

import httpx
import pytest

from finlink import BackendError, RemoteValidationError
from finlink.clock import SimulatedClock
from finlink.http import (
    ApiClient,
    MemoryTokenStore,
    RateLimiter,
    RetryPolicy,
    Secret,
    TokenSet,
    parse_exact_error,
)

CLIENT_SECRET = Secret("cs-9f8e7d6c5b4a-client-secret")
SUBSCRIPTION_KEY = Secret("sk-0a1b2c3d4e5f-subscription")
ACCESS = ["at-first-1111111111", "at-second-222222222"]
REFRESH = ["rt-first-3333333333", "rt-second-444444444"]
SECRETS = [CLIENT_SECRET.reveal(), SUBSCRIPTION_KEY.reveal(), *ACCESS, *REFRESH]
BASE = "https://start.exactonline.nl"
KEY = "exact:42"


class VendorServer:
    """Issues tokens for the client secret and serves calls only with a live token and key."""

    def __init__(self) -> None:
        self.issued = 0
        self.revoked: set[str] = set()
        self.account_calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/oauth2/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            assert form["client_secret"] == CLIENT_SECRET.reveal()
            if form["grant_type"] == "refresh_token":
                assert form["refresh_token"] == REFRESH[self.issued - 1]
            issued = {
                "access_token": ACCESS[self.issued],
                "token_type": "bearer",
                "expires_in": "600",
                "refresh_token": REFRESH[self.issued],
            }
            self.issued += 1
            return httpx.Response(200, json=issued)
        assert request.headers["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY.reveal()
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if token not in ACCESS[: self.issued] or token in self.revoked:
            return httpx.Response(401, json={"error": {"message": {"value": "Unauthorized"}}})
        if request.method == "POST":
            body = {"error": {"code": "", "message": {"lang": "", "value": "Naam is verplicht."}}}
            return httpx.Response(400, json=body)
        self.account_calls += 1
        if self.account_calls == 2:
            return httpx.Response(503)
        return httpx.Response(200, json={"d": {"results": [{"ID": self.account_calls}]}})


class StoreAuth(httpx.Auth):
    """What a backend's auth does: Bearer token from the store, subscription key on every call."""

    def __init__(self, store: MemoryTokenStore) -> None:
        self.store = store

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        tokens = self.store.load(KEY)
        assert tokens is not None
        request.headers["Authorization"] = tokens.authorization()
        request.headers["Ocp-Apim-Subscription-Key"] = SUBSCRIPTION_KEY.reveal()
        yield request


def _texts_of(error: BaseException | None) -> Iterable[str]:
    while error is not None:
        yield str(error)
        yield repr(error)
        yield from (repr(v) for v in vars(error).values())
        error = error.__cause__ or error.__context__


def _leaks(texts: Iterable[str]) -> list[str]:
    return [s for text in texts for s in SECRETS if s in text]


def test_sanity_the_leak_scan_finds_a_planted_secret() -> None:
    assert _leaks([f"header: Bearer {ACCESS[0]}"]) == [ACCESS[0]]


def test_full_flow_leaks_no_secret_into_logs_errors_or_reprs(clock: SimulatedClock) -> None:
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    capture = Capture(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    for name in ("finlink", "finlink.http", "finlink.http.ratelimit", "httpx"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    errors: list[BaseException] = []
    server = VendorServer()
    store = MemoryTokenStore()
    try:
        with httpx.Client(transport=httpx.MockTransport(server), base_url=BASE) as http:
            token_api = ApiClient(
                http, clock=clock, vendor="Exact Online", error_parser=parse_exact_error
            )

            def fetch_tokens(previous: TokenSet | None) -> TokenSet:
                form = {"client_id": "app-id", "client_secret": CLIENT_SECRET.reveal()}
                if previous is None:
                    form |= {"grant_type": "authorization_code", "code": "one-time-code"}
                else:
                    assert previous.refresh_token is not None
                    form |= {
                        "grant_type": "refresh_token",
                        "refresh_token": previous.refresh_token.reveal(),
                    }
                body: Any = token_api.request_json("POST", "/api/oauth2/token", data=form)
                return TokenSet.from_token_response(body, now=clock.now())

            def on_unauthorized(response: httpx.Response) -> bool:
                used = response.request.headers["Authorization"]
                with store.lock(KEY):
                    current = store.load(KEY)
                    if current is not None and current.authorization() != used:
                        return True  # someone else refreshed meanwhile
                    store.save(KEY, fetch_tokens(current))
                return True

            store.save(KEY, fetch_tokens(None))
            api = ApiClient(
                http,
                clock=clock,
                retry=RetryPolicy(random=lambda: 0.5),
                limiter=RateLimiter.for_exact_online(clock=clock, key="42"),
                error_parser=parse_exact_error,
                auth=StoreAuth(store),
                on_unauthorized=on_unauthorized,
                vendor="Exact Online",
                administration="42",
            )
            accounts = "/api/v1/42/crm/Accounts"
            api.get_json(accounts, {"$select": "ID"})
            api.get_json(accounts, {"$select": "ID"})  # 503, retried
            server.revoked.add(ACCESS[0])  # the access token expires
            api.get_json(accounts, {"$select": "ID"})  # 401, refresh, repeated
            try:
                api.request("POST", accounts, json={"Name": ""}, reference="C-1")
            except BackendError as exc:
                errors.append(exc)
                logging.getLogger("finlink.test").exception("push failed")
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)

    # The flow happened as described, so the scan below looks at real traffic.
    assert server.issued == 2
    assert [type(e) for e in errors] == [RemoteValidationError]
    messages = [r.getMessage() for r in records]
    assert any(m.startswith("retrying GET /api/v1/42/crm/Accounts after 503") for m in messages)
    assert any("401, repeating once with new credentials" in m for m in messages)
    assert any(r.name == "httpx" for r in records)

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts: list[str] = []
    for record in records:
        texts.append(formatter.format(record))
        texts.extend(repr(v) for v in vars(record).values())
    for error in errors:
        texts.extend(_texts_of(error))
    texts.extend(
        repr(obj) for obj in (api, token_api, store, store.load(KEY), api.limiter, api.retry)
    )
    assert _leaks(texts) == []
    assert store.load(KEY) is not None


@pytest.mark.parametrize("secret", SECRETS)
def test_every_secret_is_distinct_enough_to_be_found(secret: str) -> None:
    assert len(secret) >= 16
