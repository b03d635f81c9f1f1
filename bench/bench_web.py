"""Review-queue pages of the web view over 10,000 open reviews: time and store reads per page.

Prints (never asserts), for a SQLite store and, where a server answers, a PostgreSQL one:

- milliseconds to render the first, a middle (``after=``) and the last page of the review
  queue through the ASGI app in this process (target < 100 ms a page);
- the store calls each page made and the rows they returned: a page reads one page of
  reviews (plus one row to know whether there is a next page), never the whole queue;
- for SQLite, the SQL statements each page ran, so their shape (``LIMIT``) can be read.

Run: ``python bench/bench_web.py [--reviews 10000] [--repeat 20] [--dsn postgresql://...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from finlink.backends.memory import InMemoryBackend
from finlink.sync import SQLiteStore, StateStore, SyncEngine
from finlink.web import WebUser, create_app

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PAGE = 25
ADMINISTRATION = "bench:1"


class CountingStore:
    """Passes every call to the store and remembers it with the rows it returned."""

    def __init__(self, inner: StateStore) -> None:
        self._inner = inner
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            rows = len(result) if isinstance(result, list) else 1 if result is not None else 0
            self.calls.append((name, rows))
            return result

        return counted


def fill(store: StateStore, reviews: int) -> None:
    with store.transaction():
        for n in range(reviews):
            store.add_review(
                ADMINISTRATION,
                "relation",
                f"crm-{n:06d}",
                reason=f"possible match (name, {70 + n % 25}): similar name and postcode",
                candidates=[
                    {"remote_id": f"rel-{n:06d}-{k}", "score": 80 - k, "evidence": ["similar name"]}
                    for k in range(2)
                ],
                payload={"id": f"crm-{n:06d}", "name": f"Relatie {n} B.V.", "email": None},
            )


@contextmanager
def sql_trace(store: StateStore) -> Iterator[list[str]]:
    """The SQL statements a SQLite store runs meanwhile (none for another store)."""
    statements: list[str] = []
    connection = getattr(getattr(store, "_db", None), "_conn", None)
    if connection is None:
        yield statements
        return
    connection.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        connection.set_trace_callback(None)


def bench(label: str, make_store: Callable[[], StateStore], reviews: int, repeat: int) -> None:
    store = make_store()
    try:
        started = time.perf_counter()
        fill(store, reviews)
        print(f"{label}: {reviews:,} open reviews written in {time.perf_counter() - started:.1f} s")
        counting = CountingStore(store)
        engine = SyncEngine(
            store=counting,
            backends=[InMemoryBackend(administration=ADMINISTRATION)],
        )
        app = create_app(engine, authenticate=lambda request: WebUser(id="bench"), page_size=PAGE)
        first_id = store.reviews(ADMINISTRATION, limit=1)[0].review_id
        pages = {
            "first": "/reviews",
            "middle": f"/reviews?after={first_id + reviews // 2}",
            "last": f"/reviews?after={first_id + reviews - PAGE - 1}",
        }
        asyncio.run(_render(app, pages, counting, store, repeat))
    finally:
        store.close()


async def _render(
    app: Any,
    pages: dict[str, str],
    counting: CountingStore,
    store: StateStore,
    repeat: int,
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, path in pages.items():
            await client.get(path)  # warm: templates compiled, statements prepared
            times = []
            for _ in range(repeat):
                counting.calls.clear()
                with sql_trace(store) as statements:
                    started = time.perf_counter()
                    response = await client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            shown = response.text.count('<td><span class="name">')
            calls = ", ".join(f"{call}() → {rows} rows" for call, rows in counting.calls)
            print(
                f"  {name:<6} page ({path}): median {statistics.median(times):6.1f} ms, "
                f"max {max(times):6.1f} ms over {repeat}; {shown} items shown; "
                f"store calls: {calls}"
            )
            for statement in statements:
                if "review" in statement.lower():
                    print(f"           SQL: {' '.join(statement.split())[:160]}")


def _postgres(dsn: str) -> str | None:
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
    parser.add_argument("--reviews", type=int, default=10_000, help="open reviews (10,000)")
    parser.add_argument("--repeat", type=int, default=20, help="renders per page (20)")
    parser.add_argument(
        "--dsn",
        default=os.environ.get("FINLINK_TEST_POSTGRES_DSN", DEFAULT_DSN),
        help="the PostgreSQL server (default: FINLINK_TEST_POSTGRES_DSN or the CI machine's)",
    )
    args = parser.parse_args(argv)
    print(f"Review queue pages of {PAGE} items, target < 100 ms a page")
    with tempfile.TemporaryDirectory() as folder:
        bench(
            "SQLiteStore",
            lambda: SQLiteStore(Path(folder) / "bench.db"),
            args.reviews,
            args.repeat,
        )
    why_not = _postgres(args.dsn)
    if why_not is not None:
        print(f"PostgresStore: skipped, {why_not}", file=sys.stderr)
        return
    import psycopg  # noqa: PLC0415

    from finlink.sync.store import PostgresStore  # noqa: PLC0415

    schema = f"finlink_bench_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in args.dsn else "?"
    dsn = f"{args.dsn}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
    try:
        bench("PostgresStore", lambda: PostgresStore(dsn), args.reviews, args.repeat)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


if __name__ == "__main__":
    main()
