"""``finlink demo`` runs without configuration and prints a bookkeeper's summary."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from finlink.cli import main


def test_demo_prints_the_summary(tmp_path: Path) -> None:
    state = tmp_path / "demo.db"
    result = CliRunner().invoke(
        main, ["demo", "--size", "40", "--seed", "2", "--state", str(state)]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "finlink demo: a CRM of" in out
    assert "Exact Online division 1001001" in out
    assert "waiting for review" in out
    assert "API calls:" in out
    assert "At the vendors' real rate limits this sync takes" in out
    assert "[vat_number]" in out  # rule names are shown, not eaten as markup
    assert state.exists()


def test_demo_json_and_a_fresh_state_file(tmp_path: Path) -> None:
    state = tmp_path / "demo.db"
    state.write_text("not a database")  # a leftover is replaced, not reused
    result = CliRunner().invoke(
        main, ["demo", "--size", "30", "--seed", "2", "--state", str(state), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["crm"]["relations"] > 0
    assert [a["administration"] for a in data["administrations"]] == [
        "exact:1001001",
        "exact:1001002",
        "snelstart:installatiebedrijf-demo",
    ]
    assert all(a["relations"]["created"] > 0 for a in data["administrations"])


def test_demo_refuses_a_silly_size() -> None:
    result = CliRunner().invoke(main, ["demo", "--size", "3"])
    assert result.exit_code == 2
    assert "--size" in result.output
