"""Benchmark the sync engine on the in-memory backend with the SQLite state store.

Prints (never asserts), each scenario in a fresh process so its peak memory is its own:

1. initial sync of N relations with contacts (SQLite ``synchronous=FULL``): relations per
   second end to end, the bare backend calls without the engine, the engine's overhead as a
   ratio of that (target <= 1x; also in CPU time, since the machine may be shared), the time
   Python's garbage collector took of the run (it grows with the objects alive), SQLite
   commits per relation, peak RSS (target <= 500 MB at 100,000); at 10,000 and 100,000,
   with the growth ratio of the time per relation (linear: about 1.0) and of the peak RSS,
   and the engine's own memory per relation beyond the bare backend's at both sizes (flat:
   about 1.0);
2. planning M unchanged relations: relations per second (target >= 50,000/s), API calls
   (target: 1 incremental read per administration), peak RSS; at 100,000 and 1,000,000.

Records are generated as a stream (the engine never sees the whole batch at once), and the
generator's own time is measured in a separate pass and subtracted, so the figures are the
engine's and the backend's.

    python bench/bench_sync.py                         # 10,000 and 100,000; 100,000 and 1,000,000
    python bench/bench_sync.py --initial 2000 --plan 20000     # a quick look
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.model.normalize import normalize_contact, normalize_relation
from finlink.model.relation import Relation
from finlink.sync import SQLiteStore, SyncEngine
from finlink.sync.payloads import record_fingerprint, relation_payload
from finlink.testing.datasets import make_relation, relations

ADMINISTRATION = "exact:1"


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _stream(size: int, seed: int) -> Iterator[Relation]:
    """The same relations as ``datasets.relations(size, seed=seed)``, made one at a time."""
    rng = random.Random(seed)
    for i in range(1, size + 1):
        relation = make_relation(rng, f"crm-{i:07d}")
        yield attrs.evolve(relation, number=str(100000 + i)) if relation.number else relation


def _clones(size: int, pool: tuple[Relation, ...]) -> Iterator[Relation]:
    """``size`` relations with distinct keys, cheaply: copies of a pool under new ids."""
    for i in range(size):
        yield attrs.evolve(pool[i % len(pool)], id=f"crm-{i:07d}")


def _timed(records: Iterator[Relation], work: Callable[[Relation], object] | None) -> float:
    started = time.perf_counter()
    for record in records:
        if work is not None:
            work(record)
    return time.perf_counter() - started


def _cpu_timed(
    records: Iterator[Relation], work: Callable[[Relation], object] | None = None
) -> float:
    started = time.process_time()
    for record in records:
        if work is not None:
            work(record)
    return time.process_time() - started


def _gc_seconds() -> list[float]:
    """Accumulate the time Python's cyclic garbage collector runs (``gc.callbacks``)."""
    spent = [0.0]
    began = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - began[0]

    gc.callbacks.append(callback)
    return spent


def _count_commits(store: SQLiteStore) -> list[int]:
    """Count the COMMITs the store's connection runs (SQLite's statement trace)."""
    commits = [0]

    def trace(statement: str) -> None:
        if statement == "COMMIT":
            commits[0] += 1

    conn: sqlite3.Connection = store._db._conn  # type: ignore[assignment]
    conn.set_trace_callback(trace)
    return commits


def bare(size: int) -> None:
    """The same creates, straight against a fresh backend: what the vendor side costs."""
    generating = _timed(_stream(size, 1), None)
    backend = InMemoryBackend(administration="bare", clock=SimulatedClock())

    def create(relation: Relation) -> None:
        clean = normalize_relation(relation)
        record = backend.create_relation(clean, reference=clean.id)
        for contact in clean.contacts:
            backend.create_contact(record.remote_id, contact, reference=contact.id)

    seconds = _timed(_stream(size, 1), create) - generating
    # Once more in CPU time, on a fresh backend (the machine is shared: the wall clock also
    # counts other processes).
    generating_cpu = _cpu_timed(_stream(size, 1))
    backend = InMemoryBackend(administration="bare", clock=SimulatedClock())
    normalize_relation.cache_clear()
    normalize_contact.cache_clear()
    cpu = _cpu_timed(_stream(size, 1), create) - generating_cpu
    print(f"BARE {seconds:.4f} {_peak_mb():.1f} {cpu:.4f}")


