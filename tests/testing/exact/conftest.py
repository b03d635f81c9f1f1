"""Fixtures for the Exact sandbox tests: a sandbox on the simulated clock, a connected client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.exact import ExactSandbox


@pytest.fixture
def sandbox(clock: SimulatedClock) -> ExactSandbox:
    """A sandbox with the two default divisions, on the shared simulated clock."""
    return ExactSandbox(clock)


@pytest.fixture
def tokens(sandbox: ExactSandbox) -> dict[str, str]:
    """Tokens consented for every division."""
    return sandbox.connect()


@pytest.fixture
def http(sandbox: ExactSandbox, tokens: dict[str, str]) -> Iterator[httpx.Client]:
    """An httpx client on the mock transport, authorised for every division."""
    with sandbox.client(token=tokens["access_token"]) as client:
        yield client
