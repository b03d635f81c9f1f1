"""The default sandbox divisions and a helper for endpoint paths."""

from __future__ import annotations

DIVISION = 1234567
OTHER_DIVISION = 1234568


def api(path: str, division: int = DIVISION) -> str:
    """The URL path of an endpoint in a division."""
    return f"/api/v1/{division}/{path}"
