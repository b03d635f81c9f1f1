"""Fixtures for the command-line tests: a configuration on memory backends and a runner."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from finlink.backends import Backend
from finlink.backends.memory import InMemoryBackend
from finlink.cli import main
from finlink.cli.config import AdministrationConfig
from finlink.cli.state import CliState
from finlink.serialization import to_dict
from finlink.sync import SQLiteStore
from finlink.sync.store import Link

TWO_ADMINISTRATIONS = """\
state_store = "state.db"

[administrations.bv]
backend = "memory"
name = "Demo B.V."

[administrations.stichting]
backend = "memory"
"""


class Cli:
    """Runs ``finlink`` in a temporary folder, on memory backends kept between invocations."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.config = folder / "finlink.toml"
        self.config.write_text(TWO_ADMINISTRATIONS, encoding="utf-8")
        self.backends: dict[str, InMemoryBackend] = {}
        self.environ: dict[str, str] = {}
        self.options: dict[str, dict[str, Any]] = {}

    def factory(self, administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
        self.options[administration.name] = options
        if administration.name not in self.backends:
            plain = {k: v for k, v in options.items() if k in ("name",)}
            self.backends[administration.name] = InMemoryBackend(
                administration=administration.name, **plain
            )
        return self.backends[administration.name]

    def backend(self, name: str) -> InMemoryBackend:
        """The memory backend of ``name``, made ahead of the first invocation if needed."""
        return self.backends.setdefault(name, InMemoryBackend(administration=name))

    def state(self) -> CliState:
        return CliState(backend_factory=self.factory, environ=self.environ)

    def invoke(self, *args: str, state: CliState | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(main, ["--config", str(self.config), *args], obj=state or self.state())

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        """Invoke with ``--json`` appended; the exit status and the parsed stdout."""
        result = self.invoke(*args, "--json")
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        return result.exit_code, json.loads(result.stdout)

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def write_records(self, name: str, records: Sequence[object]) -> Path:
        return self.write(name, json.dumps([to_dict(r) for r in records], indent=2))

    def links(self, administration: str, entity: str = "relation") -> list[Link]:
        """The links in the state store ([] when no store was made at all)."""
        db = self.folder / "state.db"
        if not db.exists():
            return []
        with SQLiteStore(db) as store:
            return list(store.links(administration, entity))

    def store(self) -> SQLiteStore:
        return SQLiteStore(self.folder / "state.db")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A ``finlink`` runner with two memory administrations, ``bv`` and ``stichting``."""
    return Cli(tmp_path)


def outcomes_by(data: Mapping[str, Any], entity: str) -> list[tuple[str, str, str]]:
    """(administration, crm key, status) of every outcome of ``entity`` in a report's JSON."""
    return sorted(
        (o["administration"], o["crm_key"], o["status"])
        for o in data["outcomes"]
        if o["entity"] == entity
    )
