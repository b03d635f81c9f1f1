"""``finlink db upgrade``: create or migrate the state store's schema, ahead of the workers.

Every store migrates itself when it opens, so this is never required; it is there for a
deployment that upgrades the schema in one step before it starts (or restarts) its workers,
and for stores opened with ``migrate=False``.
"""

from __future__ import annotations

import os

import click

from finlink.cli.output import EXIT_OK, dump_json, json_option
from finlink.cli.state import CliState, pass_state
from finlink.cli.store_setup import upgrade_store

__all__ = ["db"]


@click.group()
def db() -> None:
    """Manage the state store's database (SQLite file or PostgreSQL)."""


@db.command()
@json_option
@pass_state
@click.pass_context
def upgrade(ctx: click.Context, state: CliState, as_json: bool) -> None:
    """Create the state store's tables or bring them to this finlink's schema version.

    Uses the store finlink.toml names: state_store (SQLite) or [postgres]. A schema written by
    a newer finlink is refused untouched (exit status 2).
    """
    state.as_json = as_json
    config = state.config()
    environ = os.environ if state.environ is None else state.environ
    before, after = upgrade_store(config, environ)
    if as_json:
        dump_json(
            {
                "ok": True,
                "store": after.kind,
                "where": after.where,
                "from_version": before.found,
                "to_version": after.found,
            }
        )
    elif before.found == after.found:
        click.echo(
            f"The {after.kind} state store at {after.where} is at schema version "
            f"{after.found} already; nothing to do."
        )
    else:
        click.echo(
            f"The {after.kind} state store at {after.where} went from schema version "
            f"{before.found} to {after.found}."
        )
    ctx.exit(EXIT_OK)
