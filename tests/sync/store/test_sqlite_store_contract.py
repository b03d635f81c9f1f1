"""The state-store conformance suite, run against SQLiteStore on a file and in memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from finlink.clock import SimulatedClock
from finlink.sync.store import BatchReads, BatchWrites, ReviewReads, SQLiteStore, StateStore
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


class PerRecordStore:
    """A store with only the per-record methods (as a vendor's own store may be).

    Everything goes to a SQLiteStore, except the batch methods, which it does not have: the
    engine's batch helpers must fall back to one call per record, and to reading the review
    history where it would read one record's review item.
    """

    def __init__(self, inner: SQLiteStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in ("begin_intents", "record_outcomes", "get_links", "latest_review"):
            raise AttributeError(name)
        return getattr(self._inner, name)


class TestAStoreWithoutBatchMethods(StateStoreContract):
    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        store = PerRecordStore(SQLiteStore(tmp_path / "state.db", clock=clock))
        assert not isinstance(store, BatchWrites)
        assert not isinstance(store, BatchReads)
        assert not isinstance(store, ReviewReads)
        return cast("StateStore", store)
