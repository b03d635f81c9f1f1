"""Shared set-up for the Exact backend tests: a sandbox, a connected backend, a call log."""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx

from finlink.backends.exact import ExactBackend, ExactOAuth, ExactSettings
from finlink.clock import SimulatedClock
from finlink.http import MemoryTokenStore, TokenStore
from finlink.testing.exact import ExactSandbox

DIVISION = 1234567


@attrs.define
class Call:
    """One request the backend sent, and the status it got."""

    method: str
    path: str
    params: dict[str, str]
    body: Any
    status: int | None


class RecordingTransport(httpx.BaseTransport):
    """Hands every request to the sandbox and keeps a log of what was sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: list[Call] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        try:
            body = json.loads(content) if content and b"{" in content[:1] else None
        except ValueError:
            body = None
        call = Call(request.method, request.url.path, dict(request.url.params), body, None)
        self.calls.append(call)
        response = self.inner.handle_request(request)
        call.status = response.status_code
        return response

    def api_calls(self) -> list[Call]:
        """Calls to the REST API of a division (not the token endpoint, not ``current/Me``)."""
        return [
            c for c in self.calls if c.path.startswith("/api/v1/") and "/current/" not in c.path
        ]

    def clear(self) -> None:
        """Forget the calls so far."""
        self.calls.clear()


def oauth_for(sandbox: ExactSandbox, host: str | None = None) -> ExactOAuth:
    """The sandbox's app registration as an ExactOAuth."""
    return ExactOAuth(
        client_id=sandbox.app.client_id,
        client_secret=sandbox.app.client_secret,
        redirect_uri=sandbox.app.redirect_uri,
        host=host or sandbox.base_url,
    )


def connected_backend(
    sandbox: ExactSandbox,
    *,
    store: TokenStore | None = None,
    division: int = DIVISION,
    settings: ExactSettings | None = None,
    transport: httpx.BaseTransport | None = None,
) -> ExactBackend:
    """A backend on the sandbox's mock transport, consented and holding its first tokens."""
    backend = ExactBackend(
        oauth=oauth_for(sandbox),
        division=division,
        token_store=store if store is not None else MemoryTokenStore(),
        transport=transport or sandbox.transport(),
        clock=sandbox.clock,
        settings=settings,
    )
    backend.connect(sandbox.authorize())
    return backend


def recorded_backend(
    sandbox: ExactSandbox, **kwargs: Any
) -> tuple[ExactBackend, RecordingTransport]:
    """A connected backend whose calls are logged."""
    recorder = RecordingTransport(sandbox.transport())
    return connected_backend(sandbox, transport=recorder, **kwargs), recorder


def new_sandbox() -> tuple[ExactSandbox, SimulatedClock]:
    """A fresh sandbox on its own simulated clock."""
    clock = SimulatedClock()
    return ExactSandbox(clock), clock
