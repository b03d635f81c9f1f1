"""A conformance suite every :class:`~finlink.sync.store.StateStore` runs.

Subclass :class:`StateStoreContract` in a test module, say how to make a fresh store, and
pytest runs every behaviour the sync engine relies on against it::

    from finlink.testing.store_contract import StateStoreContract

    class TestMyStore(StateStoreContract):
        def make_store(self, tmp_path, clock):
            return MyStore(tmp_path / "state.db", clock=clock)

The store must take its time from ``clock`` (a :class:`~finlink.clock.SimulatedClock`), so
lease expiry and backoff run in simulated time. Each test gets a fresh, empty store and
closes it afterwards. What cannot be checked through one store object (durability across a
killed process, several processes on one outbox) belongs in the backend's own tests.

Needs pytest (a test dependency, not a runtime one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from finlink.clock import SimulatedClock
from finlink.sync.store import StateStore
from finlink.testing._pytest import pytest
from finlink.testing._store_contract_pages import PageBehaviours
from finlink.testing._store_contract_queues import QueueBehaviours
from finlink.testing._store_contract_records import RecordBehaviours

__all__ = ["StateStoreContract"]


class StateStoreContract(RecordBehaviours, QueueBehaviours, PageBehaviours):
    """The behaviours of a state store, as pytest tests; subclass and define :meth:`make_store`."""

    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        """Return a new, empty store that reads the time from ``clock``.

        Raises:
            NotImplementedError: Unless a subclass defines it.
        """
        raise NotImplementedError

    @pytest.fixture
    def clock(self) -> SimulatedClock:
        """The simulated clock the store under test reads."""
        return SimulatedClock()

    @pytest.fixture
    def store(self, tmp_path: Path, clock: SimulatedClock) -> Iterator[StateStore]:
        """A fresh store, closed after the test."""
        made = self.make_store(tmp_path, clock)
        try:
            yield made
        finally:
            made.close()