def initial(size: int, folder: Path) -> None:
    """Initial sync of ``size`` streamed relations into an empty administration."""
    generating = _timed(_stream(size, 1), None)
    generating_cpu = _cpu_timed(_stream(size, 1))
    clock = SimulatedClock()
    backend = InMemoryBackend(administration=ADMINISTRATION, clock=clock)
    store = SQLiteStore(folder / f"initial-{size}.db", clock=clock, synchronous="FULL")
    commits = _count_commits(store)
    engine = SyncEngine(store=store, backends=[backend], clock=clock)
    collecting = _gc_seconds()
    started, started_cpu = time.perf_counter(), time.process_time()
    report = engine.sync_relations(_stream(size, 1))
    seconds = time.perf_counter() - started - generating
    # CPU time of this process: the engine's and the backend's work, without the waits for
    # the disk (fsync) and for other processes on a shared machine.
    cpu = time.process_time() - started_cpu - generating_cpu
    store.close()
    counts = report.counts("relation").get(ADMINISTRATION, {})
    print(
        f"RUN {seconds:.4f} {_peak_mb():.1f} {commits[0]} {backend.total_calls} "
        f"{counts.get('created', 0)} {len(report.failed())} {cpu:.4f} {collecting[0]:.4f}"
    )


def planning(size: int, folder: Path) -> None:
    """Plan ``size`` unchanged relations: every one linked, with its fingerprint stored.

    The state is written straight into the store (a link per relation, with the snapshot and
    fingerprint the engine itself writes), since syncing a million relations first would take
    longer than the benchmark; the engine then plans them as it would after a real sync.
    """
    pool = relations(1000, seed=2)
    snapshots = {
        r.id: {"crm": relation_payload(r), "accounting": relation_payload(r)} for r in pool
    }
    clock = SimulatedClock()
    backend = InMemoryBackend(administration=ADMINISTRATION, clock=clock)
    store = SQLiteStore(folder / f"plan-{size}.db", clock=clock, synchronous="NORMAL")
    started = time.perf_counter()
    batch = 10_000
    for first in range(0, size, batch):
        with store.transaction():
            for i in range(first, min(first + batch, size)):
                base = pool[i % len(pool)]
                relation = attrs.evolve(base, id=f"crm-{i:07d}")
                store.record_outcome(
                    ADMINISTRATION,
                    "relation",
                    relation.id,
                    remote_id=f"rel-{i:07d}",
                    snapshot={**snapshots[base.id], "fingerprint": record_fingerprint(relation)},
                    remote_version="1",
                )
    store.set_cursor(ADMINISTRATION, "relation", backend.read_relations(None).cursor)
    setup = time.perf_counter() - started
    backend.calls.clear()
    engine = SyncEngine(store=store, backends=[backend], clock=clock)
    generating = _timed(_clones(size, pool), None)
    generating_cpu = _cpu_timed(_clones(size, pool))
    started, started_cpu = time.perf_counter(), time.process_time()
    plan = engine.plan(relations=_clones(size, pool))
    seconds = time.perf_counter() - started - generating
    # CPU time as well: on a shared machine the wall clock also counts other processes.
    cpu = time.process_time() - started_cpu - generating_cpu
    calls = dict(backend.calls)
    store.close()
    print(
        f"PLAN {seconds:.4f} {_peak_mb():.1f} {setup:.1f} {cpu:.4f} {calls} "
        f"{plan.counts('relation')}"
    )


