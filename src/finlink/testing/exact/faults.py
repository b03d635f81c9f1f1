"""Faults a test injects: server errors, timeouts, bare 429s, lost responses.

Each fault matches a method and a path fragment and fires a number of times. Kinds:

* ``status`` — answer with that status (e.g. 503) and Exact's error body, nothing stored.
* ``timeout`` — the caller sees a timeout; the request was not handled.
* ``bare_429`` — 429 without any rate-limit header (seen in 2019, reference §3.1 notes).
* ``drop_response`` — the write is committed, then the response is lost (reference §6 #3:
  a timed-out POST that succeeded server-side creates a duplicate on a blind retry).
"""

from __future__ import annotations

import threading

import attrs

__all__ = ["Fault", "FaultPlan"]

KINDS = frozenset({"status", "timeout", "bare_429", "drop_response"})


@attrs.define(kw_only=True)
class Fault:
    """One planned fault.

    Attributes:
        kind: ``status``, ``timeout``, ``bare_429`` or ``drop_response``.
        status: Status for ``status`` faults.
        method: Only requests with this method (None: any).
        path_contains: Only requests whose path contains this text (None: any API call).
        times: How many matching requests it hits.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(KINDS))
    status: int = 503
    method: str | None = None
    path_contains: str | None = None
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_contains is None or self.path_contains.lower() in path.lower()


class FaultPlan:
    """The faults waiting to fire, in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Plan a fault; returns it."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def server_error(
        self,
        status: int = 503,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> Fault:
        """Answer the next matching request(s) with a 5xx."""
        return self.add(
            Fault(kind="status", status=status, method=method, path_contains=path, times=times)
        )

    def timeout(
        self, *, method: str | None = None, path: str | None = None, times: int = 1
    ) -> Fault:
        """Time out the next matching request(s) without handling them."""
        return self.add(Fault(kind="timeout", method=method, path_contains=path, times=times))

    def bare_429(
        self, *, method: str | None = None, path: str | None = None, times: int = 1
    ) -> Fault:
        """Answer 429 without rate-limit headers."""
        return self.add(Fault(kind="bare_429", method=method, path_contains=path, times=times))

    def drop_response(
        self, *, method: str | None = "POST", path: str | None = None, times: int = 1
    ) -> Fault:
        """Commit the next matching write, then lose its response."""
        return self.add(Fault(kind="drop_response", method=method, path_contains=path, times=times))

    def clear(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first planned fault matching a request, counting it down."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @property
    def pending(self) -> list[Fault]:
        """Faults not yet fired."""
        with self._lock:
            return list(self._faults)
