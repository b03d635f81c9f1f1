"""Fixtures for the SnelStart backend tests: a rig whose request bodies are checked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import openapi
from tests.backends.snelstart.support import SPEC_FILE, Rig, make_rig


@pytest.fixture
def spec_document(request: pytest.FixtureRequest) -> Mapping[str, Any] | None:
    """The SnelStart OpenAPI document, or None where the reference folder is absent."""
    try:
        reference_dir = request.getfixturevalue("reference_dir")
    except pytest.skip.Exception:
        return None
    return openapi.load_document(reference_dir / SPEC_FILE)


@pytest.fixture
def rig(spec_document: Mapping[str, Any] | None, clock: SimulatedClock) -> Iterator[Rig]:
    """A sandbox administration (test key) with a backend on it; bodies checked at the end."""
    made = make_rig(spec_document, clock=clock)
    yield made
    made.http.close()
    assert made.spec.failures == [], made.spec.failures
