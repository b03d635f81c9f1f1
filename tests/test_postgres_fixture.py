"""The PostgreSQL fixture gives each test an empty schema of its own and removes it."""

from __future__ import annotations

import pytest

from tests.postgres import PgSchema, fresh_schema


def test_each_test_gets_an_empty_schema_reachable_through_the_options_dsn(
    pg_schema: PgSchema,
) -> None:
    import psycopg

    with psycopg.connect(pg_schema.options_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE probe (n int)")
        row = conn.execute(
            "SELECT table_schema, current_setting('application_name') FROM"
            " information_schema.tables WHERE table_name = 'probe'"
        ).fetchone()
    assert row == (pg_schema.name, pg_schema.name)


def test_the_schema_and_its_tables_are_dropped_even_with_a_session_left_open(
    pg_dsn: str,
) -> None:
    import psycopg

    with fresh_schema(pg_dsn) as schema:
        leftover = psycopg.connect(schema.options_dsn)
        leftover.execute("CREATE TABLE probe (n int)")
        leftover.execute("INSERT INTO probe VALUES (1)")  # an open transaction holds a lock
    with psycopg.connect(pg_dsn) as conn:
        found = conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s",
            (schema.name,),
        ).fetchone()
    assert found == (0,)
    # The fixture ended the session that held the lock.
    with pytest.raises(psycopg.OperationalError):
        leftover.execute("SELECT 1")
    leftover.close()
