"""Several workers on PostgreSQL: outbox throughput with 1, 2 and 4 workers, and Exact's limit.

1. **Throughput.** 4 tenants with 2 Exact divisions and 2 SnelStart administrations each (16
   administrations), served over loopback with ``--latency`` real seconds per call (50 ms);
   the clock runs 60 times as fast, so the vendors' rate limits leave room and the latency is
   what the workers wait for. Each worker process runs one thread. Printed: entries a second
   for 1, 2 and 4 workers and the ratio to one worker (target: 4 workers at least 3.5 times
   one).
2. **Exact's limit.** 4 workers on one Exact division, on a clock 10 times as fast: printed are
   the calls of each full clock minute the sandbox counted (target ≥ 95 % of 60) and its 429s
   (target 0).

Needs the ``postgres`` extra and a server (``FINLINK_TEST_POSTGRES_DSN``, default the CI one);
each run works in a schema of its own, dropped afterwards. Run from the repository root:
``python bench/bench_workers.py [--entries 240] [--latency 0.05] [--limit-entries 90]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fleet helpers live beside the tests

from finlink.sync.store.postgres import PostgresStore  # noqa: E402
from finlink.testing import ScaledClock  # noqa: E402
from finlink.testing._served import SandboxProcess  # noqa: E402
from tests.postgres import DEFAULT_DSN, fresh_schema  # noqa: E402
from tests.workers.fleet import Fleet, fleet, fleet_on  # noqa: E402


def _drain(running: Fleet, workers: int, entries: int) -> float:
    """Start ``workers`` idle workers, queue ``entries``, return the seconds until all sent."""
    procs = [running.start_worker(f"bench{workers}-{n}", forever=True) for n in range(workers)]
    beats = [running.folder / f"bench{workers}-{n}.heartbeat.json" for n in range(workers)]
    try:
        while not all(beat.exists() for beat in beats):  # started, connected, idle
            time.sleep(0.05)
        started = time.perf_counter()
        running.enqueue(entries // len(running.spec.tenants), seed=workers)
        clock = ScaledClock.from_spec(running.spec.clock)
        stores = [
            PostgresStore(running.spec.dsn, namespace=tenant, clock=clock)
            for tenant in running.spec.tenants
        ]
        while any(store.outbox_depth() for store in stores):
            time.sleep(0.05)
        took = time.perf_counter() - started
        for store in stores:
            store.close()
        return took
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)


def throughput(dsn: str, entries: int, latency: float) -> None:
    print(
        f"outbox throughput, {entries} entries, {latency * 1000:.0f} ms a call, 16 administrations"
    )
    rates: dict[int, float] = {}
    for workers in (1, 2, 4):
        with (
            fresh_schema(dsn) as schema,
            fleet(
                schema.options_dsn,
                _folder(f"tp{workers}"),
                factor=60,
                exact_per_tenant=2,
                snelstart_per_tenant=2,
                latency=latency,
                threads=1,
                batch=5,
                test_key=False,
            ) as running,
        ):
            took = _drain(running, workers, entries)
            rates[workers] = entries / took
            print(
                f"  {workers} worker(s): {rates[workers]:7.1f} entries/s"
                f"  ({took:.1f} s, {rates[workers] / rates[1]:.2f}x one worker)"
            )


def exact_limit(dsn: str, entries: int) -> None:
    print(f"Exact's minute budget, 4 workers on one division, {entries} entries")
    clock = ScaledClock(10)
    with (
        fresh_schema(dsn) as schema,
        SandboxProcess("exact", clock, count=1) as exact,
        SandboxProcess("snelstart", clock, count=1) as snelstart,
    ):
        division = exact.info["divisions"][0]
        running = fleet_on(
            schema.options_dsn,
            _folder("limit"),
            clock=clock,
            exact=exact,
            snelstart=snelstart,
            layout={"solo": [f"exact:{division}"]},
            threads=1,
            batch=5,
        )
        _drain(running, 4, entries)
        stats = exact.ask("stats")
    minutes = [used for _, used in stats["per_minute"][str(division)]]
    full = minutes[1:-1]  # the first and last minutes are partly idle
    if not full:
        print("  too few minutes to judge; give more --limit-entries")
        return
    mean = sum(full) / len(full)
    print(f"  calls per full clock minute: {full}")
    print(
        f"  mean {mean:.1f}/60 = {mean / 60:.1%} of Exact's limit; "
        f"429s: {sum(stats['refused'].values())}; busiest minute {max(minutes)}"
    )


def _folder(name: str) -> Path:
    import tempfile  # noqa: PLC0415

    return Path(tempfile.mkdtemp(prefix=f"finlink-bench-{name}-"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=240)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--limit-entries", type=int, default=90)
    parser.add_argument("--only", choices=["throughput", "limit"])
    args = parser.parse_args()
    dsn = os.environ.get("FINLINK_TEST_POSTGRES_DSN", DEFAULT_DSN)
    try:
        import psycopg  # noqa: PLC0415

        psycopg.connect(dsn, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any reason to skip is printed
        print(f"bench_workers: skipped, no PostgreSQL ({type(exc).__name__}: {exc})")
        return
    if args.only in (None, "throughput"):
        throughput(dsn, args.entries, args.latency)
    if args.only in (None, "limit"):
        exact_limit(dsn, args.limit_entries)


if __name__ == "__main__":
    main()
