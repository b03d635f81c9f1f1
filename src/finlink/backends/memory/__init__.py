"""The in-memory reference backend (see :class:`InMemoryBackend`)."""

from finlink.backends.memory.backend import InMemoryBackend
from finlink.backends.memory.data import DEFAULT_REFERENCE_DATA

__all__ = ["DEFAULT_REFERENCE_DATA", "InMemoryBackend"]
