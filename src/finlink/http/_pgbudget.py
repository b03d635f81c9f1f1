"""A rate budget shared by every process and machine, kept in PostgreSQL.

:class:`PostgresRateLimitState` plugs into :class:`~finlink.http.RateLimiter` like the
in-memory state (``rate_limit_state=`` on :class:`~finlink.backends.exact.ExactBackend` and
:class:`~finlink.backends.snelstart.SnelStartBackend`), so N workers on M machines draw on
one budget per administration and never earn a 429 together.

How it is kept (the choice, and why):

- **One row per administration, changed under its row lock.** A reservation is one short
  transaction: an ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` that creates or locks the
  administration's row and returns its counters, the decision in Python (the same rules as
  :class:`~finlink.http.MemoryRateLimitState`), and one ``UPDATE``. The row lock serialises
  the reservations of one administration only, for a fraction of a millisecond; other
  administrations never wait. A single-statement token bucket was the alternative, but a
  bucket (GCRA) that never exceeds N calls in *every* sliding window of a minute must refill
  at half the rate, and Exact's budgets are clock-aligned windows, not buckets: counting the
  vendor's own windows keeps the whole budget usable.
- **Fixed windows** (Exact's clock minute and UTC day) are a counter per window start. A call
  reserved less than ``margin`` seconds before its window ends also counts in the next one:
  the request reaches the vendor a little later than we count it, and may land in the
  vendor's next minute. This costs at most one or two calls of a window and is what keeps
  several workers at the edge of a window from a 429.
- **Sliding windows** (SnelStart) count calls in 60 buckets per window; a bucket that starts
  before the window counts whole, so the count is never lower than the truth.
- **Concurrency** (Exact: one call at a time per division; SnelStart: 5 or 50) is held with
  PostgreSQL *session* advisory locks, one per slot, on a connection kept for the call. A
  killed worker's session ends, and its slot with it: no lease to expire, no slot lost.

Times are UTC epoch seconds from the limiter's clock, so every process must run on the same
clock (the real one in production; a shared scaled clock in tests).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from finlink.http._pgconnect import advisory_key, checkout, ensure_tables, make_pool
from finlink.http._ratelimit_state import Window, WindowKind

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresRateLimitState"]

#: Seconds before a fixed window's end in which a call counts in the next window too.
DEFAULT_MARGIN = 1.0
_BUCKETS = 60

_TABLES = (
    "CREATE TABLE IF NOT EXISTS finlink_rate_budget ("
    " namespace text NOT NULL,"
    " key text NOT NULL,"
    " blocked_until double precision NOT NULL DEFAULT 0,"
    " windows jsonb NOT NULL DEFAULT '{}'::jsonb,"
    " PRIMARY KEY (namespace, key))",
)
_LOCK_ROW = (
    "INSERT INTO finlink_rate_budget AS b (namespace, key) VALUES (%s, %s) "
    "ON CONFLICT (namespace, key) DO UPDATE SET key = b.key "
    "RETURNING b.blocked_until, b.windows"
)
_SAVE = "UPDATE finlink_rate_budget SET windows = %s::jsonb WHERE namespace = %s AND key = %s"


def _window_id(window: Window) -> str:
    return f"{window.kind.value}:{window.seconds:g}"


class _Counters:
    """One administration's window counters as stored (a JSON object), and the rules on them."""

    def __init__(self, data: dict[str, Any], margin: float) -> None:
        self.data = data
        self.margin = margin
        self.changed = False

    def _entry(self, window: Window) -> dict[str, Any]:
        entry = self.data.get(_window_id(window))
        if not isinstance(entry, dict):
            entry = {}
            self.data[_window_id(window)] = entry
        entry["limit"] = window.limit
        entry["name"] = window.name
        return entry

    # -- fixed windows: {"start": s, "used": n, "next": m} ----------------------------------

    def _fixed_used(self, window: Window, now: float) -> int:
        entry = self.data.get(_window_id(window)) or {}
        start = window.start_of(now)
        if entry.get("start") == start:
            return int(entry.get("used", 0))
        if entry.get("start") == start - window.seconds:
            return int(entry.get("next", 0))
        return 0

    def _fixed_set(self, window: Window, now: float, used: int, *, count_next: bool) -> None:
        entry = self._entry(window)
        start = window.start_of(now)
        carried = int(entry.get("next", 0)) if entry.get("start") == start else 0
        entry.update(start=start, used=used, next=carried + (1 if count_next else 0))
        self.changed = True

    # -- sliding windows: {"buckets": {"<index>": n}} ---------------------------------------

    def _live_buckets(self, window: Window, now: float) -> list[tuple[int, int]]:
        entry = self.data.get(_window_id(window)) or {}
        width = window.seconds / _BUCKETS
        buckets = entry.get("buckets") or {}
        # A bucket that ends after the window's start may hold calls inside it: count it.
        return sorted(
            (int(index), int(calls))
            for index, calls in buckets.items()
            if (int(index) + 1) * width > now - window.seconds
        )

    def _sliding_add(self, window: Window, now: float, calls: int) -> None:
        entry = self._entry(window)
        width = window.seconds / _BUCKETS
        live = dict(self._live_buckets(window, now))
        index = math.floor(now / width)
        live[index] = live.get(index, 0) + calls
        entry["buckets"] = {str(i): n for i, n in live.items()}
        self.changed = True

    # -- the RateLimitState operations ------------------------------------------------------

    def used(self, window: Window, now: float) -> int:
        if window.kind is WindowKind.FIXED:
            return self._fixed_used(window, now)
        return sum(calls for _, calls in self._live_buckets(window, now))

    def wait(self, window: Window, now: float) -> float:
        if window.kind is WindowKind.FIXED:
            if self._fixed_used(window, now) < window.limit:
                return 0.0
            return window.start_of(now) + window.seconds - now
        live = self._live_buckets(window, now)
        total = sum(calls for _, calls in live)
        if total < window.limit:
            return 0.0
        width = window.seconds / _BUCKETS
        for index, calls in live:
            total -= calls
            if total < window.limit:
                # The moment this bucket leaves the window, the count is under the limit.
                return max(0.0, (index + 1) * width + window.seconds - now)
        return window.seconds  # pragma: no cover - the loop always ends under the limit

    def count(self, window: Window, now: float) -> None:
        if window.kind is WindowKind.FIXED:
            near_end = now >= window.start_of(now) + window.seconds - self.margin
            self._fixed_set(window, now, self._fixed_used(window, now) + 1, count_next=near_end)
        else:
            self._sliding_add(window, now, 1)

    def raise_to(self, window: Window, now: float, used: int) -> None:
        current = self.used(window, now)
        if used <= current:
            return
        if window.kind is WindowKind.FIXED:
            self._fixed_set(window, now, used, count_next=False)
        else:
            self._sliding_add(window, now, used - current)


