"""The PostgreSQL state store from the command line: [postgres], `finlink db upgrade`, doctor."""

from __future__ import annotations

from pathlib import Path

import pytest

from finlink.cli.config import ConfigError, FinlinkConfig, load_config
from tests.cli.conftest import Cli
from tests.cli.records import crm_relation
from tests.postgres import PgSchema

ADMINISTRATIONS = """
[administrations.bv]
backend = "memory"

[administrations.stichting]
backend = "memory"
"""


def _use_postgres(cli: Cli, schema: PgSchema, namespace: str = "acme") -> None:
    """Point the configuration at the test's schema, the DSN in an environment variable."""
    cli.environ["FINLINK_DATABASE_URL"] = schema.options_dsn
    cli.write(
        "finlink.toml",
        f'[postgres]\ndsn_env = "FINLINK_DATABASE_URL"\nnamespace = "{namespace}"\n'
        + ADMINISTRATIONS,
    )


# -- the configuration ---------------------------------------------------------------------


def _load(tmp_path: Path, text: str) -> FinlinkConfig:
    path = tmp_path / "finlink.toml"
    path.write_text(text + ADMINISTRATIONS, encoding="utf-8")
    return load_config(path, known_backends={"memory"})


def test_a_postgres_table_names_the_store_and_the_tenant(tmp_path: Path) -> None:
    config = _load(
        tmp_path, '[postgres]\ndsn = "postgresql://finlink@db:5432/finlink"\nnamespace = "acme"\n'
    )
    assert config.postgres is not None
    assert config.postgres.dsn == "postgresql://finlink@db:5432/finlink"
    assert config.postgres.namespace == "acme"
    default = _load(tmp_path, '[postgres]\ndsn_env = "DB"\n')
    assert default.postgres is not None
    assert default.postgres.namespace == "default"
    assert _load(tmp_path, "").postgres is None


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('state_store = "x.db"\n[postgres]\ndsn_env = "DB"\n', "postgres", "two state stores"),
        ("[postgres]\n", "postgres", "needs one of dsn"),
        ('[postgres]\ndsn = "a"\ndsn_env = "DB"\n', "postgres", "needs one of dsn"),
        ('[postgres]\ndsn_env = "DB"\nschema = "x"\n', "postgres.schema", "not a known key"),
        ('[postgres]\ndsn_env = "DB"\nnamespace = ""\n', "postgres.namespace", "non-empty"),
        ('[postgres]\ndsn = "postgresql://u:pw@db/x"\n', "postgres.dsn", "password"),
        ('[postgres]\ndsn = "postgresql://u@db/x?password=pw"\n', "postgres.dsn", "password"),
        ('[postgres]\ndsn = "host=db password=pw dbname=x"\n', "postgres.dsn", "password"),
    ],
)
def test_a_wrong_postgres_table_is_refused_naming_the_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        _load(tmp_path, text)
    assert caught.value.key == key
    assert "pw" not in str(caught.value).replace("password", "")


def test_an_unset_dsn_variable_is_a_setup_error_naming_it(cli: Cli) -> None:
    cli.write("finlink.toml", '[postgres]\ndsn_env = "FINLINK_DATABASE_URL"\n' + ADMINISTRATIONS)
    result = cli.invoke("status")
    assert result.exit_code == 2
    assert "postgres.dsn_env" in result.stderr
    assert "FINLINK_DATABASE_URL is not set" in result.stderr


def test_a_server_that_does_not_answer_is_a_setup_error(cli: Cli) -> None:
    pytest.importorskip("psycopg")
    cli.environ["FINLINK_DATABASE_URL"] = "postgresql://finlink:pw-42@127.0.0.1:1/finlink"
    cli.write("finlink.toml", '[postgres]\ndsn_env = "FINLINK_DATABASE_URL"\n' + ADMINISTRATIONS)
    result = cli.invoke("status")
    assert result.exit_code == 2
    assert "cannot connect" in result.stderr
    assert "finlink@127.0.0.1:1/finlink" in result.stderr
    assert "pw-42" not in result.stderr


# -- every command uses the configured store ---------------------------------------------------


