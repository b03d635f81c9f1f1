"""Faults a test can inject into the sandbox: errors, timeouts, throttling, lost answers, holds.

Each fault matches calls by path prefix (relative to ``/v2``, e.g. ``"/relaties"`` matches
``/relaties`` and ``/relaties/{id}``; ``"/b2b/token"`` is the token endpoint), optionally by
method and administration, and applies to the next ``times`` matching calls. Faults are
checked after authentication and rate limiting, so a faulted call still counts against the
limits, as a vendor-side failure would.
"""

from __future__ import annotations

import enum
import threading

import attrs

__all__ = ["Fault", "FaultKind", "FaultPlan", "Gate"]


class FaultKind(enum.Enum):
    """What a fault does to a matching call."""

    #: Answer with a 5xx status (the write is *not* done).
    ERROR = "error"
    #: Give no answer: ``httpx.ReadTimeout`` on the transport; the server holds the connection.
    TIMEOUT = "timeout"
    #: Answer 429 with ``Retry-After``, as if a limit had been hit.
    THROTTLE = "throttle"
    #: Do the call (the write is stored), then drop the answer: ``httpx.ReadTimeout`` on the
    #: transport, a closed connection on the server.
    DROP_AFTER_COMMIT = "drop_after_commit"


class Gate:
    """Holds matching calls in flight until :meth:`open` (to provoke concurrency limits)."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._cond = threading.Condition()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many calls are being held now."""
        with self._cond:
            return self._waiting

    def open(self) -> None:
        """Let every held (and future) call through."""
        self._open.set()

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block (real time) until ``count`` calls are held; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting >= count, timeout)

    def hold(self, timeout: float) -> None:
        """Called by the sandbox for a matching request: wait until opened (or ``timeout``)."""
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
        try:
            self._open.wait(timeout)
        finally:
            with self._cond:
                self._waiting -= 1


@attrs.define(kw_only=True)
class Fault:
    """One injected fault; ``remaining`` counts down as calls match."""

    kind: FaultKind
    path: str
    method: str | None = None
    administration: str | None = None
    remaining: int = 1
    status: int = 503
    retry_after: int = 30

    def matches(self, method: str, path: str, administration: str | None) -> bool:
        """Whether a call to ``method path`` in ``administration`` is affected."""
        prefix = self.path.rstrip("/")
        on_path = path == prefix or path.startswith(prefix + "/")
        return (
            on_path
            and (self.method is None or self.method.upper() == method)
            and (self.administration is None or self.administration == administration)
        )


class FaultPlan:
    """The faults waiting to happen; reached through ``SnelStartSandbox.faults``."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._gates: list[tuple[Fault, Gate]] = []
        self._lock = threading.Lock()

    def _add(self, fault: Fault) -> Fault:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(
        self,
        path: str,
        *,
        times: int = 1,
        status: int = 503,
        method: str | None = None,
        administration: str | None = None,
    ) -> Fault:
        """Answer the next ``times`` matching calls with ``status`` (5xx) without doing them.

        Raises:
            ValueError: For a status below 500 or ``times`` below 1.
        """
        if status < 500:
            raise ValueError("fail() injects server errors (5xx); use throttle() for 429")
        fault = Fault(kind=FaultKind.ERROR, path=path, method=method, remaining=times,
                      status=status, administration=administration)  # fmt: skip
        return self._add(fault)

    def timeout(
        self, path: str, *, times: int = 1, method: str | None = None,
        administration: str | None = None,
    ) -> Fault:  # fmt: skip
        """Give no answer to the next ``times`` matching calls (they are not done).

        Raises:
            ValueError: For ``times`` below 1.
        """
        return self._add(Fault(kind=FaultKind.TIMEOUT, path=path, method=method,
                               administration=administration, remaining=times))  # fmt: skip

    def throttle(
        self, path: str, *, times: int = 1, retry_after: int = 30, method: str | None = None,
        administration: str | None = None,
    ) -> Fault:  # fmt: skip
        """Answer the next ``times`` matching calls with 429 and ``Retry-After``.

        Raises:
            ValueError: For ``times`` below 1.
        """
        return self._add(Fault(kind=FaultKind.THROTTLE, path=path, method=method,
                               administration=administration, remaining=times,
                               retry_after=retry_after))  # fmt: skip

    def drop_after_commit(
        self, path: str, *, times: int = 1, method: str | None = None,
        administration: str | None = None,
    ) -> Fault:  # fmt: skip
        """Do the next ``times`` matching calls, then lose their answers.

        Raises:
            ValueError: For ``times`` below 1.
        """
        return self._add(Fault(kind=FaultKind.DROP_AFTER_COMMIT, path=path, method=method,
                               administration=administration, remaining=times))  # fmt: skip

    def hold(
        self, path: str, *, method: str | None = None, administration: str | None = None
    ) -> Gate:
        """Hold every matching call in flight until the returned gate is opened."""
        gate = Gate()
        fault = Fault(kind=FaultKind.ERROR, path=path, method=method, administration=administration)
        with self._lock:
            self._gates.append((fault, gate))
        return gate

    def take(self, method: str, path: str, administration: str | None) -> Fault | None:
        """The first pending fault matching the call, counted down (None if there is none)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, administration):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def gates_for(self, method: str, path: str, administration: str | None) -> list[Gate]:
        """The gates that hold a call to ``method path``."""
        with self._lock:
            return [g for f, g in self._gates if f.matches(method, path, administration)]

    def pending(self) -> list[Fault]:
        """The faults that have not fired yet."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Drop every pending fault and open every gate."""
        with self._lock:
            gates = [g for _, g in self._gates]
            self._faults.clear()
            self._gates.clear()
        for gate in gates:
            gate.open()