def _child(*args: str) -> list[str]:
    done = subprocess.run(  # noqa: S603 - this very script, with our own arguments
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--initial", type=int, nargs="*", default=[10_000, 100_000], help="initial-sync sizes"
    )
    parser.add_argument(
        "--plan", type=int, nargs="*", default=[100_000, 1_000_000], help="planning sizes"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        scenario, size, folder = args.child
        {"bare": lambda: bare(int(size)), "initial": lambda: initial(int(size), Path(folder))}.get(
            scenario, lambda: planning(int(size), Path(folder))
        )()
        return
    with tempfile.TemporaryDirectory() as tmp:
        rates: dict[int, float] = {}
        peaks: dict[int, tuple[float, float]] = {}  # size -> (peak RSS, the bare backend's)
        for size in args.initial:
            _, bare_s, bare_peak, bare_cpu = _child("bare", str(size), tmp)
            _, run_s, peak, commits, calls, created, failed, cpu, gc_s = _child(
                "initial", str(size), tmp
            )
            seconds, backend_s = float(run_s), float(bare_s)
            engine_cpu, backend_cpu = float(cpu), float(bare_cpu)
            rates[size] = size / seconds
            peaks[size] = (float(peak), float(bare_peak))
            print(
                f"initial sync, {size:,} relations with contacts, SQLite synchronous=FULL: "
                f"{seconds:.1f} s, {size / seconds:,.0f} relations/s (target >= 2,000); "
                f"{created} created, {failed} failed, {int(calls):,} backend calls"
            )
            print(
                f"  bare backend calls without the engine: {backend_s:.2f} s; engine overhead "
                f"{(seconds - backend_s) / backend_s:.2f}x the backend time (target <= 1x); "
                f"in CPU time {engine_cpu:.2f} s against {backend_cpu:.2f} s: "
                f"{(engine_cpu - backend_cpu) / backend_cpu:.2f}x; of the run's time, Python's "
                f"garbage collector {float(gc_s):.2f} s ({float(gc_s) / seconds:.0%})"
            )
            print(
                f"  SQLite commits: {int(commits):,}, {int(commits) / size:.3f} per relation "
                f"(before: 6.2 on main); peak RSS {float(peak):,.0f} MB (target <= 500 MB; the "
                f"bare backend alone, holding the same records: {float(bare_peak):,.0f} MB)"
            )
        if len(rates) >= 2:
            small, large = min(rates), max(rates)
            print(
                f"growth {small:,} -> {large:,} relations: time per relation x"
                f"{rates[small] / rates[large]:.2f} (linear: 1.00)"
            )
            # The engine's own memory is what the run holds beyond the bare backend's records.
            (peak_s, bare_mb_s), (peak_l, bare_mb_l) = peaks[small], peaks[large]
            own_s = (peak_s - bare_mb_s) / small * 1024
            own_l = (peak_l - bare_mb_l) / large * 1024
            print(
                f"  peak RSS {peak_s:,.0f} -> {peak_l:,.0f} MB: x{peak_l / peak_s:.2f} for "
                f"x{large / small:.0f} the relations; the engine's own (beyond the bare "
                f"backend) {own_s:,.1f} -> {own_l:,.1f} KB per relation, "
                + (f"x{own_l / own_s:.2f}" if own_s > 0 else "n/a")
                + " (flat: 1.00 or less)"
            )
        for size in args.plan:
            out = _child("plan", str(size), tmp)
            plan_s, plan_peak, setup, plan_cpu = float(out[1]), float(out[2]), out[3], float(out[4])
            rest = " ".join(out[5:])
            print(
                f"planning {size:,} unchanged relations: {plan_s:.2f} s, "
                f"{size / plan_s:,.0f} relations/s (target >= 50,000; in CPU time "
                f"{size / plan_cpu:,.0f}/s); peak RSS {plan_peak:,.0f} MB; "
                f"state set up in {setup} s"
            )
            print(f"  API calls and plan (target: 1 incremental read): {rest}")


if __name__ == "__main__":
    main()
