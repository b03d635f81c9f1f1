"""Rate limits per division and the error budget, with Exact's headers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.exact import ExactSandbox
from finlink.testing.exact.limits import RateLimiter
from finlink.testing.exact.wire import HttpError
from tests.testing.exact.paths import DIVISION, OTHER_DIVISION, api

MINUTELY = (
    "X-RateLimit-Minutely-Limit",
    "X-RateLimit-Minutely-Remaining",
    "X-RateLimit-Minutely-Reset",
)
DAILY = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def test_division_calls_carry_both_header_sets_with_reset_in_epoch_ms(
    http: httpx.Client, clock: SimulatedClock
) -> None:
    clock.advance(25)  # 09:00:25
    response = http.get(api("financial/Journals"))
    headers = response.headers
    assert headers["X-RateLimit-Minutely-Limit"] == "60"
    assert headers["X-RateLimit-Minutely-Remaining"] == "59"
    assert headers["X-RateLimit-Minutely-Reset"] == _ms(datetime(2026, 1, 5, 9, 1, tzinfo=UTC))
    assert headers["X-RateLimit-Limit"] == "5000"
    assert headers["X-RateLimit-Remaining"] == "4999"
    assert headers["X-RateLimit-Reset"] == _ms(datetime(2026, 1, 6, tzinfo=UTC))
    assert len(headers["X-RateLimit-Reset"]) == 13  # milliseconds, not seconds


def test_current_me_is_not_counted_and_has_no_limit_headers(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    response = http.get("/api/v1/current/Me")
    assert not any(name in response.headers for name in MINUTELY + DAILY)
    assert sandbox.call_count(DIVISION) == 0


def test_error_responses_carry_the_limit_headers_too(http: httpx.Client) -> None:
    response = http.get(api("crm/Accounts"))  # mandatory filter missing → 400
    assert response.status_code == 400
    assert response.headers["X-RateLimit-Minutely-Remaining"] == "59"


def test_sixty_calls_per_clock_minute_then_429_with_only_minutely_headers(
    sandbox: ExactSandbox, http: httpx.Client, clock: SimulatedClock
) -> None:
    clock.advance(40)
    for _ in range(60):
        assert http.get(api("financial/Journals")).status_code == 200
    refused = http.get(api("financial/Journals"))
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Minutely-Remaining"] == "0"
    assert all(name in refused.headers for name in MINUTELY)
    assert not any(name in refused.headers for name in DAILY)
    assert sandbox.call_count(DIVISION) == 60
    # Another division has its own budget.
    assert http.get(api("financial/Journals", OTHER_DIVISION)).status_code == 200
    clock.advance(20)  # the next clock minute starts at 09:01:00
    again = http.get(api("financial/Journals"))
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Minutely-Remaining"] == "59"
    assert again.headers["X-RateLimit-Remaining"] == str(5000 - 61)


def test_daily_limit_refuses_with_both_header_sets_until_midnight(clock: SimulatedClock) -> None:
    limiter = RateLimiter(clock, minute_limit=60, day_limit=3)
    for _ in range(3):
        limiter.admit("app", DIVISION)
        clock.advance(minutes=1)
    with pytest.raises(HttpError) as refused:
        limiter.admit("app", DIVISION)
    assert refused.value.status == 429
    assert refused.value.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Minutely-Limit" in refused.value.headers
    limiter.admit("other-app", DIVISION)  # budgets are per app
    clock.advance(hours=15)  # past midnight UTC
    assert limiter.admit("app", DIVISION)["X-RateLimit-Remaining"] == "2"


def _reconnect(sandbox: ExactSandbox, http: httpx.Client) -> None:
    """A fresh access token (the old one lives 600 s)."""
    http.headers["Authorization"] = f"Bearer {sandbox.connect()['access_token']}"


def test_ten_errors_on_one_endpoint_block_it_for_an_hour(
    sandbox: ExactSandbox, http: httpx.Client, clock: SimulatedClock
) -> None:
    for _ in range(10):
        assert http.get(api("crm/Accounts")).status_code == 400
    blocked = http.get(api("crm/Accounts"), params={"$filter": "Name eq 'x'"})
    assert blocked.status_code == 403
    assert "blocked" in blocked.json()["error"]["message"]["value"]
    # Other endpoints are not affected.
    assert http.get(api("financial/Journals")).status_code == 200
    clock.advance(minutes=59)
    _reconnect(sandbox, http)
    assert http.get(api("crm/Accounts"), params={"$filter": "Name eq 'x'"}).status_code == 403
    clock.advance(minutes=1)
    assert http.get(api("crm/Accounts"), params={"$filter": "Name eq 'x'"}).status_code == 200
    assert sandbox.call_count(DIVISION) == 12  # 10 errors, Journals, this one: blocks uncounted


def test_errors_spread_over_more_than_an_hour_do_not_block(
    sandbox: ExactSandbox, http: httpx.Client, clock: SimulatedClock
) -> None:
    for _ in range(9):
        http.get(api("crm/Accounts"))
    clock.advance(hours=1)
    _reconnect(sandbox, http)
    http.get(api("crm/Accounts"))  # the 10th error, but the first nine have aged out
    assert http.get(api("crm/Accounts"), params={"$filter": "Name eq 'x'"}).status_code == 200


def test_not_found_and_expired_tokens_count_as_errors(
    sandbox: ExactSandbox, http: httpx.Client, clock: SimulatedClock
) -> None:
    missing = api("crm/Accounts(guid'00000000-0000-0000-0000-000000000001')")
    for _ in range(9):
        assert http.get(missing).status_code == 404
    clock.advance(600)
    assert http.get(missing).status_code == 401  # expired token: the 10th error
    _reconnect(sandbox, http)
    assert http.get(missing).status_code == 403
