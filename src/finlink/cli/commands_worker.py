"""``finlink worker``: send what waits in the outbox, for one tenant or many, until SIGTERM."""

from __future__ import annotations

import os
from pathlib import Path

import click

from finlink.cli.config import load_config
from finlink.cli.engine_setup import build_engine
from finlink.cli.state import CliState, pass_state
from finlink.sync import HealthServer, SyncEngine, Worker

__all__ = ["worker"]


def _tenants(state: CliState, given: tuple[str, ...]) -> dict[str, Path]:
    if not given:
        return {"default": state.config_path}
    tenants: dict[str, Path] = {}
    for item in given:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise click.BadParameter(f"{item!r} is not NAME=CONFIG", param_hint="--tenant")
        if name in tenants:
            raise click.BadParameter(f"tenant {name!r} is given twice", param_hint="--tenant")
        tenants[name.strip()] = Path(path.strip())
    return tenants


@click.command()
@click.option(
    "--tenant",
    "tenant_configs",
    multiple=True,
    metavar="NAME=CONFIG",
    help="A tenant and its configuration file; repeat for each (default: --config alone).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Entries of one tenant per turn before the next tenant's turn.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Tenants served at once by this process.",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds an entry stays this worker's (after a SIGKILL: until another takes it).",
)
@click.option(
    "--idle",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="Seconds before a tenant with nothing to send is asked again.",
)
@click.option(
    "--heartbeat",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the worker's health as JSON to this file, about every second.",
)
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    help="Answer GET /health on 127.0.0.1:PORT (200 healthy, 503 not).",
)
@click.option(
    "--until-idle",
    is_flag=True,
    help="Stop once nothing is left to send, instead of waiting for more.",
)
@pass_state
def worker(
    state: CliState,
    *,
    tenant_configs: tuple[str, ...],
    batch: int,
    threads: int,
    lease: float,
    idle: float,
    heartbeat: Path | None,
    health_port: int | None,
    until_idle: bool,
) -> None:
    """Send the outbox of every tenant's administrations until SIGTERM or Ctrl-C.

    Run one per core or per machine: with the state store in PostgreSQL ([postgres]),
    workers never take the same change twice and never earn a 429 together. On
    SIGTERM the worker finishes the change in hand and exits 0.
    """
    configs = {name: load_config(path) for name, path in _tenants(state, tenant_configs).items()}
    environ = os.environ if state.environ is None else state.environ

    def engine_for(tenant: str) -> SyncEngine:
        engine, _ = build_engine(
            configs[tenant],
            environ=environ,
            backend_factory=state.backend_factory,
            on_secret=state.redactor.register,
        )
        return engine

    runner = Worker(
        engine_for,
        list(configs),
        batch=batch,
        threads=threads,
        lease_seconds=lease,
        idle_seconds=idle,
        heartbeat=heartbeat,
    )
    server = HealthServer(runner.health, health_port) if health_port is not None else None
    if not state.quiet:
        tenants = ", ".join(configs)
        where = f"; health at {server.url}" if server is not None else ""
        click.echo(f"finlink worker {runner.worker_id}: tenants {tenants}{where}", err=True)
    try:
        runner.run(until_idle=until_idle)
    finally:
        if server is not None:
            server.close()
    if not state.quiet:
        click.echo(f"stopped after {runner.health().processed} change(s)", err=True)
