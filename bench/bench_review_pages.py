"""One page of the review queue with 10,000 open reviews: milliseconds per page, per store.

The bookkeeper's review page shows one page of open items at a time. This measures what
finlink does for such a page, without the HTML: ``store.reviews(administration,
after=<last id shown>, limit=50)``, then each item's reason and each candidate's evidence
in plain words (:mod:`finlink.sync.explain`), and ``store.status()`` for "page x of y".
The administration holds 10,000 open items with three candidates each, and as many settled
ones (history the page must not read); another administration holds 5,000 more. The first,
middle and last page and the mean over every page are printed: a page deep in the queue
costs what the first one does, because the query is one index range (see
``tests/sync/store/test_page_query_plans.py``). The issue's target is < 100 ms a page,
with the HTML.

Prints (never asserts). PostgreSQL is measured when a server answers (``--dsn``), in a
schema of its own dropped at the end.

    python bench/bench_review_pages.py                    # 10,000 open reviews, 50 a page
    python bench/bench_review_pages.py --open 20000 --page 100 --dsn postgresql://u@host/db
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from finlink.sync import SQLiteStore, StateStore
from finlink.sync.explain import explain_evidence, explain_review

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
ADM = "exact:1234567"
OTHER = "snelstart:acme"


def _candidates(i: int) -> list[dict[str, object]]:
    return [
        {
            "remote_id": f"R-{i}-{n}",
            "score": 88 - 7 * n,
            "evidence": [
                f"same KvK {30000000 + i}",
                f"name 'Bakkerij De Vries {i} B.V.' ≈ 'Bakkerij de Vries {i}' ({91 - n})",
                "same postcode 3511 AB and house number 12",
                "but different city" if n else "the remote record is inactive",
            ],
        }
        for n in range(3)
    ]


def fill(store: StateStore, open_items: int) -> None:
    """Raise ``open_items`` open and as many settled items in ADM, half as many in OTHER."""
    payload = {"name": "Bakkerij De Vries B.V.", "coc_number": "30000001", "city": "Utrecht"}
    with store.transaction():
        for i in range(open_items):
            # A settled item of another record first: history between the open ones.
            settled = store.add_review(
                ADM, "relation", f"old-{i}", reason="r", candidates=[], payload=payload
            )
            store.resolve_review(settled.review_id, "dismiss")
            reason = f"possible match (kvk, 88): same KvK {30000000 + i}"
            store.add_review(
                ADM,
                "relation",
                f"crm-{i}",
                reason=reason,
                candidates=_candidates(i),
                payload=payload,
            )
            if i % 2 == 0:
                store.add_review(
                    OTHER,
                    "relation",
                    f"crm-{i}",
                    reason=reason,
                    candidates=_candidates(i),
                    payload=payload,
                )


def page_times(store: StateStore, size: int) -> list[float]:
    """Milliseconds of every page of ADM's open items, first to last."""
    times: list[float] = []
    after: int | None = None
    while True:
        started = time.perf_counter()
        page = store.reviews(ADM, after=after, limit=size)
        for item in page:
            explain_review(item, "nl")
            for candidate in item.candidates:
                explain_evidence(candidate, "nl")
        store.status(ADM)
        times.append((time.perf_counter() - started) * 1000)
        if len(page) < size:
            return times
        after = page[-1].review_id


def report(name: str, make: Callable[[], StateStore], open_items: int, size: int) -> None:
    """Fill a store, page through it and print the figures."""
    with make() as store:
        started = time.perf_counter()
        fill(store, open_items)
        filled = time.perf_counter() - started
        assert store.status(ADM).review_open == open_items
        times = page_times(store, size)
    middle = times[len(times) // 2]
    print(
        f"{name:<10} {open_items:,} open reviews, {size} a page ({len(times)} pages; filled in "
        f"{filled:.1f} s): first {times[0]:.1f} ms, middle {middle:.1f} ms, "
        f"last {times[-1]:.1f} ms, mean {statistics.fmean(times):.1f} ms, "
        f"max {max(times):.1f} ms"
    )


@contextmanager
def _postgres_schema(dsn: str) -> Iterator[str | None]:
    try:
        import psycopg  # noqa: PLC0415 - optional: the postgres extra
    except ImportError:
        print("PostgreSQL: psycopg is not installed (pip install 'finlink[postgres]'); skipped")
        yield None
        return
    schema = f"finlink_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
    except psycopg.Error as exc:
        print(f"PostgreSQL: no server at the DSN ({exc.__class__.__name__}); skipped")
        yield None
        return
    separator = "&" if "?" in dsn else "?"
    try:
        yield f"{dsn}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=10_000, help="open reviews (10,000)")
    parser.add_argument("--page", type=int, default=50, help="items a page (50)")
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report(
            "SQLite",
            lambda: SQLiteStore(Path(folder) / "state.db", synchronous="NORMAL"),
            args.open,
            args.page,
        )
    with _postgres_schema(args.dsn) as dsn:
        if dsn is not None:
            from finlink.sync.store import PostgresStore  # noqa: PLC0415 - needs psycopg

            report("PostgreSQL", lambda: PostgresStore(dsn), args.open, args.page)


if __name__ == "__main__":
    main()
