"""Exact Online's API limits: calls per minute and per day, and the error budget.

* 60 calls per app per division per **clock** minute and 5,000 per day (reference §3):
  "60 calls between 10:00:00 and 10:00:40 → rejected until 10:01:00"; the day resets at
  midnight UTC (the recorded ``X-RateLimit-Reset`` is 00:00 UTC, §3.1).
* Headers on every counted response (§3.1); reset values are epoch **milliseconds**. When the
  minutely limit is hit only the minutely headers are sent (§3.1 notes; picqer#646).
* At most 10 errors (400/401/403/404) per app, user, division and endpoint per hour; after
  that the endpoint is blocked for an hour (§3, [KB-limits]). The status and text of the
  block are not documented (UNVERIFIED): the sandbox answers 403 with an explanatory text.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

from finlink.clock import Clock
from finlink.testing.exact.wire import HttpError, epoch_ms, error_body

__all__ = ["ERROR_STATUSES", "ErrorBudget", "RateLimiter"]

MINUTE_LIMIT = 60
DAY_LIMIT = 5000
ERROR_LIMIT = 10
ERROR_WINDOW = timedelta(hours=1)
ERROR_STATUSES = frozenset({400, 401, 403, 404})


class RateLimiter:
    """Minutely and daily call budgets per (app, division).

    Args:
        clock: Where time comes from.
        minute_limit: Calls per clock minute.
        day_limit: Calls per UTC day.
    """

    def __init__(
        self, clock: Clock, minute_limit: int = MINUTE_LIMIT, day_limit: int = DAY_LIMIT
    ) -> None:
        self._clock = clock
        self.minute_limit = minute_limit
        self.day_limit = day_limit
        self._minute: dict[tuple[str, int], tuple[datetime, int]] = {}
        self._day: dict[tuple[str, int], tuple[datetime, int]] = {}
        #: Calls accepted per division (all apps), for tests to inspect.
        self.calls: dict[int, int] = defaultdict(int)
        #: Calls refused with 429 per division: what a well-behaved client never earns.
        self.refused: dict[int, int] = defaultdict(int)
        #: Calls accepted per (division, clock minute): the per-minute use, for tests.
        self.per_minute: dict[tuple[int, datetime], int] = defaultdict(int)
        #: Calls accepted per (division, UTC day).
        self.per_day: dict[tuple[int, datetime], int] = defaultdict(int)

    def _windows(self) -> tuple[datetime, datetime]:
        now = self._clock.now()
        minute = now.replace(second=0, microsecond=0)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return minute, day

    def admit(self, client_id: str, division: int) -> dict[str, str]:
        """Count one call and return the rate-limit headers for its response.

        Raises:
            HttpError: 429 when the minutely or daily budget is spent; with only the
                minutely headers when the minute budget is the one exhausted.
        """
        minute, day = self._windows()
        key = (client_id, division)
        minute_start, minute_used = self._minute.get(key, (minute, 0))
        if minute_start != minute:
            minute_used = 0
        day_start, day_used = self._day.get(key, (day, 0))
        if day_start != day:
            day_used = 0
        minutely = {
            "X-RateLimit-Minutely-Limit": str(self.minute_limit),
            "X-RateLimit-Minutely-Remaining": "0",
            "X-RateLimit-Minutely-Reset": str(epoch_ms(minute + timedelta(minutes=1))),
        }
        daily = {
            "X-RateLimit-Limit": str(self.day_limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(epoch_ms(day + timedelta(days=1))),
        }
        if day_used >= self.day_limit or minute_used >= self.minute_limit:
            self.refused[division] += 1
        if day_used >= self.day_limit:
            raise HttpError(429, error_body("Too Many Requests"), {**minutely, **daily})
        if minute_used >= self.minute_limit:
            raise HttpError(429, error_body("Too Many Requests"), minutely)
        self._minute[key] = (minute, minute_used + 1)
        self._day[key] = (day, day_used + 1)
        self.calls[division] += 1
        self.per_minute[(division, minute)] += 1
        self.per_day[(division, day)] += 1
        minutely["X-RateLimit-Minutely-Remaining"] = str(self.minute_limit - minute_used - 1)
        daily["X-RateLimit-Remaining"] = str(self.day_limit - day_used - 1)
        return {**minutely, **daily}


class ErrorBudget:
    """The 10-errors-per-endpoint-per-hour rule.

    Args:
        clock: Where time comes from.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._errors: dict[tuple[str, str, int, str], deque[datetime]] = defaultdict(deque)
        self._blocked_until: dict[tuple[str, str, int, str], datetime] = {}

    def check(self, key: tuple[str, str, int, str]) -> None:
        """Refuse the call while this (app, user, division, endpoint) is blocked.

        Raises:
            HttpError: 403 while blocked.
        """
        until = self._blocked_until.get(key)
        if until is not None and self._clock.now() < until:
            raise HttpError(
                403,
                error_body(
                    "This endpoint is blocked for this API key for one hour: more than "
                    f"{ERROR_LIMIT} errors (400/401/403/404) within one hour."
                ),
            )

    def record(self, key: tuple[str, str, int, str], status: int) -> None:
        """Note a response; errors that fill the budget start a one-hour block."""
        if status not in ERROR_STATUSES:
            return
        now = self._clock.now()
        errors = self._errors[key]
        errors.append(now)
        while errors and now - errors[0] >= ERROR_WINDOW:
            errors.popleft()
        if len(errors) >= ERROR_LIMIT:
            self._blocked_until[key] = now + ERROR_WINDOW
            errors.clear()
