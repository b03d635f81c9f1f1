"""Run the conformance suite against the tutorial's backend."""

from __future__ import annotations

from tiny_backend import TinyBackend

from finlink.backends import Backend
from finlink.testing import BackendContract


class TestTinyBackend(BackendContract):
    def make_backend(self) -> Backend:
        return TinyBackend()
