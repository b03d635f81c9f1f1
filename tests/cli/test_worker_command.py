"""``finlink worker``: drains every tenant's outbox; ``[shared]`` wires the PostgreSQL budget."""

from __future__ import annotations

import json
from pathlib import Path

from finlink.http import PostgresRateLimitState, PostgresTokenStore
from finlink.sync import SQLiteStore, SyncEngine
from finlink.testing.datasets import relations
from tests.cli.conftest import Cli
from tests.postgres import PgSchema

TENANT = """\
state_store = "{name}.db"

[administrations.{name}-adm]
backend = "memory"
"""


def _tenant(cli: Cli, name: str, count: int) -> Path:
    config = cli.write(f"{name}.toml", TENANT.format(name=name))
    engine = SyncEngine(
        store=SQLiteStore(cli.folder / f"{name}.db"), backends=[cli.backend(f"{name}-adm")]
    )
    for relation in relations(count, seed=count, id_prefix=f"{name}-"):
        engine.notify(relation)
    engine.store.close()
    return config


def test_the_worker_drains_every_tenant_and_stops_when_idle(cli: Cli) -> None:
    acme = _tenant(cli, "acme", 7)
    globex = _tenant(cli, "globex", 3)
    beat = cli.folder / "beat.json"
    result = cli.invoke(
        "worker",
        "--tenant",
        f"acme={acme}",
        "--tenant",
        f"globex={globex}",
        "--until-idle",
        "--idle",
        "0.05",
        "--heartbeat",
        str(beat),
    )
    assert result.exit_code == 0, result.output
    assert len(cli.backend("acme-adm").stored_relations()) == 7
    assert len(cli.backend("globex-adm").stored_relations()) == 3
    health = json.loads(beat.read_text())
    assert health["state"] == "stopped"
    assert health["processed"] == 10
    assert "stopped after 10 change(s)" in result.stderr


def test_a_tenant_given_wrongly_is_a_usage_error(cli: Cli) -> None:
    result = cli.invoke("worker", "--tenant", "no-equals-sign", "--until-idle")
    assert result.exit_code == 2
    assert "NAME=CONFIG" in result.output


def test_a_postgres_store_gives_exact_and_snelstart_the_shared_budget_and_tokens(
    cli: Cli, pg_schema: PgSchema
) -> None:
    cli.config.write_text(
        '[administrations.snel]\nbackend = "snelstart"\n'
        'koppelsleutel_env = "KEY"\nsubscription_key_env = "SUB"\n\n'
        '[administrations.mem]\nbackend = "memory"\n\n'
        '[postgres]\ndsn_env = "FINLINK_DB"\nnamespace = "acme"\n',
        encoding="utf-8",
    )
    cli.environ.update(KEY="k", SUB="s", FINLINK_DB=pg_schema.options_dsn)
    status, data = cli.json("status")
    assert status == 0, data
    options = cli.options["snel"]
    assert isinstance(options["rate_limit_state"], PostgresRateLimitState)
    assert isinstance(options["token_store"], PostgresTokenStore)
    assert options["rate_limit_state"].namespace == "acme"
    assert "rate_limit_state" not in cli.options["mem"]
