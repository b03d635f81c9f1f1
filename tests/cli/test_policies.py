"""The conflict policy and field owners of the configuration file reach the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.cli.conftest import Cli, outcomes_by
from tests.cli.records import crm_relation

CRM_IBAN = "NL02ABNA0123456789"
ACCOUNTANT_IBAN = "NL20INGB0001234567"


def _conflict(cli: Cli, conflicts: str) -> tuple[int, dict[str, Any], str]:
    """Both sides change the IBAN after a first sync; returns the second sync's result."""
    cli.config.write_text(
        f'state_store = "state.db"\n[administrations.bv]\nbackend = "memory"\n{conflicts}'
    )
    relation = crm_relation(0, iban="NL91ABNA0417164300")
    first = cli.write_records("relations.json", [relation])
    assert cli.invoke("sync", "--relations", str(first)).exit_code == 0
    (remote,) = cli.backend("bv").stored_relations()
    cli.backend("bv").edit_relation(remote.remote_id, iban=ACCOUNTANT_IBAN)
    second = cli.write_records("relations2.json", [attrs.evolve(relation, iban=CRM_IBAN)])
    status, data = cli.json("sync", "--relations", str(second))
    return status, data, remote.remote_id


def test_manual_policy_sends_the_conflict_to_review(cli: Cli) -> None:
    status, data, remote_id = _conflict(cli, '[conflicts]\npolicy = "manual"\n')
    assert status == 1
    assert outcomes_by(data, "relation") == [("bv", "crm-0", "review")]
    assert cli.backend("bv").get_relation(remote_id).data.iban == ACCOUNTANT_IBAN
    assert cli.json("review")[1]["reviews"][0]["crm_key"] == "crm-0"


@pytest.mark.parametrize(
    ("conflicts", "kept"),
    [
        ("", CRM_IBAN),
        ('[conflicts]\npolicy = "accounting_wins"\n', ACCOUNTANT_IBAN),
        ('[conflicts.owners]\niban = "accounting"\n', ACCOUNTANT_IBAN),
        ('[conflicts]\npolicy = "accounting_wins"\n[conflicts.owners]\niban = "crm"\n', CRM_IBAN),
    ],
)
def test_the_configured_owner_of_a_field_wins(cli: Cli, conflicts: str, kept: str) -> None:
    status, data, remote_id = _conflict(cli, conflicts)
    assert status == 0
    assert cli.backend("bv").get_relation(remote_id).data.iban == kept
    inbound = [dict(change["fields"]) for change in data["inbound"]]
    assert ({"iban": ACCOUNTANT_IBAN} in inbound) == (kept == ACCOUNTANT_IBAN)


def test_token_store_reaches_the_backend_as_a_file_token_store(cli: Cli) -> None:
    (cli.folder / "tokens").mkdir()
    cli.config.write_text(
        '[administrations.bv]\nbackend = "memory"\ntoken_store = "tokens/bv.json"\n'
    )
    assert cli.invoke("status").exit_code == 0
    store = cli.options["bv"]["token_store"]
    assert Path(store.path) == cli.folder / "tokens" / "bv.json"


def test_a_token_store_in_a_missing_folder_names_the_key(cli: Cli) -> None:
    cli.config.write_text(
        '[administrations.bv]\nbackend = "memory"\ntoken_store = "nowhere/bv.json"\n'
    )
    result = cli.invoke("status")
    assert result.exit_code == 2
    assert "administrations.bv.token_store: token file folder" in result.stderr


def test_a_conflict_decided_per_field_on_the_command_line_is_written_by_the_next_sync(
    cli: Cli,
) -> None:
    status, _, remote_id = _conflict(cli, '[conflicts]\npolicy = "manual"\n')
    assert status == 1
    (item,) = cli.json("review")[1]["reviews"]
    refused = cli.invoke("review", "resolve", str(item["id"]), "--field", "iban=both")
    assert refused.exit_code == 2
    assert "choices['iban']: must be 'crm' or 'accounting'" in refused.stderr
    decided = cli.invoke("review", "resolve", str(item["id"]), "--field", "iban=crm")
    assert decided.exit_code == 0, decided.stderr
    assert "the next sync writes the chosen values (iban: crm)" in decided.stdout
    again = cli.write_records("relations3.json", [attrs.evolve(crm_relation(0), iban=CRM_IBAN)])
    status, data = cli.json("sync", "--relations", str(again))
    assert status == 0, data
    assert cli.backend("bv").get_relation(remote_id).data.iban == CRM_IBAN
    assert cli.json("review")[1]["reviews"] == []
