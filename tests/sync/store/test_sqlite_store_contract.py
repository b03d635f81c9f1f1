"""The state-store conformance suite, run against SQLiteStore on a file and in memory."""

from __future__ import annotations

from pathlib import Path

from finlink.clock import SimulatedClock
from finlink.sync.store import SQLiteStore, StateStore
from finlink.testing.store_contract import StateStoreContract


class TestSQLiteStoreOnAFile(StateStoreContract):
    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        return SQLiteStore(tmp_path / "state.db", clock=clock)


class TestSQLiteStoreInMemory(StateStoreContract):
    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        return SQLiteStore(":memory:", clock=clock)


class TestSQLiteStoreWithSmallPages(StateStoreContract):
    """Seven rows a page: ``links`` crosses many page boundaries."""

    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        return SQLiteStore(tmp_path / "state.db", clock=clock, page_size=7, synchronous="NORMAL")