def test_sync_and_status_keep_their_state_in_postgres_under_the_namespace(
    cli: Cli, pg_schema: PgSchema
) -> None:
    from finlink.sync.store import PostgresStore

    _use_postgres(cli, pg_schema)
    relations = cli.write_records("relations.json", [crm_relation(0), crm_relation(1)])
    assert cli.invoke("sync", "--relations", str(relations)).exit_code == 0
    assert not (cli.folder / "finlink.db").exists()
    with PostgresStore(pg_schema.options_dsn, namespace="acme") as store:
        assert [link.crm_key for link in store.links("bv", "relation")] == ["crm-0", "crm-1"]
        store.enqueue("relation", "crm-2", {"id": "crm-2"}, ["bv"])
        assert list(store.for_namespace("default").links("bv", "relation")) == []
    status, data = cli.json("status")
    assert status == 0
    waiting = {a["administration"]: a["outbox_depth"] for a in data["administrations"]}
    assert waiting == {"bv": 1, "stichting": 0}


# -- finlink db upgrade ------------------------------------------------------------------------


def test_db_upgrade_makes_the_postgres_schema_once(cli: Cli, pg_schema: PgSchema) -> None:
    from finlink.sync.store import PostgresStore

    _use_postgres(cli, pg_schema)
    status, data = cli.json("db", "upgrade")
    assert status == 0, data
    needed = PostgresStore.schema_version(pg_schema.options_dsn)[1]
    assert (data["store"], data["from_version"], data["to_version"]) == ("postgres", 0, needed)
    assert "namespace 'acme'" in data["where"]
    result = cli.invoke("db", "upgrade")
    assert result.exit_code == 0
    assert f"at schema version {needed} already" in result.stdout
    PostgresStore(pg_schema.options_dsn, migrate=False).close()  # current: opens without migrating


def test_db_upgrade_refuses_a_schema_from_a_newer_finlink(cli: Cli, pg_schema: PgSchema) -> None:
    import psycopg

    _use_postgres(cli, pg_schema)
    assert cli.invoke("db", "upgrade").exit_code == 0
    with psycopg.connect(pg_schema.options_dsn, autocommit=True) as conn:
        conn.execute("UPDATE finlink_schema_version SET version = version + 1")
    result = cli.invoke("db", "upgrade")
    assert result.exit_code == 2
    assert "newer finlink" in result.stderr


def test_db_upgrade_on_sqlite_makes_the_file(cli: Cli) -> None:
    status, data = cli.json("db", "upgrade")
    assert status == 0, data
    assert data["store"] == "sqlite"
    assert data["from_version"] == 0
    assert data["to_version"] >= 1
    assert (cli.folder / "state.db").exists()
    status, data = cli.json("db", "upgrade")
    assert data["from_version"] == data["to_version"]


# -- finlink doctor ------------------------------------------------------------------------------


def _store_finding(cli: Cli) -> tuple[int, dict[str, str]]:
    status, data = cli.json("doctor")
    [finding] = [f for f in data["findings"] if f["check"] == "state store"]
    return status, finding


def test_doctor_checks_the_database_and_its_schema(cli: Cli, pg_schema: PgSchema) -> None:
    import psycopg

    _use_postgres(cli, pg_schema)
    status, finding = _store_finding(cli)
    assert status == 0
    assert finding["severity"] == "warning"
    assert "no finlink tables yet" in finding["message"]
    assert "finlink db upgrade" in finding["fix"]
    assert cli.invoke("db", "upgrade").exit_code == 0
    status, finding = _store_finding(cli)
    assert (status, finding["severity"]) == (0, "ok")
    assert "(current)" in finding["message"]
    with psycopg.connect(pg_schema.options_dsn, autocommit=True) as conn:
        conn.execute("UPDATE finlink_schema_version SET version = version + 1")
    status, finding = _store_finding(cli)
    assert (status, finding["severity"]) == (1, "problem")
    assert "newer finlink" in finding["message"]


def test_doctor_reports_a_database_that_does_not_answer(cli: Cli) -> None:
    pytest.importorskip("psycopg")
    cli.environ["FINLINK_DATABASE_URL"] = "postgresql://finlink@127.0.0.1:1/finlink"
    cli.write("finlink.toml", '[postgres]\ndsn_env = "FINLINK_DATABASE_URL"\n' + ADMINISTRATIONS)
    status, finding = _store_finding(cli)
    assert status == 1
    assert finding["severity"] == "problem"
    assert "cannot connect" in finding["message"]
    assert "PGPASSWORD" in finding["fix"]
