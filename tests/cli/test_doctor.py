"""``finlink doctor`` on the Exact sandbox: each problem found, explained, and the exit status."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from finlink.backends.reference import ReferenceData, VatCode
from finlink.testing import ExactSandbox
from tests.cli.conftest import Cli
from tests.cli.exact_cli import (
    DIVISION,
    OTHER_DIVISION,
    SECRET_VARIABLE,
    ExactCli,
    SnelStartStandIn,
    sandbox_on_clock,
)


def _with_eu_services(sandbox: ExactSandbox) -> ExactSandbox:
    """Give the division the VAT code the default seed lacks (intra-EU services)."""
    sandbox.seed(
        DIVISION,
        "vat/VATCodes",
        Code="08",
        Description="Diensten binnen de EU",
        Percentage=0,
        Type="E",
        VATTransactionType="S",
        EUSalesListing="S",
    )
    return sandbox


def _findings(data: dict[str, Any], severity: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["severity"] == severity]


def _healthy(tmp_path: Path, **kwargs: Any) -> ExactCli:
    sandbox = _with_eu_services(sandbox_on_clock())
    cli = ExactCli(
        tmp_path, sandbox, transport=sandbox.transport(), ledger_map={"8000": "8000"}, **kwargs
    )
    cli.connect()
    return cli


def test_doctor_exits_0_when_all_is_well_and_reports_the_budget_left(tmp_path: Path) -> None:
    cli = _healthy(tmp_path)
    status, data = cli.json("doctor")
    assert status == 0, data
    assert data["ok"] is True
    assert data["problems"] == 0
    checks = {f["check"] for f in _findings(data, "ok")}
    assert {"configuration", "credentials", "tokens", "access", "ledger", "vat"} <= checks
    (budget,) = [f for f in data["findings"] if f["check"] == "rate budget"]
    assert budget["message"].endswith("of 5000 calls left today")
    # Belgium's 12 % rate is missing from a Dutch division: a warning, not a problem.
    (warning,) = _findings(data, "warning")
    assert "intermediate" in warning["message"]


def test_doctor_text_says_all_is_well(tmp_path: Path) -> None:
    result = _healthy(tmp_path).invoke("doctor")
    assert result.exit_code == 0, result.output
    assert "All is well" in result.stdout


def test_doctor_reports_an_unset_secret_variable_and_how_to_set_it(tmp_path: Path) -> None:
    cli = _healthy(tmp_path)
    del cli.environ[SECRET_VARIABLE]
    status, data = cli.json("doctor")
    assert status == 1
    (problem,) = _findings(data, "problem")
    assert problem["administration"] == "bv"
    assert problem["check"] == "credentials"
    assert f"environment variable {SECRET_VARIABLE}" in problem["message"]
    assert f"export {SECRET_VARIABLE}=" in problem["fix"]
    assert "client_secret_env" in problem["fix"]


def test_doctor_reports_an_expired_refresh_token_and_says_to_consent_again(
    tmp_path: Path,
) -> None:
    cli = _healthy(tmp_path)
    cli.clock.advance(days=31)  # §1.3: a refresh token unused for 30 days dies
    status, data = cli.json("doctor")
    assert status == 1
    (problem,) = _findings(data, "problem")
    assert problem["check"] == "tokens"
    assert "refresh token expired on" in problem["message"]
    assert "`finlink auth exact bv`" in problem["fix"]


def test_doctor_warns_when_the_refresh_token_is_about_to_die(tmp_path: Path) -> None:
    cli = _healthy(tmp_path)
    cli.clock.advance(days=27)
    status, data = cli.json("doctor")
    # The doctor's own call refreshes the tokens, but it warns about what it found.
    assert status == 0
    assert any("dies on" in f["message"] for f in _findings(data, "warning"))


def test_doctor_reports_tokens_never_stored(tmp_path: Path) -> None:
    sandbox = sandbox_on_clock()
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    status, data = cli.json("doctor")
    assert status == 1
    (problem,) = _findings(data, "problem")
    assert "no Exact Online tokens are stored yet" in problem["message"]
    assert "finlink auth exact bv" in problem["fix"]


def test_doctor_reports_a_division_not_consented_and_which_to_tick(tmp_path: Path) -> None:
    sandbox = _with_eu_services(sandbox_on_clock())
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    cli.connect(divisions=[OTHER_DIVISION])  # the user ticked the other division only
    status, data = cli.json("doctor")
    assert status == 1
    (problem,) = _findings(data, "problem")
    assert problem["check"] == "access"
    assert f"division {DIVISION}" in problem["message"]
    assert "not among the divisions consented to" in problem["message"]
    assert f"tick division {DIVISION}" in problem["fix"]


def test_doctor_reports_each_unmapped_vat_category(tmp_path: Path) -> None:
    sandbox = sandbox_on_clock()  # the default seed has no code for intra-EU services
    cli = ExactCli(tmp_path, sandbox, transport=sandbox.transport())
    cli.connect()
    status, data = cli.json("doctor")
    assert status == 1
    (problem,) = _findings(data, "problem")
    assert problem["check"] == "vat"
    assert "VAT category eu_services maps to no VAT code" in problem["message"]
    assert "create a VAT code for eu_services" in problem["fix"]


def test_doctor_reports_an_unknown_ledger_code_and_the_key_to_fix(tmp_path: Path) -> None:
    sandbox = _with_eu_services(sandbox_on_clock())
    cli = ExactCli(
        tmp_path,
        sandbox,
        transport=sandbox.transport(),
        ledger_map={"8000": "8000", "4000": "9999"},
    )
    cli.connect()
    status, data = cli.json("doctor")
    assert status == 1
    (problem,) = _findings(data, "problem")
    assert problem["check"] == "ledger"
    assert "no ledger account 9999" in problem["message"]
    assert "administrations.bv.ledger_map.4000" in problem["fix"]


def test_doctor_text_prints_each_problem_with_what_to_do(tmp_path: Path) -> None:
    cli = _healthy(tmp_path)
    del cli.environ[SECRET_VARIABLE]
    result = cli.invoke("doctor")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    problem = next(i for i, line in enumerate(lines) if "PROBLEM" in line)
    assert SECRET_VARIABLE in lines[problem]
    assert "what to do: set" in lines[problem + 1]
    assert "1 problem(s)" in result.stdout


def test_doctor_exits_2_when_the_configuration_cannot_be_loaded(cli: Cli) -> None:
    cli.write("finlink.toml", "[administrations.bv]\nbackend = 'exakt'\n")
    status, data = cli.json("doctor")
    assert status == 2
    assert data["ok"] is False
    assert "unknown backend 'exakt'" in data["error"]["message"]


def test_doctor_on_memory_administrations_finds_nothing_wrong(cli: Cli) -> None:
    status, data = cli.json("doctor")
    assert status == 0, data
    assert {f["administration"] for f in data["findings"]} == {None, "bv", "stichting"}


def test_doctor_reports_a_missing_state_store_folder(cli: Cli) -> None:
    cli.write(
        "finlink.toml",
        'state_store = "nowhere/state.db"\n[administrations.bv]\nbackend = "memory"\n',
    )
    status, data = cli.json("doctor")
    assert status == 1
    (problem,) = _findings(data, "problem")
    assert problem["check"] == "state store"
    assert "create" in problem["fix"]


def test_doctor_never_prints_the_secret_even_with_debug_logs(tmp_path: Path) -> None:
    cli = _healthy(tmp_path)
    result = cli.invoke("-v", "doctor")
    assert result.exit_code == 0, result.output
    assert cli.environ[SECRET_VARIABLE] not in result.output
    assert cli.environ[SECRET_VARIABLE] not in result.stderr


def _btw(*soorten: str) -> ReferenceData:
    return ReferenceData(
        vat_codes=tuple(
            VatCode(code=soort, description=soort, rate=Decimal("0.21")) for soort in soorten
        )
    )


def test_doctor_on_snelstart_counts_zero_rated_categories_as_served_by_geen(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SnelStart books every zero-rated treatment with line btw-soort Geen (snelstart.md §3.5).
    stand_in = SnelStartStandIn(cli, monkeypatch, reference_data=_btw("Hoog", "Laag", "Geen"))
    result = stand_in.invoke("doctor", "--json")
    assert result.exit_code == 0, result.output
    assert '"problems": 0' in result.stdout


def test_doctor_on_snelstart_without_geen_reports_every_zero_rated_category(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = SnelStartStandIn(cli, monkeypatch, reference_data=_btw("Hoog", "Laag"))
    result = stand_in.invoke("doctor", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    unmapped = {f["message"].split()[2] for f in _findings(data, "problem")}
    assert unmapped == {"zero", "exempt", "reverse_charge", "eu_goods", "eu_services", "non_eu"}
