"""SnelStart's rate limits per administration and subscription product (reference §2.3).

| Product | calls/admin/minute | calls/admin/hour | concurrent/admin |
|---|---|---|---|
| Ontwikkeling & Test | 100 | 1,000 | 5 |
| Maatwerk, Productie | 500 | 5,000 | 50 |

Over a limit the answer is HTTP 429. The exact body and headers are UNVERIFIED (§2.3); the
sandbox sends what Azure API Management (which fronts the API) sends for its rate-limit policy:
``{"statusCode": 429, "message": "Rate limit is exceeded. Try again in N seconds."}`` with
``Retry-After: N``. The windows slide over the sandbox's clock, so a test can exhaust the hour
limit and then ``clock.advance(minutes=…)`` instead of waiting. Refused calls do not count.
"""

from __future__ import annotations

import enum
import math
import threading
from collections import deque

import attrs

from finlink.clock import Clock

__all__ = ["PRODUCT_LIMITS", "Limits", "Product", "RateLimiter"]


class Product(enum.StrEnum):
    """The developer-portal subscription products (P-PROD, §1.4)."""

    TEST = "test"  #: "Ontwikkeling & Test"
    MAATWERK = "maatwerk"
    PRODUCTIE = "productie"


@attrs.frozen(kw_only=True)
class Limits:
    """Calls allowed per administration: per sliding minute, per sliding hour, at once."""

    per_minute: int
    per_hour: int
    concurrent: int


#: P-CERT's "B2B-API PARTNER KEY POLICIES PER PRODUCT" table (§2.3).
PRODUCT_LIMITS: dict[Product, Limits] = {
    Product.TEST: Limits(per_minute=100, per_hour=1_000, concurrent=5),
    Product.MAATWERK: Limits(per_minute=500, per_hour=5_000, concurrent=50),
    Product.PRODUCTIE: Limits(per_minute=500, per_hour=5_000, concurrent=50),
}


class RateLimiter:
    """Counts one administration's calls under one product; safe to share between threads.

    Args:
        clock: Where the windows' time comes from.
        limits: The limits to enforce.
    """

    def __init__(self, clock: Clock, limits: Limits) -> None:
        self._clock = clock
        self.limits = limits
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()
        #: Calls admitted and not yet answered.
        self.in_flight = 0

    def acquire(self) -> int | None:
        """Admit one call, or return the seconds to wait (for ``Retry-After``) if over a limit."""
        with self._lock:
            now = self._clock.monotonic()
            while self._stamps and self._stamps[0] <= now - 3600:
                self._stamps.popleft()
            if self.in_flight >= self.limits.concurrent:
                return 1
            minute = [t for t in self._stamps if t > now - 60]
            if len(minute) >= self.limits.per_minute:
                return max(1, math.ceil(minute[-self.limits.per_minute] + 60 - now))
            if len(self._stamps) >= self.limits.per_hour:
                return max(1, math.ceil(self._stamps[-self.limits.per_hour] + 3600 - now))
            self._stamps.append(now)
            self.in_flight += 1
            return None

    def release(self) -> None:
        """Mark one admitted call as answered."""
        with self._lock:
            self.in_flight -= 1
