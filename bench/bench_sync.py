"""Benchmark the sync engine on the in-memory backend with the SQLite state store.

Prints (never asserts):

1. initial sync of N relations with contacts: relations per second end to end, the time the
   bare backend calls take without the engine, and the engine's overhead as a ratio of that;
2. planning M unchanged relations: relations per second and API calls (targets: >= 50,000/s,
   and no call per record — one incremental read per administration);
3. peak memory of the process (target <= 500 MB for the 100,000-relation runs).

    python bench/bench_sync.py                      # N = 10,000, M = 100,000
    python bench/bench_sync.py --initial 2000 --plan 20000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.model.normalize import normalize_relation
from finlink.sync import SQLiteStore, SyncEngine
from finlink.testing.datasets import relations


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _bare_backend_seconds(crm: tuple[object, ...]) -> float:
    """The same creates, straight against a fresh backend: what the vendor side costs."""
    backend = InMemoryBackend(administration="bare", clock=SimulatedClock())
    started = time.perf_counter()
    for relation in crm:
        assert hasattr(relation, "contacts")
        clean = normalize_relation(relation)  # type: ignore[arg-type]
        record = backend.create_relation(clean, reference=clean.id)
        for contact in clean.contacts:
            backend.create_contact(record.remote_id, contact, reference=contact.id)
    return time.perf_counter() - started


def initial_sync(size: int, folder: Path, synchronous: str) -> None:
    crm = relations(size, seed=1)
    contacts = sum(len(r.contacts) for r in crm)
    clock = SimulatedClock()
    backend = InMemoryBackend(administration="exact:1", clock=clock)
    store = SQLiteStore(folder / f"initial-{synchronous}.db", clock=clock, synchronous=synchronous)  # type: ignore[arg-type]
    engine = SyncEngine(store=store, backends=[backend], clock=clock)
    started = time.perf_counter()
    report = engine.sync_relations(crm)
    seconds = time.perf_counter() - started
    bare = _bare_backend_seconds(crm)
    store.close()
    print(
        f"initial sync, {size:,} relations with {contacts:,} contacts, SQLite synchronous="
        f"{synchronous}: {seconds:.1f} s, {size / seconds:,.0f} relations/s "
        f"(ok={report.ok}, backend calls {backend.total_calls:,})"
    )
    print(
        f"  bare backend calls without the engine: {bare:.2f} s; engine overhead "
        f"{(seconds - bare) / bare:.1f}x the backend time"
    )


def planning(size: int, folder: Path) -> None:
    crm = relations(size, seed=2)
    clock = SimulatedClock()
    backend = InMemoryBackend(administration="exact:1", clock=clock)
    store = SQLiteStore(folder / "plan.db", clock=clock, synchronous="NORMAL")
    engine = SyncEngine(store=store, backends=[backend], clock=clock)
    started = time.perf_counter()
    engine.sync_relations(crm)
    print(f"planning: set-up sync of {size:,} relations took {time.perf_counter() - started:.1f} s")
    engine.sync_relations(crm)  # moves the change cursor past finlink's own writes
    backend.calls.clear()
    started = time.perf_counter()
    plan = engine.plan(relations=crm)
    seconds = time.perf_counter() - started
    counts = plan.counts("relation")
    print(
        f"planning {size:,} unchanged relations: {seconds:.2f} s, {size / seconds:,.0f} "
        f"relations/s, API calls {backend.total_calls} ({dict(backend.calls)}), plan {counts}"
    )
    backend.calls.clear()
    started = time.perf_counter()
    report = engine.sync_relations(crm)
    seconds = time.perf_counter() - started
    print(
        f"syncing {size:,} unchanged relations: {seconds:.2f} s, {size / seconds:,.0f} "
        f"relations/s, API calls {backend.total_calls}, ok={report.ok}"
    )
    store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initial", type=int, default=10_000, help="relations to sync first")
    parser.add_argument("--plan", type=int, default=100_000, help="unchanged relations to plan")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        initial_sync(args.initial, folder, "FULL")
        initial_sync(args.initial, folder, "NORMAL")
        planning(args.plan, folder)
    print(f"peak memory: {_peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
