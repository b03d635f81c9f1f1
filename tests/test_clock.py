"""Clocks: the real one and the simulated one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from finlink.clock import Clock, SimulatedClock, SystemClock


def test_system_clock_is_aware_and_moves_forward() -> None:
    clock = SystemClock()
    assert isinstance(clock, Clock)
    assert clock.now().tzinfo is UTC
    first = clock.monotonic()
    clock.sleep(0.001)
    clock.sleep(-1)  # a negative wait returns at once
    assert clock.monotonic() > first
    assert repr(clock) == "SystemClock()"


def test_simulated_clock_moves_only_when_told() -> None:
    clock = SimulatedClock()
    assert isinstance(clock, Clock)
    start = clock.now()
    assert start == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    clock.sleep(30)
    clock.advance(minutes=1)
    clock.advance(0.5)
    assert clock.monotonic() == 90.5
    assert clock.now() - start == timedelta(seconds=90.5)
    assert clock.slept == 30
    assert "2026-01-05T09:01:30.500000+00:00" in repr(clock)


def test_simulated_clock_never_goes_back_and_needs_an_aware_start() -> None:
    clock = SimulatedClock(datetime(2026, 6, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(-1)
    clock.sleep(0)
    assert clock.slept == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2026, 6, 1))  # noqa: DTZ001 - the point of the test


def test_simulated_clock_is_safe_across_threads() -> None:
    clock = SimulatedClock()

    def sleeper() -> None:
        for _ in range(1000):
            clock.sleep(1)

    threads = [threading.Thread(target=sleeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.monotonic() == 4000
