"""The finlink pytest plugin, registered through the ``pytest11`` entry point.

It gives every test suite that has finlink installed:

- the ``finlink_clock`` fixture: a fresh :class:`~finlink.clock.SimulatedClock`;
- the ``finlink_memory_backend`` fixture: a fresh
  :class:`~finlink.backends.memory.InMemoryBackend` on that clock;
- the ``finlink_contract`` marker, put on every test collected from a
  :class:`~finlink.testing.BackendContract` or :class:`~finlink.testing.StateStoreContract`
  subclass, so ``pytest -m finlink_contract`` runs just the conformance suites.
"""

from __future__ import annotations

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.testing._pytest import pytest
from finlink.testing.contract import BackendContract
from finlink.testing.store_contract import StateStoreContract


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``finlink_contract`` marker."""
    config.addinivalue_line(
        "markers", "finlink_contract: a test of finlink's backend conformance suite"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that comes from a conformance-suite subclass."""
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is not None and issubclass(cls, BackendContract | StateStoreContract):
            item.add_marker(pytest.mark.finlink_contract)


@pytest.fixture
def finlink_clock() -> SimulatedClock:
    """A simulated clock starting on Monday 5 January 2026, 09:00 UTC."""
    return SimulatedClock()


@pytest.fixture
def finlink_memory_backend(finlink_clock: SimulatedClock) -> InMemoryBackend:
    """An empty in-memory backend on the simulated clock."""
    return InMemoryBackend(clock=finlink_clock)
