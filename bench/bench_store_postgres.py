"""PostgresStore against SQLiteStore on the same initial sync: relations per second and ratio.

The same generated CRM (relations with contacts) is synced into an in-memory backend three
times: with the state in an SQLite file (``synchronous=FULL``, the default), in PostgreSQL
(the server's defaults: every commit waits for its WAL flush), and in PostgreSQL with
``synchronous_commit=off`` (set in the DSN's ``options``; a commit returns before the flush,
as SQLite's ``NORMAL`` does). The backend costs nothing, so the figures are the engine plus
its store; a real worker waits on the vendors' rate limits far longer than on either store. A
second, unchanged sync of the same relations (the engine reads the links' fingerprints) is
timed too.

Prints (never asserts). Needs ``finlink[postgres]`` and a server; without them it says so and
exits 0. The tables go in a schema of their own, dropped at the end.

    python bench/bench_store_postgres.py                       # 2,000 relations
    python bench/bench_store_postgres.py --relations 10000 --dsn postgresql://u@host/db
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.sync import SQLiteStore, StateStore, SyncEngine
from finlink.testing.datasets import relations

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def _timed_syncs(
    make_store: Callable[[SimulatedClock], StateStore], size: int
) -> tuple[float, float]:
    """Seconds of the initial sync and of an unchanged second sync of ``size`` relations."""
    crm = relations(size, seed=1)
    clock = SimulatedClock()
    backend = InMemoryBackend(administration="exact:1", clock=clock)
    store = make_store(clock)
    try:
        engine = SyncEngine(store=store, backends=[backend], clock=clock)
        started = time.perf_counter()
        engine.sync_relations(crm)
        initial = time.perf_counter() - started
        started = time.perf_counter()
        engine.sync_relations(crm)
        unchanged = time.perf_counter() - started
        # The dataset holds a few records the engine refuses on purpose: count what landed.
        linked = sum(1 for _ in store.links("exact:1", "relation"))
    finally:
        store.close()
    return initial, unchanged, linked


def _server(dsn: str) -> str | None:
    """Why the benchmark cannot run against ``dsn``, or None when it can."""
    try:
        import psycopg  # noqa: PLC0415 - optional: the postgres extra
    except ImportError:
        return "psycopg is not installed (pip install 'finlink[postgres]')"
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at {dsn}: {str(exc).strip()}"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relations", type=int, default=2000, help="relations to sync")
    parser.add_argument(
        "--dsn",
        default=os.environ.get("FINLINK_TEST_POSTGRES_DSN", DEFAULT_DSN),
        help="the PostgreSQL server (default: FINLINK_TEST_POSTGRES_DSN or the CI machine's)",
    )
    args = parser.parse_args(argv)
    why_not = _server(args.dsn)
    if why_not is not None:
        print(f"skipped: {why_not}")
        return
    import psycopg  # noqa: PLC0415 - checked just above

    from finlink.sync.store import PostgresStore  # noqa: PLC0415

    size = args.relations
    schema = f"finlink_bench_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in args.dsn else "?"
    dsn = f"{args.dsn}{separator}options=-csearch_path%3D{schema}"
    asynchronous = f"{dsn}%20-csynchronous_commit%3Doff"
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
    try:
        with tempfile.TemporaryDirectory() as folder:
            sqlite = _timed_syncs(
                lambda clock: SQLiteStore(Path(folder) / "bench.db", clock=clock), size
            )
        postgres = _timed_syncs(lambda clock: PostgresStore(dsn, clock=clock), size)
        # A new namespace: the same tables, but an empty store.
        relaxed = _timed_syncs(
            lambda clock: PostgresStore(asynchronous, clock=clock, namespace="async"), size
        )
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())
    for label, (initial, unchanged, linked) in (
        ("SQLiteStore (FULL)", sqlite),
        ("PostgresStore", postgres),
        ("  synchronous_commit=off", relaxed),
    ):
        print(
            f"{label:<25} initial sync of {size:,} relations ({linked:,} linked): "
            f"{initial:6.2f} s, {size / initial:7,.0f} relations/s; "
            f"unchanged again: {size / unchanged:8,.0f}/s"
        )
    print(
        f"PostgresStore / SQLiteStore: initial sync {sqlite[0] / postgres[0]:.2f}x the rate "
        f"({sqlite[0] / relaxed[0]:.2f}x with synchronous_commit=off), "
        f"unchanged sync {sqlite[1] / postgres[1]:.2f}x"
    )


if __name__ == "__main__":
    main()
