"""Wire-format details shared by the sandbox's resources: JSON, dates, ids and field checks.

Facts from reference ``snelstart.md``: request and response bodies are JSON with lowerCamelCase
names (§2.1); date-times have **no offset** and trim trailing zeros of the fraction, e.g.
``2018-08-07T06:24:48.12`` (§2.1, PHP ``DATETIME_FORMAT``); references to other entities are
``{"id": guid, "uri": relative uri}`` identifier objects (§3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from finlink.testing.snelstart.errors import ApiError, ModelStateError

__all__ = [
    "decode_json",
    "encode_json",
    "format_datetime",
    "identifier",
    "optional_str",
    "parse_datetime",
    "parse_guid",
    "ref_id",
]


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        # Money is kept as Decimal inside; JSON numbers carry it. Amounts with two decimals
        # round-trip exactly through float's shortest repr.
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_json(body: object) -> bytes:
    """Encode a response body (Decimal amounts become JSON numbers)."""
    return json.dumps(body, default=_default, ensure_ascii=False).encode("utf-8")


def decode_json(raw: bytes, *, empty_code: str = "ALG-0106", bad_code: str | None = None) -> Any:
    """Decode a request body, numbers with a fraction as :class:`~decimal.Decimal`.

    Raises:
        ApiError: ``empty_code`` for an empty body ("De data in het request is leeg"); for
            unparsable JSON ``bad_code`` when the resource has one (``REL-0066``).
        ModelStateError: For unparsable JSON on resources without such a code.
    """
    if not raw.strip():
        raise ApiError(empty_code)
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        if bad_code is not None:
            raise ApiError(bad_code) from None
        raise ModelStateError({"model": ["The request body is not valid JSON."]}) from None


def format_datetime(moment: datetime) -> str:
    """Format like .NET's ``DateTime`` round-trip without offset, fraction trimmed."""
    text = moment.replace(tzinfo=None).isoformat(timespec="microseconds")
    head, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{head}.{fraction}" if fraction else head


def parse_datetime(field: str, value: object) -> datetime | None:
    """Parse a request date-time (offset ignored, as a .NET ``DateTime`` would bind it).

    Raises:
        ModelStateError: When ``value`` is not an ISO date-time string.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=None)
        except ValueError:
            pass
    raise ModelStateError({f"model.{field}": [f"Could not convert {value!r} to DateTime."]})


def parse_guid(text: str) -> str | None:
    """Return ``text`` as a canonical lower-case GUID string, or None if it is not one."""
    try:
        return str(UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None


def identifier(kind: str, id_: str | None) -> dict[str, str] | None:
    """An identifier object ``{"id", "uri"}`` for ``id_`` under ``/{kind}``, or None.

    The ``uri`` is relative to the API base (``/relaties/{id}``); its exact form is not
    documented beyond "de relatieve Uri" (SPEC), so treat it as opaque.
    """
    return None if id_ is None else {"id": id_, "uri": f"/{kind}/{id_}"}


def ref_id(value: object) -> str | None:
    """The ``id`` of an identifier object in a request (None when absent or not a GUID)."""
    if isinstance(value, Mapping):
        raw = value.get("id")
        if isinstance(raw, str):
            return parse_guid(raw)
    return None


def optional_str(body: Mapping[str, Any], key: str) -> str | None:
    """``body[key]`` when it is a non-empty string, else None (numbers are stringified)."""
    value = body.get(key)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
