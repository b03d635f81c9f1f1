"""A page of the review queue or the error log is one index range: no full read, no sort.

The web view pages through 10,000 open reviews; each page must cost the same however long
the queue (bench/bench_review_pages.py measures it). These tests read the databases' query
plans for every filter combination: each page query uses an index in the order it is read
(no table scan, no sort of the whole filtered set), so ``LIMIT`` stops after one page.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from finlink.sync.store import SQLiteStore, StateStore
from finlink.sync.store import _sqlite_lookups as sqlite_lookups
from finlink.sync.store import _sqlite_reviews as sqlite_reviews
from tests.postgres import PgSchema

ADMINISTRATIONS = ("acme-bv", "acme-foundation")
FLAGS = list(itertools.product((True, False), repeat=4))


def _fill(store: StateStore) -> None:
    with store.transaction():
        for i in range(200):
            adm = ADMINISTRATIONS[i % 2]
            item = store.add_review(
                adm, "relation", f"C-{i}", reason="r", candidates=[], payload={}
            )
            if i % 3 == 0:
                store.resolve_review(item.review_id, "dismiss")
            entity = "relation" if i % 3 else "project"
            store.record_failure(adm, entity, f"C-{i}", kind="k", message="m", retriable=True)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "state.db"
    with SQLiteStore(path) as store:
        _fill(store)
    return sqlite3.connect(path)


def _sqlite_plan(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


@pytest.mark.parametrize(("administration", "open_only", "after", "limit"), FLAGS)
def test_a_sqlite_review_page_is_an_index_range(
    sqlite_file: sqlite3.Connection, administration: bool, open_only: bool, after: bool, limit: bool
) -> None:
    sql = sqlite_reviews.page_sql(
        administration=administration, open_only=open_only, after=after, limit=limit
    )
    params: list[Any] = [ADMINISTRATIONS[0]] * administration + [10] * after + [50] * limit
    plan = _sqlite_plan(sqlite_file, sql, params)
    assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort: the index's order
    (step,) = plan
    if administration or open_only:
        assert "USING INDEX" in step, plan  # the filter is the index's, not a row-by-row test
    elif after:
        assert "USING INTEGER PRIMARY KEY" in step, plan
    if after:
        assert step.startswith("SEARCH"), plan  # starts at the key, not at the beginning


@pytest.mark.parametrize(("administration", "entity", "after", "limit"), FLAGS)
def test_a_sqlite_error_log_page_is_an_index_range(
    sqlite_file: sqlite3.Connection, administration: bool, entity: bool, after: bool, limit: bool
) -> None:
    query = sqlite_lookups.errors_page_query(
        ADMINISTRATIONS[0] if administration else None,
        "relation" if entity else None,
        (ADMINISTRATIONS[0], "relation", "C-1") if after else None,
        50 if limit else None,
    )
    assert query is not None
    plan = _sqlite_plan(sqlite_file, *query)
    assert not any("TEMP B-TREE" in step for step in plan), plan
    (step,) = plan
    assert "USING INDEX" in step, plan
    if after or administration or entity:
        assert step.startswith("SEARCH"), plan


def _postgres_plan(schema: PgSchema, sql: str, params: list[Any]) -> list[str]:
    import psycopg

    with psycopg.connect(schema.options_dsn) as conn:
        # Tiny tables make a sequential scan or a sort cheapest; forbid both (the planner
        # still uses them where nothing else can serve) to see whether an index does.
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_sort = off")
        cursor = psycopg.ClientCursor(conn)
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        row = cursor.fetchone()
        assert row is not None
        document = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    nodes: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        nodes.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
        for child in node.get("Plans", ()):
            walk(child)

    walk(document[0]["Plan"])
    return nodes


@pytest.mark.parametrize(("administration", "open_only", "after", "limit"), FLAGS)
def test_a_postgres_review_page_is_an_index_range(
    pg_schema: PgSchema, administration: bool, open_only: bool, after: bool, limit: bool
) -> None:
    from finlink.sync.store import PostgresStore
    from finlink.sync.store import _postgres_reviews as reviews

    with PostgresStore(pg_schema.options_dsn) as store:
        _fill(store)
        namespace = store.namespace
    sql = reviews.page_sql(
        administration=administration, open_only=open_only, after=after, limit=limit
    )
    params: list[Any] = [namespace]
    params += [ADMINISTRATIONS[0]] * administration + [10] * after + [50] * limit
    nodes = _postgres_plan(pg_schema, sql, params)
    assert not any(n.startswith(("Sort", "Seq Scan", "Incremental Sort")) for n in nodes), nodes
    assert any(n.startswith("Index Scan") for n in nodes), nodes


@pytest.mark.parametrize(("administration", "entity", "after", "limit"), FLAGS)
def test_a_postgres_error_log_page_is_an_index_range(
    pg_schema: PgSchema, administration: bool, entity: bool, after: bool, limit: bool
) -> None:
    from finlink.sync.store import PostgresStore
    from finlink.sync.store import _postgres_lookups as lookups

    with PostgresStore(pg_schema.options_dsn) as store:
        _fill(store)
        namespace = store.namespace
    query = lookups.errors_page_query(
        namespace,
        ADMINISTRATIONS[0] if administration else None,
        "relation" if entity else None,
        (ADMINISTRATIONS[0], "relation", "C-1") if after else None,
        50 if limit else None,
    )
    assert query is not None
    nodes = _postgres_plan(pg_schema, *query)
    assert not any(n.startswith(("Sort", "Seq Scan", "Incremental Sort")) for n in nodes), nodes
    assert any(n.startswith(("Index Scan", "Index Only Scan")) for n in nodes), nodes
