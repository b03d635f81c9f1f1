"""Shared set-up for the Exact backend tests: a sandbox, a connected backend."""

from __future__ import annotations

from finlink.backends.exact import ExactBackend, ExactOAuth, ExactSettings
from finlink.clock import SimulatedClock
from finlink.http import MemoryTokenStore, TokenStore
from finlink.testing.exact import ExactSandbox

DIVISION = 1234567


def oauth_for(sandbox: ExactSandbox) -> ExactOAuth:
    """The sandbox's app registration as an ExactOAuth."""
    return ExactOAuth(
        client_id=sandbox.app.client_id,
        client_secret=sandbox.app.client_secret,
        redirect_uri=sandbox.app.redirect_uri,
        host=sandbox.base_url,
    )


def connected_backend(
    sandbox: ExactSandbox,
    *,
    store: TokenStore | None = None,
    division: int = DIVISION,
    settings: ExactSettings | None = None,
) -> ExactBackend:
    """A backend on the sandbox's mock transport, consented and holding its first tokens."""
    clock = sandbox.clock
    backend = ExactBackend(
        oauth=oauth_for(sandbox),
        division=division,
        token_store=store or MemoryTokenStore(),
        transport=sandbox.transport(),
        clock=clock,
        settings=settings,
    )
    backend.connect(sandbox.authorize())
    return backend


def new_sandbox() -> tuple[ExactSandbox, SimulatedClock]:
    """A fresh sandbox on its own simulated clock."""
    clock = SimulatedClock()
    return ExactSandbox(clock), clock
