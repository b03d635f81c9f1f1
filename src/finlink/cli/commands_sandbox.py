"""``finlink sandbox exact|snelstart``: a vendor emulator on loopback, to try finlink against."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlencode

import click

from finlink.cli.state import CliState, SandboxControl, pass_state
from finlink.clock import SystemClock

__all__ = ["sandbox"]

# Loopback only: the sandbox accepts made-up credentials and must never face a network.
_HOST = "127.0.0.1"


_Served = tuple[AbstractContextManager[Any], str, str, dict[str, str]]


def _serve_exact(port: int, *, hrm_divisions: bool) -> _Served:
    from finlink.testing import ExactSandbox  # noqa: PLC0415 - only this command needs it

    emulator = ExactSandbox(clock=SystemClock(), hrm_divisions=hrm_divisions)
    handle = emulator.serve(_HOST, port)
    # Links the sandbox writes into responses (__next, __metadata.uri) point at where it
    # really listens.
    emulator.base_url = handle.url
    emulator.service.base_url = handle.url
    app = emulator.app
    consent = f"{handle.url}/api/oauth2/auth?" + urlencode(
        {"client_id": app.client_id, "redirect_uri": app.redirect_uri, "response_type": "code"}
    )
    credentials = {
        "client id": app.client_id,
        "client secret": app.client_secret,
        "redirect URI": app.redirect_uri,
        "divisions": ", ".join(str(d) for d in emulator.divisions),
        "consent URL": consent,
        "token URL": f"{handle.url}/api/oauth2/token",
        "API base": f"{handle.url}/api/v1",
    }
    return handle, handle.url, f"Exact Online sandbox at {handle.url}", credentials


def _serve_snelstart(port: int, *, hrm_divisions: bool) -> _Served:
    del hrm_divisions  # an Exact Online licence matter; SnelStart has no such endpoint
    from finlink.testing import SnelStartSandbox  # noqa: PLC0415 - only this command needs it

    emulator = SnelStartSandbox(clock=SystemClock())
    keys = emulator.add_administration("Demo B.V.")
    server = emulator.serve(_HOST, port)
    credentials = {
        "administration": keys.name,
        "koppelsleutel": keys.koppelsleutel,
        "subscription key": keys.subscription_key,
        "token URL": server.token_url,
        "API base": server.api_url,
    }
    return server, server.url, f"SnelStart sandbox at {server.url}", credentials


@click.command()
@click.argument("vendor", type=click.Choice(["exact", "snelstart"]))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--hrm-divisions/--no-hrm-divisions",
    default=True,
    show_default=True,
    help="Exact only: --no-hrm-divisions answers 404 on hrm/Divisions, as some licences do.",
)
@pass_state
def sandbox(state: CliState, vendor: str, port: int, hrm_divisions: bool) -> None:
    """Serve the Exact Online or SnelStart sandbox on 127.0.0.1 until Ctrl-C.

    Prints the URL and the made-up credentials to configure finlink (or any client) with.
    The sandbox keeps everything in memory; stopping it forgets it all.
    """
    control = state.sandbox or SandboxControl()
    serve = _serve_exact if vendor == "exact" else _serve_snelstart
    server, url, title, credentials = serve(port, hrm_divisions=hrm_divisions)
    with server:
        click.echo(title)
        width = max(len(label) for label in credentials) + 1
        for label, value in credentials.items():
            click.echo(f"  {label + ':':<{width}} {value}")
        click.echo("Made-up test credentials; press Ctrl-C to stop.")
        control.url = url
        control.credentials = dict(credentials)
        control.ready.set()
        try:
            # Wake now and then: a signal (Ctrl-C) is only handled between waits.
            while not control.stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            click.echo("Stopped.")
