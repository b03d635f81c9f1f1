"""``finlink`` on an Exact Online sandbox, and on a SnelStart stand-in (a memory backend)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from finlink.backends import Backend
from finlink.backends.exact import ExactBackend, exact_from_config
from finlink.backends.memory import InMemoryBackend
from finlink.backends.reference import ReferenceData
from finlink.cli import config as cli_config
from finlink.cli import main
from finlink.cli.config import AdministrationConfig
from finlink.cli.state import CliState
from finlink.clock import SimulatedClock
from finlink.http import FileTokenStore, TokenSet
from finlink.testing import ExactSandbox
from tests.cli.conftest import Cli

DIVISION = 1234567
OTHER_DIVISION = 1234568
SECRET_VARIABLE = "EXACT_CLIENT_SECRET"


class ExactCli:
    """Runs ``finlink`` on one Exact administration ``bv`` served by ``sandbox``.

    Args:
        folder: Where the configuration and token file go.
        sandbox: The Exact Online emulator.
        transport: How the backends reach it (None: real HTTP, for a served sandbox).
        ledger_map: The administration's ledger_map.
    """

    def __init__(
        self,
        folder: Path,
        sandbox: ExactSandbox,
        *,
        transport: httpx.BaseTransport | None,
        ledger_map: dict[str, str] | None = None,
        token_store: bool = True,
    ) -> None:
        self.folder = folder
        self.sandbox = sandbox
        self.transport = transport
        self.config = folder / "finlink.toml"
        self.tokens = folder / "tokens.json"
        self.environ = {SECRET_VARIABLE: sandbox.app.client_secret}
        self.made: list[ExactBackend] = []
        self.options_seen: list[dict[str, Any]] = []
        mapping = "".join(f'"{k}" = "{v}"\n' for k, v in (ledger_map or {}).items())
        store = 'token_store = "tokens.json"\n' if token_store else ""
        self.config.write_text(
            'state_store = "state.db"\n\n'
            "[administrations.bv]\n"
            'backend = "exact"\n'
            f"division = {DIVISION}\n"
            f'client_id = "{sandbox.app.client_id}"\n'
            f'client_secret_env = "{SECRET_VARIABLE}"\n'
            f'redirect_uri = "{sandbox.app.redirect_uri}"\n'
            f'host = "{sandbox.base_url}"\n'
            f"{store}\n"
            "[administrations.bv.ledger_map]\n"
            f"{mapping}",
            encoding="utf-8",
        )

    @property
    def clock(self) -> SimulatedClock:
        clock = self.sandbox.clock
        assert isinstance(clock, SimulatedClock)
        return clock

    def factory(self, administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
        self.options_seen.append(dict(options))
        backend = exact_from_config(**options, transport=self.transport, clock=self.sandbox.clock)
        self.made.append(backend)
        return backend

    def invoke(self, *args: str) -> Result:
        state = CliState(backend_factory=self.factory, environ=self.environ)
        return CliRunner().invoke(main, ["--config", str(self.config), *args], obj=state)

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = self.invoke(*args, "--json")
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        return result.exit_code, json.loads(result.stdout)

    def connect(self, divisions: list[int] | None = None) -> None:
        """Consent (to ``divisions``, default: the configured one) and store the tokens."""
        result = self.invoke(
            "auth",
            "exact",
            "bv",
            "--code",
            self.sandbox.authorize(divisions=divisions or [DIVISION]),
        )
        assert result.exit_code == 0, result.output

    def stored(self) -> TokenSet | None:
        return FileTokenStore(self.tokens).load("exact") if self.tokens.exists() else None


def sandbox_on_clock() -> ExactSandbox:
    """A sandbox on a simulated clock."""
    return ExactSandbox(SimulatedClock())


SNELSTART_CONFIG = """\
[administrations.shop]
backend = "snelstart"
administration = "Shop B.V."
koppelsleutel_env = "SNELSTART_KOPPELSLEUTEL"
subscription_key_env = "SNELSTART_SUBSCRIPTION_KEY"
token_store = "tokens.json"
"""


class SnelStartStandIn:
    """Configuration for ``backend = "snelstart"`` served by a memory backend stand-in."""

    def __init__(
        self,
        cli: Cli,
        monkeypatch: pytest.MonkeyPatch,
        reference_data: ReferenceData | None = None,
    ) -> None:
        # The SnelStart entry point may not be installed: let the configuration name it.
        monkeypatch.setattr(
            cli_config, "available_backends", lambda: ("exact", "memory", "snelstart")
        )
        cli.write("finlink.toml", SNELSTART_CONFIG)
        cli.environ.update(
            {"SNELSTART_KOPPELSLEUTEL": "key", "SNELSTART_SUBSCRIPTION_KEY": "subscription"}
        )
        self.backend = InMemoryBackend(administration="shop", reference_data=reference_data)
        self.options: dict[str, Any] = {}
        self.cli = cli

    def factory(self, administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
        self.options = options
        return self.backend

    def invoke(self, *args: str) -> Result:
        state = self.cli.state()
        state.backend_factory = self.factory
        return self.cli.invoke(*args, state=state)
