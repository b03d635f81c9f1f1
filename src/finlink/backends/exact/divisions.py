"""Which divisions (administrations) the signed-in Exact user can reach.

Reference ``exact-online.md`` §2 and §6 quirk 18: ``current/Me`` names the division last
used (``CurrentDivision``; free, its URL has no division); ``hrm/Divisions`` is the older
list endpoint that clients call first, but *some* licences get 404 there, so the workaround
is to fall back to ``system/Divisions`` and, failing that too, to ``Me.CurrentDivision``.
"""

from __future__ import annotations

import logging

import attrs

from finlink._errors import BackendError, NotFoundError
from finlink.http import ApiClient, iter_odata, odata_page

__all__ = ["DIVISION_ENDPOINTS", "ExactDivision", "discover_divisions"]

logger = logging.getLogger(__name__)

#: The list endpoints tried in order (§2 "Older endpoint", §6 quirk 18).
DIVISION_ENDPOINTS = ("hrm/Divisions", "system/Divisions")


@attrs.frozen(kw_only=True)
class ExactDivision:
    """One division the user can reach.

    Attributes:
        code: The division number used in URLs (``Code``).
        description: Its name, or None when only ``current/Me`` answered.
        current: Whether it is the user's current division (``Me.CurrentDivision``).
        source: The endpoint that listed it: ``hrm/Divisions``, ``system/Divisions`` or
            ``current/Me``.
    """

    code: int
    description: str | None
    current: bool
    source: str


def discover_divisions(api: ApiClient, host: str) -> list[ExactDivision]:
    """List the user's divisions, falling back as the reference describes.

    Args:
        api: A client that authenticates as the user (e.g. ``ExactBackend.api``).
        host: The country host, e.g. ``https://start.exactonline.nl``.

    Returns:
        The divisions, sorted by code; at least the current one.

    Raises:
        BackendError: When ``current/Me`` fails, or when a divisions endpoint fails with
            anything other than 404 (authentication, rate limit, server errors).
    """
    base = host.rstrip("/") + "/api/v1"
    rows, _ = odata_page(api.get_json(f"{base}/current/Me", {"$select": "CurrentDivision"}))
    if not rows or rows[0].get("CurrentDivision") is None:
        raise BackendError("Exact Online's current/Me named no CurrentDivision")
    current = int(rows[0]["CurrentDivision"])
    for path in DIVISION_ENDPOINTS:
        url = f"{base}/{current}/{path}"
        try:
            listed = list(iter_odata(api.get_json, url, {"$select": "Code,Description"}))
        except NotFoundError:
            # Some licences have no hrm/Divisions (quirk 18); each 404 counts against the
            # error budget (10 per endpoint per hour, §3), so only one is spent per endpoint.
            logger.info("Exact Online answered 404 for %s; trying the next endpoint", path)
            continue
        found = [
            ExactDivision(
                code=int(row["Code"]),
                description=row.get("Description"),
                current=int(row["Code"]) == current,
                source=path,
            )
            for row in listed
        ]
        if found:
            return sorted(found, key=lambda division: division.code)
    return [ExactDivision(code=current, description=None, current=True, source="current/Me")]
