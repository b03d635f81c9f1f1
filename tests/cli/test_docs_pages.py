"""docs/configuration.md and docs/cli.md stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from finlink.cli import main
from finlink.cli.config import load_config, resolve_backend_options
from finlink.http import FileTokenStore, Secret

DOCS = Path(__file__).resolve().parents[2] / "docs"
_TOML = re.compile(r"^```toml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _toml_blocks() -> list[str]:
    return _TOML.findall((DOCS / "configuration.md").read_text(encoding="utf-8"))


def test_the_full_example_of_the_configuration_page_loads(tmp_path: Path) -> None:
    path = tmp_path / "finlink.toml"
    path.write_text(_toml_blocks()[0], encoding="utf-8")
    config = load_config(path, known_backends={"exact", "snelstart", "memory"})
    assert list(config.administrations) == ["bv", "stichting"]
    assert config.state_store == tmp_path / "var" / "finlink-state.db"
    assert config.routing.field == "unit"
    assert config.routing.map["shared"] == ("bv", "stichting")
    assert config.conflicts.owners["iban"] == "accounting"
    bv, stichting = config.administrations.values()
    assert bv.ledger_map == {"8000": "8001", "4000": "4010"}
    environ = {
        "EXACT_CLIENT_SECRET": "exact-secret",
        "SNELSTART_KOPPELSLEUTEL": "key",
        "SNELSTART_SUBSCRIPTION_KEY": "sub",
    }
    (tmp_path / "tokens").mkdir()
    options, secrets = resolve_backend_options(config, bv, environ)
    assert options["client_secret"] == Secret("exact-secret")
    assert isinstance(options["token_store"], FileTokenStore)
    assert options["division"] == 1234567
    options, secrets = resolve_backend_options(config, stichting, environ)
    assert set(options) == {"administration", "koppelsleutel", "subscription_key"}
    assert [s.reveal() for s in secrets] == ["key", "sub"]


def test_the_memory_example_of_the_configuration_page_loads(tmp_path: Path) -> None:
    path = tmp_path / "finlink.toml"
    path.write_text(_toml_blocks()[1], encoding="utf-8")
    assert load_config(path).administrations["demo"].backend == "memory"


def _commands(group: click.Group, prefix: str = "finlink") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


@pytest.mark.parametrize(("path", "command"), _commands(main), ids=str)
def test_every_command_and_option_is_documented_with_an_example(
    path: str, command: click.Command
) -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"`{path}" in page, f"no section for {path}"
    assert f"$ {path}" in page, f"no example of {path}"
    for param in command.params:
        if isinstance(param, click.Option):
            longest = max(param.opts, key=len)
            assert f"`{longest}" in page, f"{path} {longest} is not documented"


def test_global_options_are_documented() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    for param in main.params:
        if isinstance(param, click.Option):
            assert f"`{max(param.opts, key=len)}" in page
