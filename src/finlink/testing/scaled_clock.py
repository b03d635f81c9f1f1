"""A clock that runs faster than the wall clock, the same in every process that shares its spec.

A :class:`~finlink.clock.SimulatedClock` lives in one process; workers in several processes
against one sandbox process need one time they all agree on. :class:`ScaledClock` derives
simulated time from the wall clock: ``now = origin + (time.time() - wall_origin) * factor``,
and sleeping ``s`` simulated seconds sleeps ``s / factor`` real ones. Processes given the same
:attr:`ScaledClock.spec` read the same time (on one machine), so a sandbox's clock minute and
the workers' rate budget line up while an hour of traffic takes a minute.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["ScaledClock"]

_DEFAULT_ORIGIN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class ScaledClock:
    """Simulated UTC time moving ``factor`` times as fast as the wall clock.

    Args:
        factor: Simulated seconds per real second (60: a minute a second).
        origin: The simulated time at ``wall_origin`` (aware; default Monday 5 January 2026,
            09:00 UTC).
        wall_origin: The ``time.time()`` at which the clock shows ``origin`` (default: now).

    Raises:
        ValueError: A factor that is not positive, or a naive origin.
    """

    def __init__(
        self,
        factor: float,
        *,
        origin: datetime | None = None,
        wall_origin: float | None = None,
    ) -> None:
        if factor <= 0:
            raise ValueError("factor must be positive")
        origin = origin or _DEFAULT_ORIGIN
        if origin.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware origin")
        self.factor = float(factor)
        self.origin = origin.astimezone(UTC)
        self.wall_origin = time.time() if wall_origin is None else float(wall_origin)

    @property
    def spec(self) -> str:
        """``factor,origin,wall_origin``: give it to :meth:`from_spec` in another process."""
        return f"{self.factor!r},{self.origin.isoformat()},{self.wall_origin!r}"

    @classmethod
    def from_spec(cls, spec: str) -> ScaledClock:
        """The clock another process made, from its :attr:`spec`.

        Raises:
            ValueError: For text that is not a spec.
        """
        try:
            factor, origin, wall = spec.split(",")
            start = datetime.fromisoformat(origin)
            return cls(float(factor), origin=start, wall_origin=float(wall))
        except ValueError as exc:
            raise ValueError(f"not a ScaledClock spec: {spec!r}") from exc

    def now(self) -> datetime:
        """The simulated UTC time."""
        return self.origin + timedelta(seconds=(time.time() - self.wall_origin) * self.factor)

    def monotonic(self) -> float:
        """Simulated seconds from an arbitrary fixed point (this process's monotonic clock)."""
        return time.monotonic() * self.factor

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of simulated time (``seconds / factor`` real ones)."""
        if seconds > 0:
            time.sleep(seconds / self.factor)

    def __repr__(self) -> str:
        return f"ScaledClock(factor={self.factor:g}, now={self.now().isoformat()})"
