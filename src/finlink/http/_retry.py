"""When to repeat an HTTP call, and how long to wait first.

The rules follow stamina and openai-python: retry connection failures, 408, 429 and 5xx;
exponential backoff with *full jitter* (a random wait between 0 and the capped exponential
step, so many clients that failed together do not come back together); and when the server
says how long to wait, wait that long instead.

What the server can say:

- ``Retry-After``, in seconds or as an HTTP date (RFC 9110 §10.2.3). Exact does not document
  it (exact-online.md §3.1, §9 question 3); SnelStart runs on Azure API Management, which
  sends it on 429 (snelstart.md §2.3, UNVERIFIED there).
- Exact's ``X-RateLimit-Minutely-Reset`` and ``X-RateLimit-Reset``: the moment the minute or
  day budget resets, in UTC epoch **milliseconds** (exact-online.md §3.1; the .NET SDK's
  "seconds" comment is wrong). When the minute budget is spent Exact sends only the minutely
  headers (§3.1 notes), and some 429s come without any (picqer#255): then backoff applies.

Which calls may be repeated at all is the caller's business (:func:`is_idempotent_method`);
:class:`~finlink.http.ApiClient` combines both.
"""

from __future__ import annotations

import email.utils
import math
import random as _random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import attrs

__all__ = [
    "IDEMPOTENT_METHODS",
    "RetryPolicy",
    "is_idempotent_method",
    "parse_retry_after",
    "vendor_reset_wait",
]

#: Methods that HTTP defines as idempotent (RFC 9110 §9.2.2): repeating them changes nothing.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

# Exact's reset stamps come from its clock, ours may lag: wait one second more (picqer does
# the same, exact-online.md §3.1 notes, `Minutely-Reset/1000 - now + 1`).
RESET_MARGIN = 1.0


def is_idempotent_method(method: str) -> bool:
    """Whether ``method`` is idempotent by HTTP's definition (``PUT`` is, ``POST`` is not)."""
    return method.upper() in IDEMPOTENT_METHODS


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date).

    Args:
        value: The header value, or ``None``.
        now: The current time (timezone-aware), for the date form.

    Returns:
        The wait in seconds (never negative), or ``None`` when absent or unreadable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    return max(0.0, seconds) if math.isfinite(seconds) else None


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    """The header ``name`` as an integer, or ``None`` when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def vendor_reset_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until an exhausted Exact-style budget resets, from the rate-limit headers.

    A budget counts as exhausted when its ``…-Remaining`` header is ``0`` or absent while its
    ``…-Reset`` header is present (on a 429 Exact may send only the reset). When both the
    minute and the day budget are spent, the later reset wins.

    Args:
        headers: The response headers (case-insensitive, e.g. ``httpx.Headers``).
        now: The current time (timezone-aware).

    Returns:
        The wait in seconds including a one-second margin for clock skew, or ``None`` when no
        budget is reported exhausted.
    """
    waits: list[float] = []
    for prefix in ("X-RateLimit-Minutely-", "X-RateLimit-"):
        reset_ms = int_header(headers, prefix + "Reset")
        remaining = int_header(headers, prefix + "Remaining")
        if reset_ms is None or (remaining is not None and remaining > 0):
            continue
        waits.append(max(0.0, reset_ms / 1000.0 - now.timestamp()) + RESET_MARGIN)
    return max(waits) if waits else None


def _is_retry_status(status_code: int) -> bool:
    return status_code in {408, 429} or status_code >= 500


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how long to retry a call that failed in a way that may pass.

    Attributes:
        max_attempts: Attempts in total, the first included (1 = never retry).
        max_total_wait: Seconds all waits of one call may add up to; a retry that would pass
            it is not made and the last error is raised instead (with the server's wait on a
            :class:`~finlink.RateLimitError`, so the engine can reschedule).
        base_delay: The first backoff step, in seconds; each retry doubles it.
        max_delay: The cap on one backoff step, in seconds (a server's wait is not capped by
            it, only by ``max_total_wait``).
        random: A source of floats in ``[0, 1)`` for the jitter; inject a fixed one in tests.

    Raises:
        ValueError: On a non-positive ``max_attempts`` or a negative delay or wait.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    max_total_wait: float = attrs.field(default=300.0, validator=attrs.validators.ge(0))
    base_delay: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    random: Callable[[], float] = attrs.field(default=_random.random, eq=False, repr=False)

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes one attempt and never retries."""
        return cls(max_attempts=1, max_total_wait=0.0)

    def retries_status(self, status_code: int) -> bool:
        """Whether an answer with this status is worth repeating: 408, 429 and 5xx."""
        return _is_retry_status(status_code)

    def backoff(self, retry_number: int) -> float:
        """The jittered wait before retry number ``retry_number`` (1 for the first retry).

        Full jitter: a uniform draw from ``[0, min(max_delay, base_delay * 2**(n-1)))``.
        """
        step = min(self.max_delay, self.base_delay * 2.0 ** max(0, retry_number - 1))
        return step * self.random()

    def server_wait(self, headers: Mapping[str, str], now: datetime) -> float | None:
        """The wait the server asked for: ``Retry-After`` first, else Exact's reset headers.

        ``None`` when it asked for nothing; then :meth:`backoff` decides.
        """
        retry_after = parse_retry_after(headers.get("Retry-After"), now)
        if retry_after is not None:
            return retry_after
        return vendor_reset_wait(headers, now)

    def allows(self, attempts_made: int, waited: float, wait: float) -> bool:
        """Whether another attempt may follow ``attempts_made``, waiting ``wait`` more seconds.

        Args:
            attempts_made: Attempts made so far, the failed one included.
            waited: Seconds already waited between these attempts.
            wait: The wait the next attempt needs.
        """
        return attempts_made < self.max_attempts and waited + wait <= self.max_total_wait
