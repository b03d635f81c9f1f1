"""SIGKILL random workers at random points: survivors and a restarted worker converge.

Per seed, three worker processes share one tenant's outbox (an Exact division and a SnelStart
administration, served over loopback); the seed picks which worker dies and when. A worker
started after the kill runs until the outbox is empty (the dead worker's entry comes back when
its lease runs out). Then every change is in its administration exactly once.
``FINLINK_KILL_SEEDS`` runs more seeds (20 by default).
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from finlink.sync.store.postgres import PostgresStore
from finlink.testing import ScaledClock
from finlink.testing._served import SandboxProcess
from tests.postgres import PgSchema
from tests.workers.fleet import assert_delivered_exactly_once, fleet_on

SEEDS = int(os.environ.get("FINLINK_KILL_SEEDS", "20"))
# 50 simulated seconds a real second; a lease of 100 s is 2 real seconds, far more than one
# entry takes, and short enough to wait out.
FACTOR = 50.0
LEASE = 100.0
ENTRIES = 30


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[tuple[ScaledClock, SandboxProcess, SandboxProcess]]:
    clock = ScaledClock(FACTOR)
    with (
        SandboxProcess("exact", clock, count=SEEDS) as exact,
        SandboxProcess("snelstart", clock, count=SEEDS, product="maatwerk") as snelstart,
    ):
        yield clock, exact, snelstart


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(SEEDS))
def test_sigkill_of_random_workers_converges_without_duplicates_or_losses(
    seed: int,
    sandboxes: tuple[ScaledClock, SandboxProcess, SandboxProcess],
    pg_schema: PgSchema,
    tmp_path: Path,
) -> None:
    rng = random.Random(seed)
    clock, exact, snelstart = sandboxes
    division = exact.info["divisions"][seed]
    administration = sorted(snelstart.info["administrations"])[seed]
    tenant = f"seed{seed}"
    running = fleet_on(
        pg_schema.options_dsn,
        tmp_path,
        clock=clock,
        exact=exact,
        snelstart=snelstart,
        layout={tenant: [f"exact:{division}", f"snel:{administration}"]},
        lease_seconds=LEASE,
        threads=1,
        batch=3,
        test_key=False,
    )
    running.enqueue(ENTRIES, seed=seed)
    workers = [running.start_worker(f"w{n}") for n in range(3)]
    victims = rng.sample(range(3), rng.choice([1, 2]))
    # Kill when a random share of the work is done, not after a fixed time: on a quiet machine
    # the workers could otherwise be done (and gone) before the kill, testing nothing.
    left = round(ENTRIES * rng.uniform(0.3, 0.9))
    with PostgresStore(pg_schema.options_dsn, namespace=tenant, clock=clock) as store:
        deadline = time.monotonic() + 120
        while store.outbox_depth() > left:
            assert time.monotonic() < deadline, f"{store.outbox_depth()} entries left"
            time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.3))  # anywhere inside an entry's calls
    for victim in victims:
        workers[victim].send_signal(signal.SIGKILL)
        time.sleep(rng.uniform(0.0, 0.5))
    restarted = running.start_worker("restarted", forever=True)
    try:
        with PostgresStore(pg_schema.options_dsn, namespace=tenant, clock=clock) as store:
            deadline = time.monotonic() + 120
            while store.outbox_depth():
                assert time.monotonic() < deadline, f"{store.outbox_depth()} entries left"
                time.sleep(0.2)
        # SIGTERM stops a worker cleanly once it serves (its heartbeat file shows that);
        # sent while the process still imports, it would end it as any program (-15).
        beat = running.folder / "restarted.heartbeat.json"
        while not beat.exists():
            assert time.monotonic() < deadline + 60, "the restarted worker never started"
            time.sleep(0.05)
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=60) == 0
        for n, worker in enumerate(workers):
            code = worker.wait(timeout=60)
            assert code in ({0, -signal.SIGKILL} if n in victims else {0}), (n, code)
    finally:
        for process in [*workers, restarted]:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert any(workers[v].returncode == -signal.SIGKILL for v in victims), "nobody was killed"
    assert_delivered_exactly_once(running)
