"""RetryPolicy: which statuses, how long (jittered backoff, the server's wait), how often."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from finlink.http import (
    RetryPolicy,
    is_idempotent_method,
    parse_retry_after,
    vendor_reset_wait,
)

NOW = datetime(2023, 5, 12, 8, 18, 25, tzinfo=UTC)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_retries_timeouts_rate_limits_and_server_errors(status: int) -> None:
    assert RetryPolicy().retries_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 422])
def test_does_not_retry_client_errors(status: int) -> None:
    assert not RetryPolicy().retries_status(status)


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    top = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: 0.999999)
    assert [round(top.backoff(n), 3) for n in (1, 2, 3, 4, 5, 6)] == [
        1.0,
        2.0,
        4.0,
        8.0,
        10.0,
        10.0,
    ]
    bottom = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: 0.0)
    assert bottom.backoff(4) == 0.0
    half = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: 0.5)
    assert half.backoff(3) == 2.0


def test_default_random_source_stays_within_the_step() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    for _ in range(200):
        assert 0.0 <= policy.backoff(10) < 4.0


def test_retry_after_in_seconds_and_as_http_date() -> None:
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after(" 1.5 ", NOW) == 1.5
    assert parse_retry_after("Fri, 12 May 2023 08:18:55 GMT", NOW) == 30.0
    assert parse_retry_after("Fri, 12 May 2023 08:18:55 +0000", NOW) == 30.0
    assert parse_retry_after("Fri, 12 May 2023 08:18:55 -0000", NOW) == 30.0  # naive: GMT


@pytest.mark.parametrize("value", [None, "", "  ", "soon", "nan", "inf", "Fri, 99 Foo 2023"])
def test_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_retry_after_in_the_past_or_negative_means_no_wait() -> None:
    assert parse_retry_after("-5", NOW) == 0.0
    assert parse_retry_after("Fri, 12 May 2023 08:00:00 GMT", NOW) == 0.0


def test_exact_minutely_reset_in_epoch_milliseconds() -> None:
    # picqer#609: Date 08:18:25, X-RateLimit-Minutely-Reset 1683879540000 = 08:19:00 UTC.
    headers = httpx.Headers(
        {"X-RateLimit-Minutely-Remaining": "0", "X-RateLimit-Minutely-Reset": "1683879540000"}
    )
    assert vendor_reset_wait(headers, NOW) == 35.0 + 1.0


def test_reset_without_remaining_counts_as_exhausted() -> None:
    headers = httpx.Headers({"x-ratelimit-minutely-reset": "1683879540000"})
    assert vendor_reset_wait(headers, NOW) == 36.0


def test_reset_of_a_budget_with_calls_left_is_no_reason_to_wait() -> None:
    headers = httpx.Headers(
        {"X-RateLimit-Minutely-Remaining": "12", "X-RateLimit-Minutely-Reset": "1683879540000"}
    )
    assert vendor_reset_wait(headers, NOW) is None
    assert vendor_reset_wait(httpx.Headers({}), NOW) is None


def test_spent_daily_budget_waits_for_midnight_utc() -> None:
    headers = httpx.Headers(
        {
            "X-RateLimit-Minutely-Remaining": "0",
            "X-RateLimit-Minutely-Reset": "1683879540000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "1683936000000",  # 2023-05-13 00:00 UTC
        }
    )
    assert vendor_reset_wait(headers, NOW) == (1683936000 - NOW.timestamp()) + 1.0


def test_unreadable_reset_headers_are_ignored() -> None:
    headers = httpx.Headers(
        {"X-RateLimit-Minutely-Remaining": "x", "X-RateLimit-Minutely-Reset": "y"}
    )
    assert vendor_reset_wait(headers, NOW) is None


def test_server_wait_prefers_retry_after_over_reset_headers() -> None:
    policy = RetryPolicy()
    headers = httpx.Headers({"Retry-After": "3", "X-RateLimit-Minutely-Reset": "1683879540000"})
    assert policy.server_wait(headers, NOW) == 3.0


def test_no_server_hint_without_headers() -> None:
    assert RetryPolicy().server_wait(httpx.Headers({}), NOW) is None


def test_attempt_and_total_wait_budgets() -> None:
    policy = RetryPolicy(max_attempts=3, max_total_wait=10.0)
    assert policy.allows(1, 0.0, 5.0)
    assert policy.allows(2, 5.0, 5.0)
    assert not policy.allows(3, 0.0, 0.0)
    assert not policy.allows(2, 6.0, 5.0)


def test_never_makes_a_single_attempt() -> None:
    assert not RetryPolicy.never().allows(1, 0.0, 0.0)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"max_total_wait": -1.0}, {"base_delay": -1.0}, {"max_delay": -0.1}],
)
def test_nonsense_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_is_a_frozen_value_whose_repr_hides_the_random_source() -> None:
    policy = RetryPolicy(random=lambda: 0.1)
    assert policy == RetryPolicy()
    assert "random" not in repr(policy)
    with pytest.raises(AttributeError):
        policy.max_attempts = 9  # type: ignore[misc]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("GET", True),
        ("put", True),
        ("DELETE", True),
        ("HEAD", True),
        ("POST", False),
        ("PATCH", False),
    ],
)
def test_idempotent_methods(method: str, expected: bool) -> None:
    assert is_idempotent_method(method) is expected
