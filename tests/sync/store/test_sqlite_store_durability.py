"""SQLiteStore keeps every acknowledged write through a SIGKILL, and stays consistent."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import finlink
from finlink.sync.store import SQLiteStore

ADM = "acme-bv"
REL = "relation"

# The child writes the way the engine does: intent, outbox entry, claim, then the outcome
# that acknowledges the entry. It prints a line only after each call has returned, i.e.
# after the commit: those lines are the writes the store acknowledged.
WRITER = """
import sys
from finlink.sync.store import SQLiteStore

path, start = sys.argv[1], int(sys.argv[2])
worker = f"writer-{start}"
store = SQLiteStore(path)
# Converge first, as the engine does on start: entries a killed run enqueued but never
# claimed are pushed now (entries it had claimed come back when their lease runs out).
for left in store.claim(1000, worker, lease_seconds=3600):
    n = left.payload["n"]
    store.record_outcome("acme-bv", "relation", left.crm_key, remote_id=f"R-{n}",
                         snapshot=left.payload, outbox_entry=left.entry_id, worker=worker)
i = start
while True:
    key = f"C-{i:06d}"
    store.begin_intent("acme-bv", "relation", key, reference=f"REF-{i}",
                       operation="create", payload_hash="h")
    entry = store.enqueue("relation", key, {"n": i}, ["acme-bv"])
    print(f"enqueued {i} {entry.entry_id}", flush=True)
    [claimed] = store.claim(1, worker, lease_seconds=3600)
    assert claimed.entry_id == entry.entry_id
    store.record_outcome("acme-bv", "relation", key, remote_id=f"R-{i}",
                         snapshot={"n": i}, outbox_entry=entry.entry_id, worker=worker)
    print(f"linked {i}", flush=True)
    i += 1
"""


def _child_env() -> dict[str, str]:
    # The child must import the same finlink as this test (the checkout's src folder).
    src = str(Path(finlink.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    return env


def _write_until_killed(script: Path, db: Path, start: int, linked_before_kill: int) -> list[str]:
    """Run the writer, SIGKILL it after some outcomes, return the lines it printed."""
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    assert proc.stdout is not None
    lines: list[str] = []
    linked = 0
    while linked < linked_before_kill:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        linked += line.startswith("linked")
    # Killed wherever it is: mid-transaction, mid-fsync, between two calls.
    proc.send_signal(signal.SIGKILL)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    lines.extend(x for x in rest.splitlines() if x)
    assert linked >= linked_before_kill, err
    return lines


def _check_consistent(db: Path, lines: list[str]) -> int:
    """Assert the reopened store holds every acknowledged write, atomically; return links."""
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        raw.close()
    with SQLiteStore(db) as store:
        links = {link.crm_key: link for link in store.links(ADM, REL)}
        for line in lines:
            word, number, *rest = line.split()
            key = f"C-{int(number):06d}"
            if word == "linked":
                assert links[key].snapshot == {"n": int(number)}
                assert store.get_intent(ADM, REL, key) is None
            else:
                entry_id = int(rest[0])
                entry = store.get_outbox_entry(entry_id)
                # Either the outcome committed (and took the entry with it) or not at all.
                assert (key in links) == (entry is None), key
        # No half-recorded outcome anywhere: a link never keeps its intent or its entry.
        for key in links:
            assert store.get_intent(ADM, REL, key) is None
        total = len(links)
    raw = sqlite3.connect(db)
    try:
        queued = {row[0] for row in raw.execute("SELECT crm_key FROM outbox")}
    finally:
        raw.close()
    assert not queued & links.keys()
    return total


def test_a_sigkilled_writer_loses_no_acknowledged_write_and_leaves_no_half_outcome(
    tmp_path: Path,
) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    db = tmp_path / "state.db"
    start = 0
    for _round in range(3):
        lines = _write_until_killed(script, db, start, linked_before_kill=25 + 10 * _round)
        total = _check_consistent(db, lines)
        assert total >= start + 25
        # The rerun carries on after the last number it may have used.
        start = 1 + max(int(line.split()[1]) for line in lines)
    with SQLiteStore(db) as store:
        # And the store still takes writes after all that.
        store.record_outcome(ADM, REL, "after", remote_id="R-after", snapshot={})
        assert store.get_link(ADM, REL, "after") is not None


def test_the_file_runs_in_wal_mode_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with SQLiteStore(db) as store:
        conn = store._db._connection()  # per-connection settings: asked of the store's own
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    with SQLiteStore(db, synchronous="NORMAL", busy_timeout=2) as store:
        conn = store._db._connection()  # per-connection settings: asked of the store's own
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2000


def test_an_unknown_synchronous_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteStore(tmp_path / "state.db", synchronous="OFF")  # type: ignore[arg-type]


def test_what_was_committed_is_there_after_reopening(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with SQLiteStore(db) as store:
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"v": 1})
        store.enqueue(REL, "C-2", {"v": 2})
        store.set_cursor(ADM, "open_items", "abc")
    with SQLiteStore(db) as store:
        assert store.get_link(ADM, REL, "C-1") is not None
        assert store.outbox_depth() == 1
        assert store.get_cursor(ADM, "open_items") == "abc"


def test_backup_copies_a_consistent_store_while_it_is_open(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    copy = tmp_path / "backup.db"
    with SQLiteStore(db) as store:
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={"v": 1})
        store.backup(copy)
        store.record_outcome(ADM, REL, "C-2", remote_id="R-2", snapshot={"v": 2})
    with SQLiteStore(copy) as restored:
        assert [link.crm_key for link in restored.links(ADM, REL)] == ["C-1"]


def test_a_store_cannot_be_used_after_leaving_its_with_block(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "state.db") as store:
        assert "state.db" in repr(store)
    with pytest.raises(finlink.SyncError, match="closed"):
        store.status(ADM)


def test_closing_inside_a_transaction_is_refused_and_the_work_kept(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with SQLiteStore(db) as store:
        with store.transaction():
            store.set_cursor(ADM, "s", "1")
            with pytest.raises(finlink.SyncError, match="inside a transaction"):
                store.close()
        assert store.get_cursor(ADM, "s") == "1"


def test_a_write_waits_for_another_process_lock_then_fails_with_sync_error(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.db"
    with SQLiteStore(db) as holder, SQLiteStore(db, busy_timeout=0.2) as waiter:
        with holder.transaction():
            holder.set_cursor(ADM, "s", "1")
            with pytest.raises(finlink.SyncError, match="locked"):
                waiter.set_cursor(ADM, "s", "2")
        # Once the lock is free the waiter writes as usual.
        waiter.set_cursor(ADM, "s", "2")
        assert holder.get_cursor(ADM, "s") == "2"


def test_a_database_failure_surfaces_as_sync_error_and_the_store_stays_usable(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.db"
    with SQLiteStore(db) as store:
        raw = sqlite3.connect(db)
        raw.execute("DROP TABLE cursors")
        raw.commit()
        raw.close()
        with pytest.raises(finlink.SyncError, match="no such table"):
            store.get_cursor(ADM, "s")
        with pytest.raises(finlink.SyncError, match="no such table"):
            store.set_cursor(ADM, "s", "1")
        # The failed write left no transaction open behind it.
        store.record_outcome(ADM, REL, "C-1", remote_id="R-1", snapshot={})
        assert store.get_link(ADM, REL, "C-1") is not None
