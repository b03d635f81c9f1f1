"""Several processes and threads on one SQLite store: claims never overlap, writes all land."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import finlink
from finlink.sync.store import SQLiteStore

ADM = "acme-bv"
REL = "relation"

# Each worker claims small batches and acknowledges them until the outbox is empty,
# printing every entry id it got. It starts only when told to, so both run at once, and
# it spends a moment per entry outside the store, as a real push to a vendor does (without
# it one process can win every lock and the other never gets a turn).
WORKER = """
import sys
import time
from finlink.sync.store import SQLiteStore

path, name = sys.argv[1], sys.argv[2]
store = SQLiteStore(path)
print("ready", flush=True)
sys.stdin.readline()
while True:
    batch = store.claim(3, name, lease_seconds=600)
    if not batch:
        break
    for entry in batch:
        print(entry.entry_id, flush=True)
        time.sleep(0.002)  # the push to the vendor, outside any transaction
        assert store.ack(entry.entry_id, name)
store.close()
"""


def _child_env() -> dict[str, str]:
    src = str(Path(finlink.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    return env


def test_two_processes_claiming_from_one_outbox_never_get_the_same_entry(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.db"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    with SQLiteStore(db) as store, store.transaction():
        expected = {store.enqueue(REL, f"C-{i}", {"n": i}).entry_id for i in range(300)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), str(db), f"worker-{n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        for n in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    got: list[list[int]] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        got.append([int(line) for line in out.split()])
    first, second = (set(ids) for ids in got)
    assert not first & second
    assert first | second == expected
    assert sum(len(ids) for ids in got) == len(expected)  # nobody got one twice
    assert first
    assert second
    with SQLiteStore(db) as store:
        assert store.outbox_depth() == 0


def test_two_stores_on_one_file_in_two_threads_share_the_outbox_without_overlap(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.db"
    with SQLiteStore(db, synchronous="NORMAL") as store, store.transaction():
        for i in range(200):
            store.enqueue(REL, f"C-{i}", {"n": i})
    got: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        with SQLiteStore(db, synchronous="NORMAL") as mine:
            start.wait()
            while batch := mine.claim(2, name, lease_seconds=600):
                for entry in batch:
                    got[name].append(entry.entry_id)
                    mine.ack(entry.entry_id, name)

    threads = [threading.Thread(target=work, args=(name,)) for name in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(got["a"]) & set(got["b"])
    assert len(got["a"]) + len(got["b"]) == 200


def test_one_store_shared_by_threads_keeps_every_write(tmp_path: Path) -> None:
    failures: list[BaseException] = []
    with SQLiteStore(tmp_path / "state.db", synchronous="NORMAL") as store:

        def write(thread: int) -> None:
            try:
                for i in range(50):
                    key = f"T{thread}-{i:03d}"
                    with store.transaction():
                        store.begin_intent(
                            ADM, REL, key, reference=key, operation="create", payload_hash="h"
                        )
                        store.record_outcome(ADM, REL, key, remote_id=f"R-{key}", snapshot={})
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(list(store.links(ADM, REL))) == 200
        assert store.pending_intents() == []