class PostgresRateLimitState:
    """A :class:`~finlink.http.RateLimitState` in PostgreSQL, shared by processes and machines.

    Pass it as ``rate_limit_state`` to a backend (or ``state`` to a
    :class:`~finlink.http.RateLimiter`); every limiter with the same ``namespace`` and key
    (the administration) draws on one budget, whichever process or machine it runs in. The
    table ``finlink_rate_budget`` is created on first use in the connection's schema.

    Args:
        source: A DSN (``postgresql://user@host/db``), or a ``psycopg_pool.ConnectionPool``
            to share (e.g. the state store's; it needs room for one connection per call in
            flight plus one).
        namespace: The tenant whose administrations these are (their ids may repeat in
            other tenants).
        margin: Seconds before a clock-aligned window ends in which a reserved call counts
            in the next window as well (see the module notes).
        slots: With a DSN, the most calls in flight at once this process holds concurrency
            slots for (a second small pool); ignored with a shared pool.

    Raises:
        ConfigurationError: The ``postgres`` extra is not installed, or the DSN is invalid.
        TransportError: The database cannot be reached (also from every method later: the
            engine retries such a record later, and a worker backs off).
    """

    def __init__(
        self,
        source: str | ConnectionPool[Any],
        *,
        namespace: str = "default",
        margin: float = DEFAULT_MARGIN,
        slots: int = 8,
    ) -> None:
        if margin < 0:
            raise ValueError("margin must not be negative")
        self.namespace = namespace
        self.margin = margin
        self._pool, self._owns = make_pool(source, what="the shared rate budget", max_size=2)
        if self._owns:
            self._slot_pool, _ = make_pool(source, what="the rate budget's slots", max_size=slots)
        else:
            self._slot_pool = self._pool
        ensure_tables(self._pool, _TABLES)

    def _change(self, key: str, now: float, decide: Any) -> Any:
        with (
            checkout(self._pool, "reserving a call in the rate budget") as conn,
            conn.transaction(),
        ):
            row = conn.execute(_LOCK_ROW, (self.namespace, key)).fetchone()
            assert row is not None  # an upsert with RETURNING always returns the row
            counters = _Counters(dict(row[1] or {}), self.margin)
            result = decide(float(row[0]), counters)
            if counters.changed:
                conn.execute(_SAVE, (json.dumps(counters.data), self.namespace, key))
            return result

    def reserve(self, key: str, windows: Sequence[Window], now: float) -> float:
        """See :meth:`~finlink.http.RateLimitState.reserve`; atomic across processes."""

        def decide(blocked: float, counters: _Counters) -> float:
            wait = max(0.0, blocked - now)
            for window in windows:
                wait = max(wait, counters.wait(window, now))
            if wait > 0:
                return wait
            for window in windows:
                counters.count(window, now)
            return 0.0

        result: float = self._change(key, now, decide)
        return result

    def raise_usage(self, key: str, window: Window, used: int, now: float) -> None:
        """See :meth:`~finlink.http.RateLimitState.raise_usage`."""
        self._change(key, now, lambda _blocked, counters: counters.raise_to(window, now, used))

    def block_until(self, key: str, until: float) -> None:
        """See :meth:`~finlink.http.RateLimitState.block_until`."""
        with checkout(self._pool, "blocking the rate budget") as conn:
            conn.execute(
                "INSERT INTO finlink_rate_budget AS b (namespace, key, blocked_until) "
                "VALUES (%s, %s, %s) ON CONFLICT (namespace, key) DO UPDATE "
                "SET blocked_until = GREATEST(b.blocked_until, EXCLUDED.blocked_until)",
                (self.namespace, key, until),
            )

    def usage(self, key: str, window: Window, now: float) -> int:
        """See :meth:`~finlink.http.RateLimitState.usage`: read without taking the lock."""
        with checkout(self._pool, "reading the rate budget") as conn:
            row = conn.execute(
                "SELECT windows FROM finlink_rate_budget WHERE namespace = %s AND key = %s",
                (self.namespace, key),
            ).fetchone()
        if row is None:
            return 0
        return _Counters(dict(row[0] or {}), self.margin).used(window, now)

    @contextmanager
    def slot(self, key: str, limit: int) -> Iterator[None]:
        """Hold one of ``limit`` concurrency slots of ``key`` while the block runs.

        Slots are session advisory locks (two-integer form: the key's hash and the slot
        number), taken on a connection kept for the call; a free slot is taken at once,
        otherwise the caller queues in PostgreSQL on one of them.

        Raises:
            TransportError: The database cannot be reached.
        """
        group = advisory_key(self.namespace, key, "slots") >> 32
        with checkout(self._slot_pool, "taking a concurrency slot") as conn:
            order = list(range(limit))
            random.shuffle(order)  # spreads the waiters over the slots
            taken = None
            for slot in order:
                row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (group, slot)).fetchone()
                if row is not None and row[0]:
                    taken = slot
                    break
            if taken is None:
                taken = order[0]
                conn.execute("SELECT pg_advisory_lock(%s, %s)", (group, taken))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (group, taken))

    def close(self) -> None:
        """Close the pools this state opened (a shared pool is left to its owner)."""
        if self._owns:
            self._pool.close()
            if self._slot_pool is not self._pool:
                self._slot_pool.close()

    def __repr__(self) -> str:
        return f"PostgresRateLimitState(namespace={self.namespace!r}, margin={self.margin})"
