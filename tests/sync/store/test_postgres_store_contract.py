"""The state-store conformance suite, run against PostgresStore on a real server."""

from __future__ import annotations

from pathlib import Path

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


class TestPostgresStoreWithSmallPagesInAnotherNamespace(StateStoreContract):
    """Seven rows a page, a tenant other than the default, and a pool the test lends."""

    @pytest.fixture(autouse=True)
    def _schema(self, pg_schema: PgSchema) -> None:
        self.schema = pg_schema

    def make_store(self, tmp_path: Path, clock: SimulatedClock) -> StateStore:
        from finlink.sync.store import PostgresStore

        return PostgresStore(
            self.schema.options_dsn, clock=clock, namespace="tenant-b", page_size=7, max_size=2
        )
