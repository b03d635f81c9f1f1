"""The command group: global options, exit statuses, and the library staying free of click."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from finlink.cli import main
from tests.cli.conftest import Cli

SRC = Path(__file__).resolve().parents[2] / "src"


def test_verbose_and_quiet_exclude_each_other(cli: Cli) -> None:
    result = cli.invoke("-v", "-q", "status")
    assert result.exit_code == 2
    assert "-v and -q exclude each other" in result.stderr


def test_version_is_printed() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("finlink, version ")


def test_config_comes_from_finlink_config_variable(cli: Cli) -> None:
    result = CliRunner().invoke(
        main, ["status", "--json"], obj=cli.state(), env={"FINLINK_CONFIG": str(cli.config)}
    )
    assert result.exit_code == 0, result.output


def test_a_state_store_that_cannot_be_opened_is_a_configuration_error(cli: Cli) -> None:
    cli.config.write_text(
        'state_store = "missing-folder/state.db"\n[administrations.bv]\nbackend = "memory"\n'
    )
    result = cli.invoke("status")
    assert result.exit_code == 2
    assert "state_store: cannot open the state store" in result.stderr


def test_only_finlink_cli_imports_click_or_rich() -> None:
    # A static check: importing the library pulls in click anyway when it is installed
    # (httpx imports it for its own command line), so sys.modules cannot tell.
    pattern = re.compile(r"^\s*(import|from)\s+(click|rich)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(SRC))
        for path in (SRC / "finlink").rglob("*.py")
        if "cli" not in path.relative_to(SRC / "finlink").parts[:1]
        and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_python_dash_m_runs_the_command() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "finlink.cli", "--help"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "Usage: finlink" in done.stdout
