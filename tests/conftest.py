"""Shared fixtures: the reference folder beside the repository, a simulated clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from finlink.clock import SimulatedClock

# pytester runs the conformance suite against deliberately broken backends.
pytest_plugins = ["pytester", "tests.postgres"]

#: ``../shared/reference`` beside the repository: recorded vendor responses and API
#: descriptions. Developers and CI have it; a plain clone may not, and then those tests skip.
REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture
def reference_dir() -> Path:
    """The shared reference folder; skips the test where it is absent."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip("../shared/reference is not present beside this checkout")
    return REFERENCE_DIR


@pytest.fixture
def clock() -> SimulatedClock:
    """A simulated clock starting on Monday 5 January 2026, 09:00 UTC."""
    return SimulatedClock()
