"""Run as a separate OS process by test_worker: a worker on a slow in-memory administration.

Usage: python worker_child.py DB HEARTBEAT COUNT

Queues COUNT relations in the SQLite store DB, then runs a Worker (writing HEARTBEAT) until
SIGTERM. Every backend call takes 20 ms of real time, so SIGTERM arrives mid-run.
"""

from __future__ import annotations

import sys

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SystemClock
from finlink.sync import SQLiteStore, SyncEngine, Worker
from finlink.testing.datasets import relations


def main(db: str, heartbeat: str, count: int) -> None:
    backend = InMemoryBackend(administration="mem:1", clock=SystemClock(), latency=0.02)

    def engine_for(_tenant: str) -> SyncEngine:
        return SyncEngine(store=SQLiteStore(db), backends=[backend])

    setup = engine_for("default")
    for relation in relations(count, seed=1):
        setup.notify(relation)
    setup.store.close()
    Worker(engine_for, ["default"], heartbeat=heartbeat, batch=5).run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
