"""The faults :class:`~finlink.testing.BackendContract` asks a backend's test side to inject.

Kept apart from the suite, which needs pytest, so a sandbox or a host's fault injector can
name a fault without pytest installed.
"""

from __future__ import annotations

import enum

__all__ = ["ContractFault"]


class ContractFault(enum.Enum):
    """Faults the suite asks a backend's test side to inject into the *next* call."""

    LOSE_RESPONSE = "lose_response"
    """The write is committed, then the response is lost (dropped connection, timeout)."""
    UNAUTHORIZED = "unauthorized"
    """The vendor answers 401 (credentials refused) and keeps doing so."""
    RATE_LIMITED = "rate_limited"
    """The vendor answers 429 once."""
    SERVER_ERROR = "server_error"
    """The vendor answers 500/503 once."""
