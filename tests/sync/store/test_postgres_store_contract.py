"""The state-store conformance suite, run against PostgresStore on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finlink.clock import SimulatedClock
from finlink.sync.store import StateStore
from finlink.testing.store_contract import StateStoreContract
from tests.postgres import PgSchema


class TestPostgresStore(StateStoreContract):
    @pytest.fixture(autouse=True)
    def _schema(self, pg_schema: PgSchema) -> None:
        self.schema = pg_schema

    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        from finlink.sync.store import PostgresStore

        return PostgresStore(self.schema.options_dsn, clock=clock)


class TestPostgresStoreOnALentPoolWithSmallPagesInAnotherNamespace(StateStoreContract):
    """Seven rows a page, a tenant other than the default, and a pool the test lends.

    The lent pool's connections are not in autocommit mode (psycopg's default), so the
    store's statements run in the transactions psycopg opens, committed as the pool takes
    each connection back.
    """

    @pytest.fixture(autouse=True)
    def _pool(self, pg_schema: PgSchema) -> Iterator[None]:
        from psycopg_pool import ConnectionPool

        with ConnectionPool(pg_schema.options_dsn, min_size=1, max_size=2) as pool:
            self.pool: Any = pool
            yield

    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        from finlink.sync.store import PostgresStore

        return PostgresStore(self.pool, clock=clock, namespace="tenant-b", page_size=7)
