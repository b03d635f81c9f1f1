"""Rate-limit windows and where their counters live.

A :class:`Window` is one budget ("60 calls per clock minute"). Its counters sit behind the
small :class:`RateLimitState` protocol, so several worker processes can share one budget by
plugging in a store backed by a database; :class:`MemoryRateLimitState` is the in-process
default. Times are UTC epoch seconds from the injected clock's ``now()``, not monotonic
seconds: fixed windows must line up with the vendor's clock minute and day, and a shared
store needs a time every process agrees on.
"""

from __future__ import annotations

import enum
import math
import threading
from collections import deque
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

import attrs

__all__ = [
    "ConcurrencySlots",
    "MemoryRateLimitState",
    "RateLimitState",
    "Window",
    "WindowKind",
]


class WindowKind(enum.Enum):
    """How a window counts.

    ``FIXED`` windows start at multiples of their length since the Unix epoch, so a 60-second
    window is the clock minute, an hour the clock hour and a day the UTC day: Exact's budgets
    ("rejected until the next clock minute", daily reset at 00:00 UTC, exact-online.md §3,
    §3.1). ``SLIDING`` windows count the calls of the last ``seconds`` seconds, whenever that
    started: what Azure API Management's ``rate-limit`` policy enforces ("the length in
    seconds of the sliding window", Microsoft's policy reference), which SnelStart runs on
    (snelstart.md §2.3).
    """

    FIXED = "fixed"
    SLIDING = "sliding"


@attrs.frozen(kw_only=True)
class Window:
    """One call budget: at most ``limit`` calls per ``seconds``.

    Attributes:
        limit: Calls allowed per window.
        seconds: The window's length.
        kind: Fixed (aligned to the clock) or sliding.
        name: A label for logs (``"minute"``).

    Raises:
        ValueError: On a limit below 1 or a non-positive length.
    """

    limit: int = attrs.field(validator=attrs.validators.ge(1))
    seconds: float = attrs.field(validator=attrs.validators.gt(0))
    kind: WindowKind = WindowKind.FIXED
    name: str = ""

    @classmethod
    def per_minute(cls, limit: int, *, kind: WindowKind = WindowKind.FIXED) -> Window:
        """``limit`` calls per minute (the clock minute when fixed)."""
        return cls(limit=limit, seconds=60.0, kind=kind, name="minute")

    @classmethod
    def per_hour(cls, limit: int, *, kind: WindowKind = WindowKind.FIXED) -> Window:
        """``limit`` calls per hour (the clock hour when fixed)."""
        return cls(limit=limit, seconds=3600.0, kind=kind, name="hour")

    @classmethod
    def per_day(cls, limit: int, *, kind: WindowKind = WindowKind.FIXED) -> Window:
        """``limit`` calls per day (midnight to midnight UTC when fixed)."""
        return cls(limit=limit, seconds=86400.0, kind=kind, name="day")

    def label(self) -> str:
        """``"60/minute"``: how logs name the window."""
        return f"{self.limit}/{self.name or f'{self.seconds:g}s'}"

    def start_of(self, now: float) -> float:
        """The start of the fixed window that contains ``now`` (epoch seconds)."""
        return math.floor(now / self.seconds) * self.seconds


@runtime_checkable
class RateLimitState(Protocol):
    """Where a :class:`~finlink.http.RateLimiter` keeps its counters.

    Every method must be atomic with respect to the others for the same ``key`` (a shared
    implementation takes a row lock or runs one SQL statement). ``key`` names the budget's
    owner, normally the administration; ``now`` and ``until`` are UTC epoch seconds.
    """

    def reserve(self, key: str, windows: Sequence[Window], now: float) -> float:
        """Count one call at ``now`` in every window if all have room, and return ``0.0``.

        Otherwise count nothing and return the seconds to wait before asking again.
        """
        ...

    def raise_usage(self, key: str, window: Window, used: int, now: float) -> None:
        """Make ``window`` count at least ``used`` calls at ``now`` (the server knows better)."""
        ...

    def block_until(self, key: str, until: float) -> None:
        """Refuse every reservation for ``key`` until ``until`` (after a 429)."""
        ...

    def usage(self, key: str, window: Window, now: float) -> int:
        """The calls ``window`` counts at ``now`` (for status pages: the budget left)."""
        ...


@runtime_checkable
class ConcurrencySlots(Protocol):
    """A :class:`RateLimitState` that also caps calls in flight across processes.

    :meth:`~finlink.http.RateLimiter.acquire` holds a slot around each call when its state
    has this method; the in-process semaphore alone only caps one process.
    """

    def slot(self, key: str, limit: int) -> AbstractContextManager[None]:
        """Hold one of ``limit`` slots of ``key`` (waiting for one) while the block runs."""
        ...


class MemoryRateLimitState:
    """The in-process :class:`RateLimitState`: dictionaries behind one lock. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fixed: dict[tuple[str, Window], tuple[float, int]] = {}
        self._sliding: dict[tuple[str, Window], deque[float]] = {}
        self._blocked: dict[str, float] = {}

    def _fixed_count(self, key: str, window: Window, now: float) -> int:
        start, count = self._fixed.get((key, window), (math.nan, 0))
        return count if start == window.start_of(now) else 0

    def _calls(self, key: str, window: Window, now: float) -> deque[float]:
        calls = self._sliding.setdefault((key, window), deque())
        while calls and calls[0] <= now - window.seconds:
            calls.popleft()
        return calls

    def _wait(self, key: str, window: Window, now: float) -> float:
        if window.kind is WindowKind.FIXED:
            if self._fixed_count(key, window, now) < window.limit:
                return 0.0
            return window.start_of(now) + window.seconds - now
        calls = self._calls(key, window, now)
        if len(calls) < window.limit:
            return 0.0
        # The call whose expiry brings the count back under the limit.
        return calls[len(calls) - window.limit] + window.seconds - now

    def _count(self, key: str, window: Window, now: float, used: int) -> None:
        if window.kind is WindowKind.FIXED:
            self._fixed[(key, window)] = (window.start_of(now), used)
        else:
            calls = self._calls(key, window, now)
            calls.extend([now] * (used - len(calls)))

    def _used(self, key: str, window: Window, now: float) -> int:
        if window.kind is WindowKind.FIXED:
            return self._fixed_count(key, window, now)
        return len(self._calls(key, window, now))

    def reserve(self, key: str, windows: Sequence[Window], now: float) -> float:
        """See :meth:`RateLimitState.reserve`."""
        with self._lock:
            wait = max(0.0, self._blocked.get(key, 0.0) - now)
            for window in windows:
                wait = max(wait, self._wait(key, window, now))
            if wait > 0:
                return wait
            for window in windows:
                self._count(key, window, now, self._used(key, window, now) + 1)
            return 0.0

    def raise_usage(self, key: str, window: Window, used: int, now: float) -> None:
        """See :meth:`RateLimitState.raise_usage`."""
        with self._lock:
            if used > self._used(key, window, now):
                self._count(key, window, now, used)

    def block_until(self, key: str, until: float) -> None:
        """See :meth:`RateLimitState.block_until`."""
        with self._lock:
            self._blocked[key] = max(until, self._blocked.get(key, 0.0))

    def usage(self, key: str, window: Window, now: float) -> int:
        """See :meth:`RateLimitState.usage`."""
        with self._lock:
            return self._used(key, window, now)

    def __repr__(self) -> str:
        return "MemoryRateLimitState()"
