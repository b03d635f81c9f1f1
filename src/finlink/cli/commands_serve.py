"""``finlink serve``: the bookkeeper's web view on this machine, for trying finlink.

Serves :mod:`finlink.web` on 127.0.0.1 only, over the state store and administrations of
``finlink.toml`` (or, with ``--demo``, over the demo's sandboxes), and prints a single-user
link with a random token. Needs the ``web`` extra as well as ``cli``.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from finlink._errors import ConfigurationError
from finlink.cli.commands_sync import _FILE
from finlink.cli.inputs import read_inputs
from finlink.cli.state import CliState, pass_state
from finlink.model import Booking, Project, Relation
from finlink.model.readback import OpenItem
from finlink.sync import Plan

if TYPE_CHECKING:
    from finlink.web import PlanSource

__all__ = ["serve"]


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8731,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--demo", is_flag=True, help="Serve the demo's sandboxes instead of finlink.toml.")
@click.option(
    "--demo-size",
    type=click.IntRange(20, 5000),
    default=200,
    show_default=True,
    help="Relations in the demo's CRM (with --demo).",
)
@click.option("--relations", type=_FILE, help="Relations for the go-live plan page.")
@click.option("--projects", type=_FILE, help="Projects for the go-live plan page.")
@click.option("--bookings", type=_FILE, help="Bookings for the go-live plan page.")
@pass_state
def serve(
    state: CliState,
    *,
    port: int,
    demo: bool,
    demo_size: int,
    relations: Path | None,
    projects: Path | None,
    bookings: Path | None,
) -> None:
    """Open the bookkeeper's web view on http://127.0.0.1 (this machine only).

    Shows status, the review queue, conflicts, the error log and the go-live plan (from
    --relations/--projects/--bookings, or the demo's CRM). Prints a link with a one-time
    random token: only a browser that opened it gets in. Stop with Ctrl-C.
    """
    try:
        from finlink.web import LocalServer, create_local_app  # noqa: PLC0415 - web extra
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"finlink serve needs the web extra ({exc.name} is missing): "
            "pip install 'finlink[cli,web]'"
        ) from exc
    token = secrets.token_urlsafe(24)
    plan: PlanSource | None = None
    open_items: Callable[[], Sequence[OpenItem]] | None = None
    folder = None
    if demo:
        from finlink.demo import start_demo  # noqa: PLC0415 - loads the sandboxes

        # The demo's warnings are its scenery (as in `finlink demo`); the view's own log of
        # who did what is not.
        logging.getLogger("finlink").setLevel(logging.ERROR)
        logging.getLogger("finlink.web").setLevel(logging.INFO)
        folder = tempfile.TemporaryDirectory(prefix="finlink-serve-")
        click.echo(f"Preparing the demo ({demo_size} relations)...", err=True)
        session = start_demo(size=demo_size, state_path=Path(folder.name) / "demo.db")
        engine = session.engine
        crm = session.relations

        def plan() -> tuple[Plan, Sequence[Relation]]:
            # With its records, so the CSV download has the fields of each relation created.
            return session.plan(), crm

        items = session.open_items

        def open_items() -> Sequence[OpenItem]:
            return items
    else:
        engine = state.engine()
        if relations or projects or bookings:
            inputs = read_inputs(relations=relations, projects=projects, bookings=bookings)

            def plan() -> tuple[Plan, list[Relation | Project | Booking]]:
                made = engine.plan(
                    relations=inputs.relations, projects=inputs.projects, bookings=inputs.bookings
                )
                # With the records, so the CSV download has the fields of each record created.
                return made, [*inputs.relations, *inputs.projects, *inputs.bookings]

    app = create_local_app(engine, token=token, plan=plan, open_items=open_items)
    server = LocalServer(app, port=port)
    # Printed once, on stdout, for the person who started it; never logged.
    click.echo(f"finlink's web view for this machine only: {server.url}/?token={token}")
    control = state.sandbox  # set by a test (or a host) that wants to stop it
    try:
        if control is None:
            click.echo("Stop with Ctrl-C.", err=True)
            server.serve_forever()
        else:
            server.start()
            control.url = server.url
            control.credentials["token"] = token
            control.ready.set()
            control.stop.wait()
            server.stop()
    finally:
        if demo:
            engine.store.close()
        if folder is not None:
            folder.cleanup()
