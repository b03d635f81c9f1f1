"""Several processes and threads on one PostgreSQL store: claims never overlap, no edit lost."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import finlink
from finlink.clock import SimulatedClock
from tests.postgres import PgSchema

ADM = "acme-bv"
REL = "relation"

# Each worker claims small batches and acknowledges them until the outbox is empty,
# printing every entry id it got. It starts only when told to, so all run at once, and it
# spends a moment per entry outside the store, as a real push to a vendor does.
WORKER = """
import sys
import time
from finlink.sync.store import PostgresStore

dsn, name = sys.argv[1], sys.argv[2]
store = PostgresStore(dsn, namespace="tenant", max_size=1)
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


def test_four_processes_claiming_from_one_outbox_never_get_the_same_entry(
    pg_schema: PgSchema, tmp_path: Path
) -> None:
    from finlink.sync.store import PostgresStore

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    with PostgresStore(pg_schema.options_dsn, namespace="tenant") as store:
        with store.transaction():
            expected = {store.enqueue(REL, f"C-{i}", {"n": i}).entry_id for i in range(400)}
        # Another tenant's entries are there too, and stay.
        other = store.for_namespace("other")
        other.enqueue(REL, "C-1", {"n": 1})
        workers = [
            subprocess.Popen(
                [sys.executable, str(script), pg_schema.options_dsn, f"worker-{n}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_child_env(),
            )
            for n in range(4)
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
        every = [entry_id for ids in got for entry_id in ids]
        assert len(every) == len(set(every)) == len(expected)  # nobody got one twice
        assert set(every) == expected
        assert sum(1 for ids in got if ids) >= 2  # the work was shared
        assert store.outbox_depth() == 0
        assert other.outbox_depth() == 1
        other.close()


def test_one_store_shared_by_threads_keeps_every_write(pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    failures: list[BaseException] = []
    with PostgresStore(pg_schema.options_dsn, max_size=4) as store:

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


def test_edits_racing_claims_never_overwrite_a_change_in_flight_and_the_last_one_arrives(
    pg_schema: PgSchema,
) -> None:
    from finlink.sync.store import PostgresStore

    editor_store = PostgresStore(pg_schema.options_dsn, max_size=1)
    worker_store = PostgresStore(pg_schema.options_dsn, max_size=1)
    edits = 300
    done = threading.Event()
    failures: list[str] = []
    delivered: list[int] = []

    def edit() -> None:
        try:
            for version in range(1, edits + 1):
                editor_store.enqueue(REL, "C-1", {"v": version})
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(f"enqueue failed: {exc}")
        finally:
            done.set()

    def work() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            finished = done.is_set()
            batch = worker_store.claim(5, "w", lease_seconds=600)
            for entry in batch:
                # What was handed out must still be what is stored: an edit made while the
                # entry was in flight queues behind it instead.
                again = worker_store.get_outbox_entry(entry.entry_id)
                if again is None or again.payload != entry.payload:
                    failures.append(f"entry {entry.entry_id} changed while held")
                delivered.append(entry.payload["v"])
                worker_store.ack(entry.entry_id, "w")
            if finished and not batch:
                return
        failures.append("the outbox did not drain within a minute")

    threads = [threading.Thread(target=edit), threading.Thread(target=work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    editor_store.close()
    worker_store.close()
    assert failures == []
    assert delivered == sorted(delivered)  # in order
    assert delivered[-1] == edits  # the last edit arrived


def test_a_lease_lost_to_another_worker_is_never_acknowledged_by_the_old_one(
    pg_schema: PgSchema,
) -> None:
    from finlink.sync.store import PostgresStore

    clock = SimulatedClock()
    with (
        PostgresStore(pg_schema.options_dsn, clock=clock) as first,
        PostgresStore(pg_schema.options_dsn, clock=clock) as second,
    ):
        entry = first.enqueue(REL, "C-1", {"v": 1}, [ADM])
        first.claim(1, "slow-worker", lease_seconds=30)
        clock.advance(31)
        [taken] = second.claim(1, "fast-worker", lease_seconds=30)
        assert taken.entry_id == entry.entry_id
        # The slow worker finishes late: its outcome stands, but it cannot ack or release.
        first.record_outcome(
            ADM,
            REL,
            "C-1",
            remote_id="R-1",
            snapshot={},
            outbox_entry=entry.entry_id,
            worker="slow-worker",
        )
        assert first.ack(entry.entry_id, "slow-worker") is False
        assert first.release(entry.entry_id, "slow-worker") is False
        assert first.extend_lease(entry.entry_id, "slow-worker", lease_seconds=30) is False
        held = second.get_outbox_entry(entry.entry_id)
        assert held is not None
        assert held.claimed_by == "fast-worker"
        assert second.ack(entry.entry_id, "fast-worker") is True
