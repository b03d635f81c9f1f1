"""Fixtures for the SnelStart sandbox tests.

``api`` is an authenticated client on the MockTransport. When the shared reference folder is
present, every successful response it receives is validated against the response schema the
SnelStart OpenAPI description declares for that operation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import (
    TOKEN_URL,
    AdministrationKeys,
    SandboxAdministration,
    SnelStartSandbox,
    openapi,
)
from tests.testing.snelstart.support import SpecChecker

SPEC_FILE = Path("snelstart") / "snelstart-b2b-api-v2.openapi.json"


@pytest.fixture
def sandbox(clock: SimulatedClock) -> SnelStartSandbox:
    """A sandbox on the shared simulated clock."""
    return SnelStartSandbox(clock=clock)


@pytest.fixture
def keys(sandbox: SnelStartSandbox) -> AdministrationKeys:
    """One administration on a test key."""
    return sandbox.add_administration("Acme BV")


@pytest.fixture
def admin(sandbox: SnelStartSandbox, keys: AdministrationKeys) -> SandboxAdministration:
    """The test-facing API of the ``keys`` administration."""
    return sandbox.administration(keys.name)


@pytest.fixture
def spec_document(request: pytest.FixtureRequest) -> Mapping[str, Any] | None:
    """The SnelStart OpenAPI document, or None where the reference folder is absent."""
    try:
        reference_dir: Path = request.getfixturevalue("reference_dir")
    except pytest.skip.Exception:
        return None
    return openapi.load_document(reference_dir / SPEC_FILE)


@pytest.fixture
def spec_checker(spec_document: Mapping[str, Any] | None) -> SpecChecker:
    """Validates response bodies against the SPEC (a no-op without the reference folder)."""
    return SpecChecker(spec_document)


@pytest.fixture
def api(
    sandbox: SnelStartSandbox, keys: AdministrationKeys, spec_checker: SpecChecker
) -> Iterator[httpx.Client]:
    """An authenticated client for the ``keys`` administration, on the MockTransport."""
    with sandbox.client(event_hooks={"response": [spec_checker.hook]}) as client:
        token = client.post(
            TOKEN_URL, data={"grant_type": "clientkey", "clientkey": keys.koppelsleutel}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        client.headers["Ocp-Apim-Subscription-Key"] = keys.subscription_key
        yield client
    assert spec_checker.failures == [], spec_checker.failures
