"""Fake vendor servers for the finlink.http tests (httpx.MockTransport handlers)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

import httpx

from finlink.clock import SimulatedClock

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests with a fixed sequence of responses or exceptions, recording each request."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unexpected extra request {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    @property
    def calls(self) -> int:
        return len(self.requests)


class MinuteBudgetServer:
    """Exact-like: ``limit`` calls per clock minute per division, 429 beyond (exact-online.md §3).

    Answers with Exact's minutely headers (reset in epoch milliseconds). ``others`` adds calls
    that other apps made in a given minute index, which only the headers reveal.
    """

    def __init__(self, clock: SimulatedClock, limit: int = 60, *, headers: bool = True) -> None:
        self.clock = clock
        self.limit = limit
        self.headers = headers
        self.counts: dict[int, int] = {}
        self.served = 0
        self.rejected = 0
        self._lock = threading.Lock()

    def others(self, minute: int, calls: int) -> None:
        self.counts[minute] = self.counts.get(minute, 0) + calls

    def minute(self) -> int:
        return math.floor(self.clock.now().timestamp() / 60)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            minute = self.minute()
            used = self.counts.get(minute, 0) + 1
            self.counts[minute] = used
            reset_ms = str((minute + 1) * 60 * 1000)
            remaining = max(0, self.limit - used)
            headers = (
                {
                    "X-RateLimit-Minutely-Limit": str(self.limit),
                    "X-RateLimit-Minutely-Remaining": str(remaining),
                    "X-RateLimit-Minutely-Reset": reset_ms,
                }
                if self.headers
                else {}
            )
            if used > self.limit:
                self.rejected += 1
                return httpx.Response(429, headers=headers)
            self.served += 1
            return httpx.Response(200, json={"d": {"results": []}}, headers=headers)
