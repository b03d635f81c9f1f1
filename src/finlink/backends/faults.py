"""Fault injection for test backends: fail the Nth call, lose a response, slow a call down.

A :class:`FaultPlan` holds scheduled faults per operation name (``create_relation``,
``read_relations``...). The backend asks it before and after doing the work of each call:

- :class:`FailWith` raises an error *instead of* doing the work (nothing was written);
- :class:`LoseResponse` lets the write happen and then raises
  :class:`~finlink.OutcomeUnknownError`, as a dropped connection after the server committed
  would: the case exactly-once writes exist for;
- :class:`Delay` moves the (simulated) clock forward before the call.
"""

from __future__ import annotations

import threading
from collections import defaultdict

import attrs

from finlink._errors import FinlinkError

__all__ = ["Delay", "FailWith", "Fault", "FaultPlan", "LoseResponse"]


@attrs.frozen
class FailWith:
    """Raise ``error`` instead of doing the call's work."""

    error: FinlinkError


@attrs.frozen
class LoseResponse:
    """Do the call's work, then raise ``OutcomeUnknownError`` as if the response was lost."""


@attrs.frozen
class Delay:
    """Sleep ``seconds`` on the backend's clock before the call."""

    seconds: float


Fault = FailWith | LoseResponse | Delay


@attrs.define
class _Scheduled:
    fault: Fault
    on_call: int | None  # None: the next calls
    remaining: int


class FaultPlan:
    """Faults scheduled per operation, consumed as the calls happen. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scheduled: dict[str, list[_Scheduled]] = defaultdict(list)
        self._calls: dict[str, int] = defaultdict(int)

    def add(
        self, operation: str, fault: Fault, *, on_call: int | None = None, times: int = 1
    ) -> None:
        """Schedule ``fault`` for ``operation``.

        Args:
            operation: The backend method name, e.g. ``"create_relation"``, or ``"*"`` for any.
            fault: What happens.
            on_call: The 1-based number of the call (counted per operation from now on) it hits;
                None for the very next calls.
            times: How many calls in a row it hits.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            start = None if on_call is None else self._calls[operation] + on_call
            self._scheduled[operation].append(_Scheduled(fault, start, times))

    def clear(self) -> None:
        """Drop every scheduled fault."""
        with self._lock:
            self._scheduled.clear()

    def next_faults(self, operation: str) -> list[Fault]:
        """Count one call of ``operation`` and return the faults that hit it."""
        with self._lock:
            hits: list[Fault] = []
            for key in (operation, "*"):
                self._calls[key] += 1
                number = self._calls[key]
                for entry in list(self._scheduled.get(key, ())):
                    due = entry.on_call is None or number >= entry.on_call
                    if not due:
                        continue
                    hits.append(entry.fault)
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._scheduled[key].remove(entry)
            return hits
