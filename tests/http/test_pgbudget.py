"""The rate budget in PostgreSQL: the same rules as in memory, shared by every process."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from finlink.clock import SimulatedClock
from finlink.http import (
    ConcurrencySlots,
    MemoryRateLimitState,
    PostgresRateLimitState,
    RateLimiter,
    RateLimitState,
    Window,
    WindowKind,
)
from tests.postgres import PgSchema

MINUTE = Window.per_minute(3)
DAY = Window.per_day(5)
T0 = 1_767_603_600.0  # 2026-01-05 09:00:00 UTC, the start of a clock minute


@pytest.fixture
def state(pg_schema: PgSchema) -> Iterator[PostgresRateLimitState]:
    shared = PostgresRateLimitState(pg_schema.options_dsn, namespace="acme", margin=0.0)
    yield shared
    shared.close()


def test_it_is_a_rate_limit_state_with_shared_slots(state: PostgresRateLimitState) -> None:
    assert isinstance(state, RateLimitState)
    assert isinstance(state, ConcurrencySlots)
    assert not isinstance(MemoryRateLimitState(), ConcurrencySlots)


def test_fixed_windows_refuse_the_call_over_the_limit_until_the_next_minute(
    state: PostgresRateLimitState,
) -> None:
    assert [state.reserve("exact:1", [MINUTE], T0 + i) for i in range(3)] == [0.0, 0.0, 0.0]
    assert state.reserve("exact:1", [MINUTE], T0 + 10) == pytest.approx(50.0)
    assert state.usage("exact:1", MINUTE, T0 + 10) == 3
    assert state.reserve("exact:1", [MINUTE], T0 + 60) == 0.0
    assert state.usage("exact:1", MINUTE, T0 + 61) == 1


def test_a_refused_call_counts_in_no_window(state: PostgresRateLimitState) -> None:
    for i in range(3):
        state.reserve("exact:1", [MINUTE, DAY], T0 + i)
    assert state.reserve("exact:1", [MINUTE, DAY], T0 + 5) > 0
    assert state.usage("exact:1", DAY, T0 + 5) == 3
    state.reserve("exact:1", [MINUTE, DAY], T0 + 60)
    state.reserve("exact:1", [MINUTE, DAY], T0 + 61)
    wait = state.reserve("exact:1", [MINUTE, DAY], T0 + 62)
    assert wait == pytest.approx(86400 - 9 * 3600 - 62)  # the day is spent until midnight


def test_administrations_and_tenants_have_budgets_of_their_own(
    state: PostgresRateLimitState, pg_schema: PgSchema
) -> None:
    other = PostgresRateLimitState(pg_schema.options_dsn, namespace="globex", margin=0.0)
    try:
        for i in range(3):
            state.reserve("exact:1", [MINUTE], T0 + i)
        assert state.reserve("exact:2", [MINUTE], T0 + 3) == 0.0
        assert other.reserve("exact:1", [MINUTE], T0 + 3) == 0.0
        assert other.usage("exact:1", MINUTE, T0 + 3) == 1
    finally:
        other.close()


def test_a_call_near_the_end_of_a_window_also_counts_in_the_next(pg_schema: PgSchema) -> None:
    shared = PostgresRateLimitState(pg_schema.options_dsn, margin=2.0)
    try:
        assert shared.reserve("exact:1", [MINUTE], T0 + 58.5) == 0.0
        assert shared.usage("exact:1", MINUTE, T0 + 59) == 1
        # It may land in the vendor's next minute: that minute starts with it counted.
        assert shared.usage("exact:1", MINUTE, T0 + 60) == 1
        assert shared.reserve("exact:1", [MINUTE], T0 + 60) == 0.0
        assert shared.usage("exact:1", MINUTE, T0 + 61) == 2
        assert shared.usage("exact:1", MINUTE, T0 + 121) == 0
    finally:
        shared.close()


def test_sliding_windows_free_calls_as_they_age(state: PostgresRateLimitState) -> None:
    window = Window.per_minute(2, kind=WindowKind.SLIDING)
    assert state.reserve("snel:a", [window], T0 + 0.0) == 0.0
    assert state.reserve("snel:a", [window], T0 + 30.0) == 0.0
    wait = state.reserve("snel:a", [window], T0 + 40.0)
    # The first call's one-second bucket leaves the window after 61 s at the latest.
    assert 20.0 <= wait <= 21.0
    assert state.reserve("snel:a", [window], T0 + 40.0 + wait) == 0.0
    assert state.usage("snel:a", window, T0 + 40.0 + wait) == 2


def test_server_counts_and_blocks_are_shared(state: PostgresRateLimitState) -> None:
    state.raise_usage("exact:1", MINUTE, 3, T0)
    assert state.reserve("exact:1", [MINUTE], T0 + 1) == pytest.approx(59.0)
    state.raise_usage("exact:1", MINUTE, 1, T0 + 2)  # lower than ours: ignored
    assert state.usage("exact:1", MINUTE, T0 + 2) == 3
    state.block_until("exact:2", T0 + 30)
    assert state.reserve("exact:2", [MINUTE], T0 + 10) == pytest.approx(20.0)
    assert state.reserve("exact:2", [MINUTE], T0 + 30) == 0.0


def test_threads_never_reserve_more_than_the_budget(state: PostgresRateLimitState) -> None:
    window = Window.per_minute(40)
    granted: list[float] = []

    def hammer() -> None:
        for _ in range(20):
            if state.reserve("exact:1", [window], T0 + 1) == 0.0:
                granted.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 40
    assert state.usage("exact:1", window, T0 + 2) == 40


def test_concurrency_slots_hold_across_limiters(state: PostgresRateLimitState) -> None:
    clock = SimulatedClock()
    limiters = [
        RateLimiter([Window.per_minute(1000)], clock=clock, max_concurrency=2, state=state)
        for _ in range(5)
    ]
    inside = 0
    most = 0
    guard = threading.Lock()

    def call(limiter: RateLimiter) -> None:
        nonlocal inside, most
        for _ in range(5):
            with limiter.acquire():
                with guard:
                    inside += 1
                    most = max(most, inside)
                threading.Event().wait(0.01)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=call, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2


def test_the_limiter_reads_back_the_budget_left(state: PostgresRateLimitState) -> None:
    clock = SimulatedClock()
    limiter = RateLimiter.for_exact_online(clock=clock, key="exact:7", state=state)
    for _ in range(4):
        with limiter.acquire():
            pass
    other = RateLimiter.for_exact_online(clock=clock, key="exact:7", state=state)
    minute, day = other.budget()
    assert (minute.used, minute.remaining) == (4, 56)
    assert (day.window.limit, day.used, day.remaining) == (5000, 4, 4996)
    assert day.resets_at is not None
    assert day.resets_at.isoformat() == "2026-01-06T00:00:00+00:00"
