"""Progress bars: per record on a terminal, never with ``-q`` or when stderr is not a terminal."""

from __future__ import annotations

import pytest

from finlink.cli.config import load_config
from finlink.cli.engine_setup import build_engine
from tests.cli.conftest import Cli
from tests.cli.records import crm_relation, invoice


def test_the_router_reports_every_record_the_engine_syncs(cli: Cli) -> None:
    engine, router = build_engine(load_config(cli.config), environ={}, backend_factory=cli.factory)
    seen: list[int] = []
    router.on_record = lambda: seen.append(1)
    with engine.store:
        engine.sync_relations([crm_relation(i) for i in range(3)])
        engine.sync_bookings([invoice(1, relation_id="crm-1")])
    assert len(seen) == 4


def test_progress_is_drawn_on_a_terminal(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats stderr as a terminal
    relations = cli.write_records("relations.json", [crm_relation(0), crm_relation(1)])
    result = cli.invoke("sync", "--relations", str(relations))
    assert result.exit_code == 0
    assert "relations" in result.stderr
    assert "2/2" in result.stderr


def test_quiet_turns_progress_off_even_on_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    relations = cli.write_records("relations.json", [crm_relation(0)])
    result = cli.invoke("-q", "sync", "--relations", str(relations))
    assert result.exit_code == 0
    assert result.stderr == ""


def test_no_progress_when_stderr_is_not_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    relations = cli.write_records("relations.json", [crm_relation(0)])
    result = cli.invoke("sync", "--relations", str(relations))
    assert result.exit_code == 0
    assert result.stderr == ""
