"""One division's REST calls: ``{host}/api/v1/{division}/{service}/{Entity}`` (reference §2).

Every call goes through :class:`~finlink.http.ApiClient`: Exact's rate limiter (60 a clock
minute, 5,000 a day, one call in flight per division: §3, §6 quirk 4), fed by the
``X-RateLimit-*`` headers of every response (§3.1), retries that never repeat a POST blindly
(§6 quirk 3), and Exact's error bodies translated (§4.6).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from finlink._errors import BackendError
from finlink.backends.exact.wire import guid_literal
from finlink.http import ApiClient, iter_odata, odata_page

__all__ = ["ExactConnection"]

#: POST answers with the whole entity only when asked (§4.1 "Prefer").
_REPRESENTATION = {"Prefer": "return=representation"}


class ExactConnection:
    """The calls of one division, relative to ``/api/v1/{division}/``.

    Args:
        api: The client (limits, retries, auth, errors).
        host: The country host, e.g. ``https://start.exactonline.nl``.
        division: The division number.
    """

    def __init__(self, api: ApiClient, *, host: str, division: int) -> None:
        self.api = api
        self.division = division
        self.base = f"{host.rstrip('/')}/api/v1/{division}/"

    def url(self, path: str, key: str | None = None) -> str:
        """The URL of an endpoint, or of one entity by its GUID key."""
        return self.base + path + (f"({guid_literal(key)})" if key is not None else "")

    def rows(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a list, following ``__next`` (§4.2).

        Raises:
            BackendError: As :meth:`~finlink.http.ApiClient.request`.
        """
        yield from iter_odata(self.api.get_json, self.url(path), params)

    def first_page(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """The first page only (for lookups that expect a handful of rows).

        Raises:
            BackendError: As :meth:`~finlink.http.ApiClient.request`.
        """
        rows, _ = odata_page(self.api.get_json(self.url(path), params))
        return rows

    def get(self, path: str, key: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One entity by key.

        Raises:
            NotFoundError: When Exact answers 404.
            BackendError: As :meth:`~finlink.http.ApiClient.request`.
        """
        rows, _ = odata_page(self.api.get_json(self.url(path, key), params))
        if not rows:
            raise BackendError(f"Exact Online returned no {path} for the key")
        row: dict[str, Any] = rows[0]
        return row

    def post(self, path: str, body: Mapping[str, Any], *, reference: str | None) -> dict[str, Any]:
        """Create an entity and return it as Exact stored it.

        Raises:
            OutcomeUnknownError: The answer got lost; the entity may exist (look it up by
                ``reference``).
            BackendError: As :meth:`~finlink.http.ApiClient.request`.
        """
        answer = self.api.request_json(
            "POST", self.url(path), json=dict(body), headers=_REPRESENTATION, reference=reference
        )
        rows, _ = odata_page(answer)
        row: dict[str, Any] = rows[0]
        return row

    def put(self, path: str, key: str, body: Mapping[str, Any]) -> None:
        """Write the fields in ``body`` (a partial update, §4.1 "PUT semantics").

        Raises:
            BackendError: As :meth:`~finlink.http.ApiClient.request`.
        """
        self.api.request("PUT", self.url(path, key), json=dict(body))

    def delete(self, path: str, key: str) -> None:
        """Delete one entity.

        Raises:
            BackendError: As :meth:`~finlink.http.ApiClient.request`.
        """
        self.api.request("DELETE", self.url(path, key))
