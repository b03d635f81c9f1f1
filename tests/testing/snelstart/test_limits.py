"""Rate limits per administration and product, on the simulated clock."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import (
    PRODUCT_LIMITS,
    TOKEN_URL,
    AdministrationKeys,
    Limits,
    Product,
    SandboxAdministration,
    SnelStartSandbox,
)
from finlink.testing.snelstart.limits import RateLimiter


def _authorize(http: httpx.Client, keys: AdministrationKeys) -> None:
    token = http.post(
        TOKEN_URL, data={"grant_type": "clientkey", "clientkey": keys.koppelsleutel}
    ).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    http.headers["Ocp-Apim-Subscription-Key"] = keys.subscription_key


@contextlib.contextmanager
def _client(sandbox: SnelStartSandbox, keys: AdministrationKeys) -> Iterator[httpx.Client]:
    with sandbox.client() as http:
        _authorize(http, keys)
        yield http


def test_product_limits_are_the_vendors() -> None:
    assert PRODUCT_LIMITS[Product.TEST] == Limits(per_minute=100, per_hour=1000, concurrent=5)
    assert PRODUCT_LIMITS[Product.PRODUCTIE] == Limits(per_minute=500, per_hour=5000, concurrent=50)
    assert PRODUCT_LIMITS[Product.MAATWERK] == PRODUCT_LIMITS[Product.PRODUCTIE]


def test_the_101st_call_in_a_minute_is_429_with_retry_after(
    api: httpx.Client, admin: SandboxAdministration, clock: SimulatedClock
) -> None:
    for _ in range(100):
        assert api.get("/landen").status_code == 200
    clock.advance(20)
    refused = api.get("/landen")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    assert refused.json() == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 40 seconds.",
    }
    clock.advance(40)
    assert api.get("/landen").status_code == 200
    assert admin.call_count() == 102
    assert admin.call_count(method="GET", path="/landen") == 102
    assert [c.status for c in admin.calls()].count(429) == 1


def test_the_hour_limit_holds_after_the_minute_window_moves(
    api: httpx.Client, keys: AdministrationKeys, clock: SimulatedClock
) -> None:
    for _ in range(10):
        for _ in range(100):
            assert api.get("/landen").status_code == 200
        clock.advance(60)
    refused = api.get("/landen")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3000"  # the first minute's calls age out first
    clock.advance(3000)
    _authorize(api, keys)  # the token lived its hour too
    assert api.get("/landen").status_code == 200


def test_limits_are_per_administration(sandbox: SnelStartSandbox, keys: AdministrationKeys) -> None:
    other = sandbox.add_administration("Stichting Acme")
    with _client(sandbox, keys) as one, _client(sandbox, other) as two:
        for _ in range(100):
            one.get("/landen")
        assert one.get("/landen").status_code == 429
        assert two.get("/landen").status_code == 200


def test_production_key_allows_500_a_minute(sandbox: SnelStartSandbox) -> None:
    keys = sandbox.add_administration("Productie BV", product=Product.PRODUCTIE)
    with _client(sandbox, keys) as http:
        statuses = [http.get("/landen").status_code for _ in range(501)]
    assert statuses.count(200) == 500
    assert statuses[-1] == 429


def test_rate_limiter_counts_in_flight_calls_and_refuses_past_the_concurrency_limit(
    clock: SimulatedClock,
) -> None:
    limiter = RateLimiter(clock, Limits(per_minute=100, per_hour=1000, concurrent=2))
    assert limiter.acquire() is None
    assert limiter.acquire() is None
    assert limiter.in_flight == 2
    assert limiter.acquire() == 1
    limiter.release()
    assert limiter.acquire() is None


def test_mock_transport_tracks_in_flight_calls(
    sandbox: SnelStartSandbox, keys: AdministrationKeys, admin: SandboxAdministration
) -> None:
    gate = sandbox.faults.hold("/landen")
    with _client(sandbox, keys) as http:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(http.get("/landen").status_code))
            for _ in range(5)
        ]
        for thread in threads:
            thread.start()
        assert gate.wait_for(5)
        assert admin.in_flight() == 5
        sixth = http.get("/landen")
        gate.open()
        for thread in threads:
            thread.join()
    assert sixth.status_code == 429
    assert sixth.headers["Retry-After"] == "1"
    assert results == [200] * 5
    assert admin.in_flight() == 0


def test_latency_advances_the_simulated_clock(
    sandbox: SnelStartSandbox, api: httpx.Client, clock: SimulatedClock
) -> None:
    sandbox.latency = 0.25
    before = clock.monotonic()
    for _ in range(4):
        api.get("/landen")
    assert clock.monotonic() - before == pytest.approx(1.0)
    with pytest.raises(ValueError, match="negative"):
        sandbox.latency = -1
