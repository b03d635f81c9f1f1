"""``exact`` in the ``finlink.backends`` entry-point group makes an ExactBackend."""

from __future__ import annotations

import pytest

from finlink.backends import available_backends, load_backend
from finlink.backends.exact import ExactBackend
from finlink.http import MemoryTokenStore
from tests.backends.exact.support import DIVISION, new_sandbox, oauth_for


def test_exact_entry_point_makes_an_exact_backend() -> None:
    if "exact" not in available_backends():
        pytest.skip("the entry point exact = finlink.backends.exact:ExactBackend is not installed")
    sandbox, clock = new_sandbox()
    backend = load_backend(
        "exact",
        oauth=oauth_for(sandbox),
        division=DIVISION,
        token_store=MemoryTokenStore(),
        transport=sandbox.transport(),
        clock=clock,
    )
    assert isinstance(backend, ExactBackend)
    assert backend.administration == f"exact:{DIVISION}"
