"""PostgreSQL for the tests: a real server, each test in a schema of its own.

Tests that need PostgreSQL take the ``pg_schema`` fixture (or ``pg_dsn`` for the server alone).
The server is found through ``FINLINK_TEST_POSTGRES_DSN`` (default: the CI machine's
``postgresql://postgres@127.0.0.1:5432/test``). Where no server answers, or psycopg is not
installed, the tests skip with the reason, except when ``FINLINK_REQUIRE_POSTGRES=1`` (set by
``.ci/run``): then they fail, so CI cannot go green by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import pytest

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@attrs.frozen(kw_only=True)
class PgSchema:
    """A schema made for one test, dropped with everything in it when the test ends."""

    dsn: str
    name: str

    @property
    def options_dsn(self) -> str:
        """The DSN with ``search_path`` set to this schema (for code that takes a plain DSN).

        Its ``application_name`` is the schema's name, so the fixture can end the sessions a
        test left behind (a killed worker's) before it drops the schema.
        """
        separator = "&" if "?" in self.dsn else "?"
        return (
            f"{self.dsn}{separator}options=-csearch_path%3D{self.name}&application_name={self.name}"
        )


def _unavailable(reason: str) -> None:
    if os.environ.get("FINLINK_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"FINLINK_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The DSN of a PostgreSQL server that answers; skips (or fails under CI) otherwise."""
    dsn = os.environ.get("FINLINK_TEST_POSTGRES_DSN", DEFAULT_DSN)
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'finlink[postgres]')")
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        _unavailable(f"no PostgreSQL server answers at {dsn}: {exc}".strip())
    return dsn


@contextmanager
def fresh_schema(dsn: str) -> Iterator[PgSchema]:
    """Make an empty schema, yield it, and drop it (CASCADE) with everything in it."""
    import psycopg

    name = f"finlink_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield PgSchema(dsn=dsn, name=name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            # Sessions of the test may still hold locks (a killed worker's connection): end
            # those named after the schema first, and never let the DROP wait forever.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND application_name = %s",
                (name,),
            )
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def pg_schema(pg_dsn: str) -> Iterator[PgSchema]:
    """A fresh, empty schema for this test, dropped (CASCADE) afterwards."""
    with fresh_schema(pg_dsn) as schema:
        yield schema
