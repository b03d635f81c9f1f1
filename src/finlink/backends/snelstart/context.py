"""What every part of the SnelStart backend shares: the client, the caches, the clock, the zone."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import attrs

from finlink.backends.snelstart.refdata import ReferenceCache
from finlink.clock import Clock
from finlink.http import ApiClient

__all__ = ["Context"]


@attrs.define(kw_only=True)
class Context:
    """One administration's shared state (not a value: the caches inside change).

    Attributes:
        api: Sends calls with the administration's limiter, retries and auth.
        administration: The administration id put on records and errors.
        clock: The backend's clock.
        zone: The time zone of SnelStart's offset-less date-times.
        refs: The reference data cache.
        overlap: How far back an incremental read looks before its cursor.
    """

    api: ApiClient
    administration: str
    clock: Clock
    zone: tzinfo
    refs: ReferenceCache
    overlap: timedelta

    def server_now(self) -> datetime:
        """Now on SnelStart's clock as we guess it: our clock in :attr:`zone`, naive."""
        return self.clock.now().astimezone(self.zone).replace(tzinfo=None)
