"""The configuration file: typed loading, errors that name the key, secrets from the environment."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from finlink.backends import Backend
from finlink.backends.memory import InMemoryBackend
from finlink.cli.config import AdministrationConfig, ConfigError, load_config
from finlink.http import Secret
from tests.cli.conftest import Cli
from tests.cli.records import crm_relation


def _config(cli: Cli, text: str) -> None:
    cli.config.write_text(text, encoding="utf-8")


def test_missing_configuration_file_exits_2_and_says_how_to_give_one(cli: Cli) -> None:
    cli.config.unlink()
    result = cli.invoke("status")
    assert result.exit_code == 2
    assert f"{cli.config}: no such configuration file (give one with --config)" in result.stderr


def test_unknown_backend_exits_2_naming_the_key_and_the_installed_backends(cli: Cli) -> None:
    _config(cli, '[administrations.exact]\nbackend = "exakt"\n')
    result = cli.invoke("status")
    assert result.exit_code == 2
    assert "administrations.exact.backend: unknown backend 'exakt'; installed backends:" in (
        result.stderr
    )
    assert "memory" in result.stderr


def test_missing_secret_variable_exits_2_naming_the_key_and_variable(cli: Cli) -> None:
    _config(cli, '[administrations.bv]\nbackend = "memory"\ntoken_env = "FINLINK_TEST_TOKEN"\n')
    result = cli.invoke("status")
    assert result.exit_code == 2
    assert "administrations.bv.token_env: environment variable FINLINK_TEST_TOKEN is not set" in (
        result.stderr
    )


def test_configuration_errors_come_as_json_with_json(cli: Cli) -> None:
    _config(cli, '[administrations.bv]\nbackend = "memory"\ntoken_env = "FINLINK_TEST_TOKEN"\n')
    result = cli.invoke("status", "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["error"]["kind"] == "configuration"
    assert "administrations.bv.token_env" in data["error"]["message"]


def test_secret_from_the_environment_reaches_the_backend_as_a_secret(cli: Cli) -> None:
    _config(cli, '[administrations.bv]\nbackend = "memory"\ntoken_env = "FINLINK_TEST_TOKEN"\n')
    cli.environ["FINLINK_TEST_TOKEN"] = "s3cr3t-value"
    assert cli.invoke("status").exit_code == 0
    token = cli.options["bv"]["token"]
    assert isinstance(token, Secret)
    assert token.reveal() == "s3cr3t-value"


def test_debug_logs_mask_every_secret_the_configuration_resolved(cli: Cli) -> None:
    _config(cli, '[administrations.bv]\nbackend = "memory"\ntoken_env = "FINLINK_TEST_TOKEN"\n')
    cli.environ["FINLINK_TEST_TOKEN"] = "s3cr3t-value"

    def leaky(administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
        # A careless library logging a credential: the handler's filter must mask it.
        logging.getLogger("finlink.test").debug("using %s", options["token"].reveal())
        return InMemoryBackend(administration=administration.name)

    state = cli.state()
    state.backend_factory = leaky
    result = cli.invoke("-v", "status", state=state)
    assert result.exit_code == 0
    assert "using ***" in result.stderr
    assert "s3cr3t-value" not in result.output


def test_debug_logs_are_off_without_v(cli: Cli) -> None:
    def chatty(administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
        logging.getLogger("finlink.test").debug("making %s", administration.name)
        return InMemoryBackend(administration=administration.name)

    state = cli.state()
    state.backend_factory = chatty
    assert "making" not in cli.invoke("status", state=state).stderr
    state = cli.state()
    state.backend_factory = chatty
    assert "making bv" in cli.invoke("-v", "status", state=state).stderr


def test_a_secret_written_into_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "finlink.toml"
    path.write_text('[administrations.x]\nbackend = "memory"\nclient_secret = "abc"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "administrations.x.client_secret"
    assert 'client_secret_env = "VARIABLE"' in str(caught.value)
    assert "abc" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[administrations]\n", "administrations", "at least one administration"),
        ("[administrations.x]\n", "administrations.x.backend", "is required"),
        (
            'stat_store = "x"\n[administrations.x]\nbackend = "memory"\n',
            "stat_store",
            "not a known key",
        ),
        (
            '[administrations.x]\nbackend = "memory"\n[conflicts]\npolicy = "crm"\n',
            "conflicts.policy",
            "unknown policy 'crm'",
        ),
        (
            '[administrations.x]\nbackend = "memory"\n[conflicts.owners]\niban = "bank"\n',
            "conflicts.owners.iban",
            "owner must be one of crm, accounting, manual",
        ),
        (
            '[administrations.x]\nbackend = "memory"\n[routing]\nrelations_to = ["y"]\n',
            "routing.relations_to[0]",
            "names 'y'",
        ),
        (
            '[administrations.x]\nbackend = "memory"\n[routing]\nfield = "unit"\n',
            "routing.map",
            "is required",
        ),
        (
            '[administrations.x]\nbackend = "memory"\nsync_contacts = "yes"\n',
            "administrations.x.sync_contacts",
            "must be true or false",
        ),
        (
            '[administrations.x]\nbackend = "memory"\n'
            "[administrations.x.ledger_map]\n8000 = 8010\n",
            "administrations.x.ledger_map.8000",
            "must be non-empty text",
        ),
        ("administrations = [\n", "", "is not valid TOML"),
    ],
)
def test_configuration_mistakes_name_their_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    path = tmp_path / "finlink.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key
    assert words in str(caught.value)


def test_full_configuration_is_typed(tmp_path: Path) -> None:
    path = tmp_path / "finlink.toml"
    path.write_text(
        """
