"""RateLimiter: waits on the clock instead of earning 429s, trusts the server, caps concurrency."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from finlink.backends import Capabilities, RateLimit
from finlink.clock import SimulatedClock
from finlink.http import (
    ApiClient,
    MemoryRateLimitState,
    RateLimiter,
    RateLimitState,
    RetryPolicy,
    Window,
    WindowKind,
)
from tests.http.fakes import MinuteBudgetServer

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _calls(limiter: RateLimiter, count: int) -> list[float]:
    """Acquire ``count`` times; return the simulated second (since START) of each call."""
    stamps = []
    for _ in range(count):
        with limiter.acquire():
            stamps.append((limiter.clock.now() - START).total_seconds())
    return stamps


def test_done_criterion_600_calls_at_60_per_clock_minute_without_a_single_429(
    clock: SimulatedClock,
) -> None:
    server = MinuteBudgetServer(clock, limit=60, headers=False)
    limiter = RateLimiter([Window.per_minute(60)], clock=clock, key="division-1")
    with httpx.Client(transport=httpx.MockTransport(server), base_url="https://exact.test") as http:
        api = ApiClient(http, clock=clock, limiter=limiter, retry=RetryPolicy.never())
        for _ in range(600):
            api.get_json("/api/v1/1/crm/Accounts")
    assert server.served == 600
    assert server.rejected == 0
    assert clock.now() - START <= timedelta(minutes=10, seconds=30)


def test_600_calls_starting_mid_minute_stay_within_the_budget_too() -> None:
    clock = SimulatedClock(START + timedelta(seconds=42.5))
    server = MinuteBudgetServer(clock, limit=60)
    limiter = RateLimiter.for_exact_online(clock=clock, key="division-1")
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        api = ApiClient(http, clock=clock, limiter=limiter, retry=RetryPolicy.never())
        for _ in range(600):
            api.get_json("https://exact.test/api/v1/1/crm/Accounts")
    assert server.rejected == 0
    assert clock.now() - (START + timedelta(seconds=42.5)) <= timedelta(minutes=10, seconds=30)


def test_fixed_window_resets_at_the_clock_minute(clock: SimulatedClock) -> None:
    clock.advance(50)
    limiter = RateLimiter([Window.per_minute(3)], clock=clock)
    assert _calls(limiter, 4) == [50.0, 50.0, 50.0, 60.0]
    assert limiter.waited == pytest.approx(10.0)


def test_daily_window_resets_at_midnight_utc(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_day(2)], clock=clock)
    stamps = _calls(limiter, 3)
    assert stamps[:2] == [0.0, 0.0]
    assert START + timedelta(seconds=stamps[2]) == datetime(2026, 1, 6, tzinfo=UTC)


def test_sliding_window_counts_the_last_period_whenever_it_started(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(2, kind=WindowKind.SLIDING)], clock=clock)
    with limiter.acquire():
        pass
    clock.advance(50)
    # Two calls in the last minute (at 0 s and 50 s): the third waits for the first to age out.
    assert _calls(limiter, 2) == [50.0, 60.0]


def test_every_window_must_have_room(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(10), Window.per_hour(12)], clock=clock)
    stamps = _calls(limiter, 13)
    assert stamps[9] == 0.0
    assert stamps[10] == 60.0
    assert stamps[11] == 60.0
    assert stamps[12] == 3600.0


def test_trusts_a_lower_server_count(clock: SimulatedClock) -> None:
    server = MinuteBudgetServer(clock, limit=60)
    server.others(server.minute(), 50)  # another app on the same division used 50 already
    limiter = RateLimiter.for_exact_online(clock=clock)
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        api = ApiClient(http, clock=clock, limiter=limiter, retry=RetryPolicy.never())
        for _ in range(30):
            api.get_json("https://exact.test/api/v1/1/crm/Accounts")
    assert server.rejected == 0
    # The 10th answer said "0 left, reset at 09:01:00": wait for it, plus a second of margin.
    assert clock.now() - START == timedelta(minutes=1, seconds=1)


def test_server_reporting_nothing_left_blocks_until_its_reset(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(60), Window.per_day(5000)], clock=clock)
    reset_ms = int((START + timedelta(hours=15)).timestamp() * 1000)
    limiter.observe(
        httpx.Headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_ms)})
    )
    with limiter.acquire():
        waited_until = clock.now()
    assert waited_until == START + timedelta(hours=15, seconds=1)


def test_observing_a_higher_server_count_changes_nothing(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(3)], clock=clock)
    _calls(limiter, 2)
    limiter.observe(httpx.Headers({"X-RateLimit-Minutely-Remaining": "59"}))
    assert _calls(limiter, 2) == [0.0, 60.0]


def test_unreadable_headers_and_unmatched_windows_are_ignored(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_hour(2)], clock=clock)
    limiter.observe(
        httpx.Headers({"X-RateLimit-Minutely-Remaining": "0", "X-RateLimit-Remaining": "n/a"})
    )
    assert _calls(limiter, 2) == [0.0, 0.0]


def test_observed_count_fills_a_sliding_window(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(5, kind=WindowKind.SLIDING)], clock=clock)
    limiter.observe(httpx.Headers({"X-RateLimit-Minutely-Remaining": "1"}))
    assert _calls(limiter, 2) == [0.0, 60.0]


def test_penalize_blocks_for_the_given_wait(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(60)], clock=clock)
    limiter.penalize(timedelta(seconds=12))
    assert _calls(limiter, 1) == [12.0]
    limiter.penalize(3.5)
    assert _calls(limiter, 1) == [15.5]


def test_penalize_without_a_wait_blocks_until_the_next_clock_minute(clock: SimulatedClock) -> None:
    clock.advance(20)
    limiter = RateLimiter([Window.per_day(5000), Window.per_minute(60)], clock=clock)
    limiter.penalize()
    assert _calls(limiter, 1) == [60.0]


def test_penalize_without_a_wait_on_sliding_or_no_windows(clock: SimulatedClock) -> None:
    sliding = RateLimiter([Window.per_minute(9, kind=WindowKind.SLIDING)], clock=clock)
    sliding.penalize(None)
    assert _calls(sliding, 1) == [60.0]
    bare = RateLimiter([], clock=clock)
    bare.penalize(None)
    assert _calls(bare, 1) == [120.0]


def test_limiters_sharing_a_state_share_the_budget(clock: SimulatedClock) -> None:
    state = MemoryRateLimitState()
    assert isinstance(state, RateLimitState)
    one = RateLimiter([Window.per_minute(2)], clock=clock, key="adm", state=state)
    two = RateLimiter([Window.per_minute(2)], clock=clock, key="adm", state=state)
    other = RateLimiter([Window.per_minute(2)], clock=clock, key="other-adm", state=state)
    assert _calls(one, 1) + _calls(two, 1) + _calls(other, 2) == [0.0, 0.0, 0.0, 0.0]
    assert _calls(two, 1) == [60.0]


def test_max_concurrency_is_enforced_across_five_threads(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(10_000)], clock=clock, max_concurrency=2)
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.005)  # real time, so the threads overlap
        with lock:
            in_flight -= 1
        return httpx.Response(200, json=[])

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        api = ApiClient(http, clock=clock, limiter=limiter)

        def worker() -> None:
            for _ in range(10):
                api.get_json("https://snelstart.test/v2/relaties")

        with ThreadPoolExecutor(max_workers=5) as pool:
            futures = [pool.submit(worker) for _ in range(5)]
            for future in futures:
                future.result()  # re-raises whatever a worker raised
    assert peak == 2


def test_concurrency_slot_is_released_when_the_call_fails(clock: SimulatedClock) -> None:
    limiter = RateLimiter([], clock=clock, max_concurrency=1)
    with pytest.raises(RuntimeError), limiter.acquire():
        raise RuntimeError("call failed")
    with limiter.acquire():  # would block forever if the slot leaked
        pass


def test_vendor_presets(clock: SimulatedClock) -> None:
    exact = RateLimiter.for_exact_online(clock=clock, key="123", daily_limit=30000)
    assert [w.label() for w in exact.windows] == ["60/minute", "30000/day"]
    assert exact.max_concurrency == 1
    production = RateLimiter.for_snelstart(clock=clock)
    assert [(w.label(), w.kind) for w in production.windows] == [
        ("500/minute", WindowKind.SLIDING),
        ("5000/hour", WindowKind.SLIDING),
    ]
    assert production.max_concurrency == 50
    test_key = RateLimiter.for_snelstart(clock=clock, test_key=True)
    assert [w.limit for w in test_key.windows] == [100, 1000]
    assert test_key.max_concurrency == 5
    assert (
        repr(exact) == "RateLimiter(key='123', windows=[60/minute, 30000/day], max_concurrency=1)"
    )


def test_limiter_from_a_backends_declared_capabilities(clock: SimulatedClock) -> None:
    capabilities = Capabilities(
        rate_limits=(
            RateLimit(calls=60, period_seconds=60),
            RateLimit(calls=1000, period_seconds=3600, aligned=False),
            RateLimit(calls=7, period_seconds=90),
        ),
        max_concurrency=3,
    )
    limiter = RateLimiter.from_capabilities(capabilities, clock=clock, key="adm")
    assert [(w.label(), w.kind) for w in limiter.windows] == [
        ("60/minute", WindowKind.FIXED),
        ("1000/hour", WindowKind.SLIDING),
        ("7/90s", WindowKind.FIXED),
    ]
    assert limiter.max_concurrency == 3
    assert limiter.key == "adm"
    unlimited = RateLimiter.from_capabilities(Capabilities(), clock=clock)
    assert unlimited.windows == ()
    assert unlimited.max_concurrency is None


def test_window_labels_and_validation() -> None:
    assert Window(limit=7, seconds=90).label() == "7/90s"
    with pytest.raises(ValueError, match="limit"):
        Window(limit=0, seconds=60)
    with pytest.raises(ValueError, match="seconds"):
        Window(limit=1, seconds=0)
    with pytest.raises(ValueError, match="max_concurrency"):
        RateLimiter([], clock=SimulatedClock(), max_concurrency=0)
    assert repr(MemoryRateLimitState()) == "MemoryRateLimitState()"


@settings(max_examples=60, deadline=None)
@example(kind=WindowKind.SLIDING, limit=1, seconds=10.0, gaps=[0.0, 0.0, 0.0])
@example(kind=WindowKind.FIXED, limit=2, seconds=60.0, gaps=[59.0, 0.5, 0.4, 0.2])
@given(
    kind=st.sampled_from(list(WindowKind)),
    limit=st.integers(min_value=1, max_value=5),
    seconds=st.sampled_from([1.0, 10.0, 60.0]),
    gaps=st.lists(st.floats(min_value=0.0, max_value=15.0), min_size=1, max_size=40),
)
def test_no_window_span_ever_holds_more_calls_than_the_limit(
    kind: WindowKind, limit: int, seconds: float, gaps: list[float]
) -> None:
    clock = SimulatedClock()
    limiter = RateLimiter([Window(limit=limit, seconds=seconds, kind=kind)], clock=clock)
    stamps: list[float] = []
    for gap in gaps:
        clock.advance(gap)
        with limiter.acquire():
            stamps.append(clock.now().timestamp())
    for i, first in enumerate(stamps):
        if kind is WindowKind.SLIDING:
            # Any span of `seconds` starting at a call holds at most `limit` calls.
            in_span = [t for t in stamps[i:] if t < first + seconds]
        else:
            # Every clock-aligned window holds at most `limit` calls.
            start = (first // seconds) * seconds
            in_span = [t for t in stamps if start <= t < start + seconds]
        assert len(in_span) <= limit


def test_a_wait_longer_than_max_wait_raises_instead_of_blocking() -> None:
    from datetime import timedelta

    from finlink import RateLimitError
    from finlink.clock import SimulatedClock
    from finlink.http import RateLimiter

    clock = SimulatedClock()
    limiter = RateLimiter.for_exact_online(clock=clock, daily_limit=2, max_wait=120)
    for _ in range(2):
        with limiter.acquire():
            pass
    with pytest.raises(RateLimitError) as caught, limiter.acquire():
        pass  # pragma: no cover - never reached
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > timedelta(hours=1)  # until midnight UTC
    assert caught.value.retriable
    assert clock.monotonic() == 0  # it did not wait
