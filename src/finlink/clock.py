"""Clocks: the real one, and a simulated one that tests and sandboxes move by hand.

Everything in finlink that waits or looks at the time (rate limiters, retries, token expiry,
the sandboxes) takes a :class:`Clock`, so a test can run an hour of rate-limited traffic in
milliseconds and a vendor can run finlink against a sandbox at the vendor's real limits.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SimulatedClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where finlink gets the time from and how it waits."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary fixed point; never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a simulated clock moves forward instead)."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic`, :func:`time.sleep`, UTC wall time."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """:func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """:func:`time.sleep`, ignoring non-positive waits."""
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


class SimulatedClock:
    """A clock that only moves when told to, or when someone sleeps on it.

    ``sleep(s)`` returns at once and moves the clock forward by ``s``: code under test that
    waits for a rate-limit window "waits" in simulated time. Safe to share between threads.

    Args:
        start: The wall time the clock starts at (timezone-aware; default 2026-01-05 09:00 UTC,
            a Monday morning).
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time")
        self._start = start.astimezone(UTC)
        self._elapsed = 0.0
        self._lock = threading.Lock()
        #: Total seconds spent in :meth:`sleep` (how long the run "waited").
        self.slept = 0.0

    def now(self) -> datetime:
        """The simulated UTC time."""
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Simulated seconds since the clock started."""
        with self._lock:
            return self._elapsed

    def sleep(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` and return at once."""
        if seconds > 0:
            with self._lock:
                self._elapsed += seconds
                self.slept += seconds

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        """Move the clock forward, e.g. ``advance(30)`` or ``advance(minutes=5)``.

        Raises:
            ValueError: For a negative step: the clock never goes back.
        """
        step = seconds + timedelta(**delta).total_seconds()
        if step < 0:
            raise ValueError("a clock never goes back")
        with self._lock:
            self._elapsed += step

    def __repr__(self) -> str:
        return f"SimulatedClock(now={self.now().isoformat()})"
