"""A client-side rate limiter per administration, so finlink waits instead of earning a 429.

Both vendors meter per administration: Exact allows 60 calls per clock minute and 5,000 per
UTC day per app and division (exact-online.md §3), SnelStart 100 or 500 per minute, 1,000 or
5,000 per hour and 5 or 50 concurrent calls per administration depending on the product
(snelstart.md §2.3). A :class:`RateLimiter` holds any number of such windows plus a
concurrency cap, and :meth:`RateLimiter.acquire` waits (on the injected clock) until a call
fits every one of them.

The limiter cannot see calls that other apps or processes make on the same budget, so it
also listens to the server: :meth:`RateLimiter.observe` takes Exact's remaining-calls headers
and trusts them when they are lower than its own count; :meth:`RateLimiter.penalize` takes
the wait a 429 asked for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from finlink._errors import RateLimitError
from finlink.clock import Clock
from finlink.http._ratelimit_state import (
    ConcurrencySlots,
    MemoryRateLimitState,
    RateLimitState,
    Window,
    WindowKind,
)
from finlink.http._retry import RESET_MARGIN, int_header

if TYPE_CHECKING:
    from finlink.backends.capabilities import Capabilities

__all__ = ["RateLimiter", "WindowBudget", "rate_budget"]

logger = logging.getLogger("finlink.http.ratelimit")

# A wait this short would not move a clock that counts in microseconds (SimulatedClock builds
# datetimes); never sleep less, so a waiting loop always makes progress.
_MIN_SLEEP = 0.001
# Penalty after a 429 that named no wait and a limiter without windows: Exact's budgets reset
# at the next clock minute at the latest (exact-online.md §3).
_DEFAULT_PENALTY = 60.0
# Exact's headers, by the length of the window they describe (exact-online.md §3.1).
_HEADERS_BY_PERIOD = {60.0: "X-RateLimit-Minutely-", 86400.0: "X-RateLimit-"}
_PERIOD_NAMES = {60.0: "minute", 3600.0: "hour", 86400.0: "day"}


@attrs.frozen(kw_only=True)
class WindowBudget:
    """How much of one window's budget is used right now (:meth:`RateLimiter.budget`).

    Attributes:
        window: The budget (``Window.per_day(5000)``).
        used: Calls it counts now, across every process sharing the state.
        remaining: Calls still allowed in it (never below 0).
        resets_at: When a fixed window starts afresh (UTC); None for a sliding one.
    """

    window: Window
    used: int
    remaining: int
    resets_at: datetime | None


class RateLimiter:
    """Keeps one administration's calls inside its budgets. Thread-safe.

    Args:
        windows: The budgets every call must fit, e.g.
            ``[Window.per_minute(60), Window.per_day(5000)]``.
        clock: Where time comes from and how waiting is done.
        max_concurrency: At most this many calls in flight at once (``None``: no cap). The cap
            holds within this process: callers beyond it block on a semaphore until a call in
            flight finishes (real threads, so that wait is not on ``clock``). A state with
            :class:`~finlink.http.ConcurrencySlots` (PostgreSQL's) holds it across processes.
        key: Whose budget this is (the administration); the key in ``state``.
        state: Where the counters live; a fresh :class:`~finlink.http.MemoryRateLimitState`
            by default. Pass a shared one so several limiters (processes) draw on one budget.

    Raises:
        ValueError: On ``max_concurrency`` below 1.
    """

    def __init__(
        self,
        windows: Sequence[Window],
        *,
        clock: Clock,
        max_concurrency: int | None = None,
        key: str = "default",
        state: RateLimitState | None = None,
        max_wait: float | None = None,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        #: The longest single wait before a call; a longer one (a spent daily budget, say)
        #: raises RateLimitError instead, so a worker on the real clock is not blocked for
        #: hours. None waits as long as it takes (what a simulated clock wants).
        self.max_wait = max_wait
        self.windows: tuple[Window, ...] = tuple(windows)
        self.clock = clock
        self.key = key
        self.max_concurrency = max_concurrency
        self.state: RateLimitState = state if state is not None else MemoryRateLimitState()
        self._slots = (
            threading.BoundedSemaphore(max_concurrency) if max_concurrency is not None else None
        )
        self._lock = threading.Lock()
        self._waited = 0.0

    @classmethod
    def from_capabilities(
        cls,
        capabilities: Capabilities,
        *,
        clock: Clock,
        key: str = "default",
        state: RateLimitState | None = None,
    ) -> RateLimiter:
        """The limiter a backend's declared :class:`~finlink.backends.Capabilities` call for.

        Each ``RateLimit`` becomes a :class:`~finlink.http.Window` (``aligned`` → fixed,
        otherwise sliding) and ``max_concurrency`` carries over, so a backend states its
        budgets once, in its capabilities.
        """
        windows = [
            Window(
                limit=budget.calls,
                seconds=budget.period_seconds,
                kind=WindowKind.FIXED if budget.aligned else WindowKind.SLIDING,
                name=_PERIOD_NAMES.get(budget.period_seconds, ""),
            )
            for budget in capabilities.rate_limits
        ]
        return cls(
            windows,
            clock=clock,
            max_concurrency=capabilities.max_concurrency,
            key=key,
            state=state,
        )

    @classmethod
    def for_exact_online(
        cls,
        *,
        clock: Clock,
        key: str = "default",
        daily_limit: int = 5000,
        state: RateLimitState | None = None,
        max_wait: float | None = None,
    ) -> RateLimiter:
        """Exact Online's budget for one division: 60 per clock minute, 5,000 per UTC day.

        One call at a time: Exact queues parallel requests "in a random order … data
        integrity cannot be guaranteed" (exact-online.md §3, §6 quirk 4). Pass
        ``daily_limit=30000`` for a Premium licence (§3).
        """
        windows = [Window.per_minute(60), Window.per_day(daily_limit)]
        return cls(windows, clock=clock, max_concurrency=1, key=key, state=state, max_wait=max_wait)

    @classmethod
    def for_snelstart(
        cls,
        *,
        clock: Clock,
        key: str = "default",
        test_key: bool = False,
        state: RateLimitState | None = None,
    ) -> RateLimiter:
        """SnelStart's budget for one administration (snelstart.md §2.3).

        Maatwerk and Productie keys: 500 per minute, 5,000 per hour, 50 concurrent; the
        Ontwikkeling & Test key (``test_key=True``): 100, 1,000 and 5. Both windows slide: the
        minute is Azure API Management's sliding ``rate-limit``; how the hour is counted is not
        documented, and a sliding window is the safe guess, since calls that fit a sliding
        window of N per hour fit a fixed one of N per hour however it is aligned.
        """
        per_minute, per_hour, concurrent = (100, 1000, 5) if test_key else (500, 5000, 50)
        windows = [
            Window.per_minute(per_minute, kind=WindowKind.SLIDING),
            Window.per_hour(per_hour, kind=WindowKind.SLIDING),
        ]
        return cls(windows, clock=clock, max_concurrency=concurrent, key=key, state=state)

    @property
    def waited(self) -> float:
        """Total seconds this limiter has waited on the clock so far."""
        with self._lock:
            return self._waited

    @contextmanager
    def acquire(self) -> Iterator[None]:
        """Wait until one more call fits, and hold a concurrency slot while it runs.

        Use it around exactly one HTTP call::

            with limiter.acquire():
                response = client.send(request)

        The slot is taken first and the budget counted after, so a call is counted at the
        moment it is really sent.
        """
        with ExitStack() as stack:
            if self._slots is not None:
                self._slots.acquire()
                stack.callback(self._slots.release)
            if self.max_concurrency is not None and isinstance(self.state, ConcurrencySlots):
                # The semaphore caps this process; the shared slot caps all of them.
                stack.enter_context(self.state.slot(self.key, self.max_concurrency))
            self._wait_for_budget()
            yield

    def _wait_for_budget(self) -> None:
        while True:
            wait = self.state.reserve(self.key, self.windows, self.clock.now().timestamp())
            if wait <= 0:
                return
            if self.max_wait is not None and wait > self.max_wait:
                # Nothing was counted or sent: the caller may try again after the wait.
                raise RateLimitError(
                    f"the call budget of {self.key} is spent for the next {wait:.0f} s",
                    retry_after=timedelta(seconds=wait),
                    status_code=None,
                    administration=self.key,
                )
            wait = max(wait, _MIN_SLEEP)
            logger.debug("rate limit for %s: waiting %.3f s", self.key, wait)
            with self._lock:
                self._waited += wait
            self.clock.sleep(wait)

    def budget(self) -> tuple[WindowBudget, ...]:
        """Each window's use right now, e.g. the calls left today (``finlink status``).

        With a shared state (PostgreSQL) this is the use of every process together.
        """
        now = self.clock.now().timestamp()
        result = []
        for window in self.windows:
            used = self.state.usage(self.key, window, now)
            resets = None
            if window.kind is WindowKind.FIXED:
                resets = datetime.fromtimestamp(window.start_of(now) + window.seconds, UTC)
            result.append(
                WindowBudget(
                    window=window,
                    used=used,
                    remaining=max(0, window.limit - used),
                    resets_at=resets,
                )
            )
        return tuple(result)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the server's count from Exact-style headers, where it is lower than ours.

        ``X-RateLimit-Minutely-Remaining`` adjusts 60-second windows and
        ``X-RateLimit-Remaining`` day windows (exact-online.md §3.1): the window then counts at
        least ``limit - remaining`` calls. A remaining count of 0 also blocks until the
        matching ``…-Reset`` time (UTC epoch milliseconds), whatever our own windows think.
        Missing or unreadable headers change nothing (Exact leaves the daily ones out when the
        minute budget is spent, §3.1 notes).
        """
        now = self.clock.now().timestamp()
        for period, prefix in _HEADERS_BY_PERIOD.items():
            remaining = int_header(headers, prefix + "Remaining")
            if remaining is None:
                continue
            for window in self.windows:
                if window.seconds == period:
                    used = window.limit - max(0, remaining)
                    self.state.raise_usage(self.key, window, used, now)
            reset_ms = int_header(headers, prefix + "Reset")
            if remaining <= 0 and reset_ms is not None:
                self.state.block_until(self.key, reset_ms / 1000.0 + RESET_MARGIN)

    def penalize(self, retry_after: float | timedelta | None = None) -> None:
        """After a 429, refuse calls for ``retry_after``.

        Without a wait, block until the shortest window rolls over (the next clock minute for
        Exact, whose budgets reset "at the next clock minute", exact-online.md §3).
        """
        now = self.clock.now().timestamp()
        if isinstance(retry_after, timedelta):
            retry_after = retry_after.total_seconds()
        if retry_after is None:
            retry_after = self._next_rollover(now) - now
        self.state.block_until(self.key, now + max(0.0, retry_after))

    def _next_rollover(self, now: float) -> float:
        if not self.windows:
            return now + _DEFAULT_PENALTY
        shortest = min(self.windows, key=lambda w: w.seconds)
        if shortest.kind is WindowKind.FIXED:
            return shortest.start_of(now) + shortest.seconds
        return now + shortest.seconds

    def __repr__(self) -> str:
        windows = ", ".join(w.label() for w in self.windows)
        return (
            f"RateLimiter(key={self.key!r}, windows=[{windows}], "
            f"max_concurrency={self.max_concurrency})"
        )


def rate_budget(backend: object) -> tuple[WindowBudget, ...]:
    """What a backend's rate limiter shows now, window by window; ``()`` without one.

    Reads the backend's ``limiter`` attribute (:class:`~finlink.backends.exact.ExactBackend`
    and :class:`~finlink.backends.snelstart.SnelStartBackend` have one). Only a shared state
    (:class:`~finlink.http.PostgresRateLimitState`) knows what other processes used; an
    in-memory one counts this process alone.
    """
    limiter = getattr(backend, "limiter", None)
    return limiter.budget() if isinstance(limiter, RateLimiter) else ()
