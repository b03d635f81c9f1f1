"""SQLiteStore.links streams: a page at a time, never the whole table."""

from __future__ import annotations

import sqlite3
import tracemalloc
from pathlib import Path

import pytest

from finlink.clock import SimulatedClock
from finlink.sync.store import SQLiteStore, canonical_json, payload_hash
from finlink.sync.store._sqlite_rows import time_text

ADM = "acme-bv"
REL = "relation"


def _fill(db: Path, count: int, clock: SimulatedClock) -> None:
    """Write ``count`` links straight into the file (record_outcome one by one is slow)."""
    SQLiteStore(db).close()
    snapshot = {"name": "Acme Holding B.V.", "city": "Utrecht", "limit": "1250.00"}
    text, digest, now = canonical_json(snapshot), payload_hash(snapshot), time_text(clock.now())
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO links (administration, entity, crm_key, remote_id, snapshot, "
            "snapshot_hash, remote_version, synced_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            ((ADM, REL, f"C-{i:06d}", f"R-{i:06d}", text, digest, now) for i in range(count)),
        )
    conn.close()


@pytest.mark.slow
def test_links_streams_100000_rows_in_bounded_memory(tmp_path: Path, clock: SimulatedClock) -> None:
    db = tmp_path / "state.db"
    _fill(db, 100_000, clock)
    with SQLiteStore(db, clock=clock) as store:
        tracemalloc.start()
        try:
            count = 0
            previous = ""
            for link in store.links(ADM, REL):
                assert link.crm_key > previous
                previous = link.crm_key
                count += 1
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 100_000
    # All 100,000 links at once take well over 100 MB; a page of 500 a few hundred kB.
    assert peak < 10_000_000


def test_links_sees_a_link_written_ahead_of_it_while_iterating(
    tmp_path: Path, clock: SimulatedClock
) -> None:
    with SQLiteStore(tmp_path / "state.db", clock=clock, page_size=2) as store:
        for key in ("A", "B", "C"):
            store.record_outcome(ADM, REL, key, remote_id=f"R-{key}", snapshot={})
        seen = []
        for link in store.links(ADM, REL):
            seen.append(link.crm_key)
            if link.crm_key == "A":
                # Written while iterating: ahead of the position (seen), behind it (not).
                store.record_outcome(ADM, REL, "D", remote_id="R-D", snapshot={})
                store.record_outcome(ADM, REL, "0", remote_id="R-0", snapshot={})
        assert seen == ["A", "B", "C", "D"]


def test_a_page_size_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="page_size"):
        SQLiteStore(tmp_path / "state.db", page_size=0)
