"""Small pieces of SnelStart's wire format: OData literals, date-times, JSON with exact money.

- ``$filter`` property names are UpperCamelCase, strings are ``'…'`` with ``''`` for a quote,
  date-times ``datetime'…'`` and ids ``guid'…'`` (OData v3, snelstart.md §2.2).
- Date-times carry no offset (``2018-08-07T06:24:48.12``); whether they are UTC or Dutch local
  time is UNVERIFIED (§2.1), so the backend takes the zone as a setting.
- Money goes out as JSON numbers. ``json`` cannot write a ``Decimal``; a two-decimal amount
  survives ``float``'s shortest repr exactly up to about 10**13 euros, and :func:`encode_json`
  checks that it did rather than assume it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from finlink._errors import Problem, ValidationError

__all__ = [
    "JSON_HEADERS",
    "aware",
    "decimal",
    "encode_json",
    "odata_datetime",
    "odata_string",
    "parse_date",
    "parse_datetime",
    "ref",
    "ref_id",
]

JSON_HEADERS = {"Content-Type": "application/json"}


def odata_string(text: str) -> str:
    """``text`` as an OData string literal: quoted, with ``'`` doubled."""
    return "'" + text.replace("'", "''") + "'"


def odata_datetime(moment: datetime) -> str:
    """A naive server-side date-time as an OData v3 ``datetime'…'`` literal (milliseconds)."""
    return "datetime'" + moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "'"


def parse_datetime(value: object) -> datetime | None:
    """A SnelStart date-time (naive, any fraction) as a naive datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.rstrip("Z")
    head, dot, fraction = text.partition(".")
    if dot:
        # .NET writes up to seven fraction digits; Python reads at most six.
        text = f"{head}.{(fraction + '000000')[:6]}"
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def aware(moment: datetime | None, zone: tzinfo) -> datetime | None:
    """A naive server date-time made aware in ``zone``."""
    return None if moment is None else moment.replace(tzinfo=zone)


def parse_date(value: object) -> date | None:
    """The date part of a SnelStart date-time, or None."""
    moment = parse_datetime(value)
    return None if moment is None else moment.date()


def decimal(value: object) -> Decimal:
    """A JSON number (float, int or Decimal) as an exact Decimal; None counts as 0."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def ref(id_: str | None) -> dict[str, str] | None:
    """An identifier object ``{"id": …}`` (SnelStart refers to records this way, §3)."""
    return None if id_ is None else {"id": id_}


def ref_id(value: object) -> str | None:
    """The id inside an identifier object, or None."""
    if isinstance(value, Mapping):
        found = value.get("id")
        return str(found) if found else None
    return None


def _default(value: object) -> Any:
    if isinstance(value, Decimal):
        number = int(value) if value == value.to_integral_value() else float(value)
        if Decimal(repr(number)) != value:
            raise ValidationError(
                [
                    Problem(
                        path="", rule="amount_precision", message=f"{value} cannot be sent exactly"
                    )
                ]
            )
        return number
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode_json(body: object) -> bytes:
    """``body`` as JSON bytes, Decimals written as exact JSON numbers.

    Raises:
        ValidationError: An amount that a JSON number cannot carry exactly.
    """
    return json.dumps(body, default=_default, ensure_ascii=False).encode("utf-8")
