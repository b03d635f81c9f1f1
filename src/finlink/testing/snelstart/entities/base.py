"""What a resource handler receives and returns, and helpers the resources share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from finlink.testing.snelstart.errors import ApiError, NotFound
from finlink.testing.snelstart.odata import FieldType, ODataError, apply_query, parse_query_options
from finlink.testing.snelstart.state import AdministrationState, Record
from finlink.testing.snelstart.wire import parse_guid

__all__ = ["Call", "Handler", "Reply", "Route", "lookup", "odata_list", "too_long"]


@attrs.frozen(kw_only=True)
class Call:
    """One routed API call: the administration, the captured path values, query and body."""

    state: AdministrationState
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@attrs.frozen(kw_only=True)
class Reply:
    """A handler's answer: status and a JSON-able body."""

    status: int
    body: object


Handler = Callable[[Call], Reply]
Route = tuple[str, tuple[str, ...], Handler]


def lookup(store: Mapping[str, Record], raw_id: str, what: str = "item") -> Record:
    """The record with id ``raw_id`` from ``store``.

    Raises:
        ApiError: ``ALG-0103`` "Ongeldig ID" when ``raw_id`` is not a GUID.
        NotFound: When no such record exists (HTTP 404, SPEC).
    """
    id_ = parse_guid(raw_id)
    if id_ is None:
        raise ApiError("ALG-0103")
    record = store.get(id_)
    if record is None:
        raise NotFound(f"{what.capitalize()} met id '{id_}' niet gevonden.")
    return record


def odata_list(
    call: Call, records: Sequence[Record], fields: Mapping[str, FieldType]
) -> list[dict[str, Any]]:
    """Apply the call's OData options to ``records``.

    Raises:
        ApiError: ``ALG-0104`` "Ongeldig OData filter" for a bad option (P-ODATA, P-ERR).
    """
    try:
        options = parse_query_options(call.query, fields)
        return apply_query(records, options, fields)
    except ODataError:
        raise ApiError("ALG-0104") from None


def too_long(value: object, limit: int) -> bool:
    """Whether ``value`` is a string longer than ``limit`` characters."""
    return isinstance(value, str) and len(value) > limit