state_store = "var/state.db"
[administrations.bv]
backend = "memory"
division = 7
token_store = "tokens.json"
sync_contacts = false
[administrations.bv.ledger_map]
"8000" = "8010"
[administrations.stichting]
backend = "memory"
[routing]
field = "unit"
[routing.map]
company = ["bv"]
foundation = ["stichting"]
[conflicts]
policy = "newest_wins"
[conflicts.owners]
iban = "accounting"
""",
        encoding="utf-8",
    )
    config = load_config(path)
    bv = config.administrations["bv"]
    assert config.state_store == tmp_path / "var" / "state.db"
    assert (bv.options, bv.token_store, bv.sync_contacts) == (
        {"division": 7},
        tmp_path / "tokens.json",
        False,
    )
    assert bv.ledger_map == {"8000": "8010"}
    assert config.routing.map == {"company": ("bv",), "foundation": ("stichting",)}
    assert (config.conflicts.policy, config.conflicts.owners) == (
        "newest_wins",
        {"iban": "accounting"},
    )


def test_a_backend_that_refuses_its_options_exits_2_naming_the_administration(cli: Cli) -> None:
    _config(cli, '[administrations.bv]\nbackend = "memory"\ndivision = 7\n')
    # The real entry point this time: InMemoryBackend takes no ``division``.
    result = cli.invoke("status", state=type(cli.state())(environ={}))
    assert result.exit_code == 2
    assert "administrations.bv: backend 'memory' does not accept this configuration" in (
        result.stderr
    )


def test_routing_by_extra_field_sends_each_relation_to_its_administration(cli: Cli) -> None:
    _config(
        cli,
        'state_store = "state.db"\n'
        '[administrations.bv]\nbackend = "memory"\n'
        '[administrations.stichting]\nbackend = "memory"\n'
        '[routing]\nfield = "unit"\n[routing.map]\ncompany = ["bv"]\nfoundation = ["stichting"]\n',
    )
    relations = cli.write_records(
        "relations.json",
        [crm_relation(0, extra={"unit": "company"}), crm_relation(1, extra={"unit": "foundation"})],
    )
    assert cli.invoke("sync", "--relations", str(relations)).exit_code == 0
    assert [link.crm_key for link in cli.links("bv")] == ["crm-0"]
    assert [link.crm_key for link in cli.links("stichting")] == ["crm-1"]


def test_ledger_map_is_applied_to_bookings(cli: Cli) -> None:
    from tests.cli.records import invoice

    _config(
        cli,
        'state_store = "state.db"\n[administrations.bv]\nbackend = "memory"\n'
        '[administrations.bv.ledger_map]\n"8000" = "8010"\n',
    )
    relations = cli.write_records("relations.json", [crm_relation(0)])
    bookings = cli.write_records("bookings.json", [invoice(1)])
    assert (
        cli.invoke("sync", "--relations", str(relations), "--bookings", str(bookings)).exit_code
        == 0
    )
    (stored,) = cli.backend("bv").stored_bookings()
    assert stored.data.lines[0].ledger_account == "8010"
