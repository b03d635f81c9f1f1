"""PostgreSQL reads a chunk's links by their keys, not by scanning the administration.

The engine reads the links and fingerprints of each chunk of records by a list of CRM keys.
Right after a first sync the table holds thousands of links the server has no statistics of
yet (autovacuum analyses it later); a look-up planned on those stale statistics as a scan
of the administration's whole key range, with the list as a filter, read every link of the
administration for every chunk, so a first sync slowed down as it went (quadratic). These
tests fill a fresh store the way a first sync does, without ANALYZE, and run the store's own
look-ups under EXPLAIN ANALYZE: every row PostgreSQL reads is one that was asked for.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from finlink.sync.store import OutcomeRequest
from tests.postgres import PgSchema

ADM = "exact:1"
LINKS = 3000


class _Explaining:
    """A cursor that runs each statement under EXPLAIN ANALYZE first and keeps the plan."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.plans: list[dict[str, Any]] = []

    def execute(self, sql: str, params: Any = None) -> Any:
        self._cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        document = self._cursor.fetchone()
        value = next(iter(document.values())) if isinstance(document, dict) else document[0]
        self.plans.append((json.loads(value) if isinstance(value, str) else value)[0]["Plan"])
        return self._cursor.execute(sql, params)


def _rows_read(plan: dict[str, Any]) -> tuple[int, list[str]]:
    """Rows the scans of ``finlink_links`` produced or filtered away, and every node type."""
    nodes: list[str] = []
    read = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal read
        nodes.append(node["Node Type"])
        if node.get("Relation Name") == "finlink_links":
            loops = int(node.get("Actual Loops", 1))
            read += (int(node["Actual Rows"]) + int(node.get("Rows Removed by Filter", 0))) * loops
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan)
    return read, nodes


@pytest.fixture
def filled(pg_schema: PgSchema) -> tuple[str, str]:
    """A store holding LINKS links of one administration, written as a first sync writes them."""
    from finlink.sync.store import PostgresStore

    with PostgresStore(pg_schema.options_dsn) as store:
        for first in range(0, LINKS, 500):
            with store.transaction():
                store.record_outcomes(
                    [
                        OutcomeRequest(
                            administration=ADM,
                            entity="relation",
                            crm_key=f"crm-{i:06d}",
                            remote_id=f"rel-{i:06d}",
                            snapshot={"crm": {"name": f"Relation {i}"}, "fingerprint": f"f{i}"},
                            remote_version="1",
                        )
                        for i in range(first, min(first + 500, LINKS))
                    ]
                )
        return pg_schema.options_dsn, store.namespace


@pytest.mark.parametrize("lookup", ["links", "fingerprints_of"])
def test_a_chunk_look_up_reads_only_the_links_asked_for(
    filled: tuple[str, str], lookup: str
) -> None:
    import psycopg
    from psycopg.rows import dict_row

    from finlink.sync.store import _postgres_lookups as lookups

    dsn, namespace = filled
    keys = [f"crm-{i:06d}" for i in range(1000, 1128)] + ["crm-not-linked"]
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cursor:
        # At 3,000 small rows reading the whole table is cheapest; at a real tenant's size it
        # is not. Forbidding it (the planner still scans where nothing else serves) shows what
        # the index is used for: the listed keys, or the administration's whole range.
        cursor.execute("SET enable_seqscan = off")
        explaining = _Explaining(cursor)
        conn_ = cast("Any", explaining)
        if lookup == "links":
            found: Any = lookups.links(conn_, namespace, ADM, "relation", keys)
            assert sorted(found) == keys[:-1]
        else:
            found = lookups.fingerprints_of(conn_, namespace, ADM, "relation", keys)
            assert sorted(row[0] for row in found) == keys[:-1]
            assert {row[3] for row in found} == {f"f{i}" for i in range(1000, 1128)}
    (plan,) = explaining.plans
    read, nodes = _rows_read(plan)
    # 128 links asked for (and one key without a link): at most those are read, not 3,000.
    assert read <= len(keys), (read, nodes)
    assert "Seq Scan" not in nodes, nodes
