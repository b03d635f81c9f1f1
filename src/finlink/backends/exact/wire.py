"""Exact Online's wire formats: OData literals, padded codes, ``/Date(ms)/`` values.

Facts from the reference (``exact-online.md``):

- §4.3: GUID literals ``guid'…'``, datetimes ``datetime'2026-01-05T00:00:00'`` (always with
  the time part, quirk 20), Int64 ``123L``; strings in single quotes (OData doubles a quote).
- §4.5 and §6 quirks 1 and 2: ``crm/Accounts.Code`` is 18 characters right-aligned with leading
  spaces and a filter must carry the padding; ``Country`` ("NL "), ``Language``
  ("NL        ") and VAT codes ("02 ") come back padded, so every text is trimmed on read.
- §4.5: dates come back as ``"/Date(1382667872203)/"`` (epoch milliseconds); POST accepts ISO.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "ACCOUNT_CODE_WIDTH",
    "SEARCH_CODE_WIDTH",
    "account_code",
    "as_decimal",
    "as_guid",
    "datetime_literal",
    "guid_literal",
    "iso_day",
    "parse_date",
    "string_literal",
    "text",
]

#: ``crm/Accounts.Code``: "fixed length numeric string with leading spaces, length 18" (§5.3).
ACCOUNT_CODE_WIDTH = 18
#: ``crm/Accounts.SearchCode``: every recorded value is padded to 9 characters ("BB       ",
#: "SPORTFIET" cut from a longer word) in the .NET SDK fixtures (§8, [F]); Exact publishes no
#: length (§9 question 2), so 9 is the width finlink writes and filters with.
SEARCH_CODE_WIDTH = 9

_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def string_literal(value: str) -> str:
    """An OData string literal: single quotes, inner quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def guid_literal(value: str | uuid.UUID) -> str:
    """``guid'…'`` for a key (§4.3).

    Raises:
        ValueError: When ``value`` is not a GUID (never sent: it would be an injection).
    """
    return f"guid'{uuid.UUID(str(value))}'"


def datetime_literal(day: date) -> str:
    """``datetime'YYYY-MM-DDT00:00:00'``: with the time part, as §6 quirk 20 advises."""
    return f"datetime'{day.isoformat()}T00:00:00'"


def account_code(number: str) -> str:
    """An account ``Code`` as Exact stores it: right-aligned in 18 characters (§6 quirk 1)."""
    return number.strip().rjust(ACCOUNT_CODE_WIDTH)


def text(value: Any) -> str | None:
    """A trimmed text value, ``None`` for null or blank (padded values, §6 quirk 2)."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def as_guid(value: str) -> str | None:
    """``value`` as a canonical GUID string, or ``None`` when it is not one."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def as_decimal(value: Any) -> Decimal:
    """An ``Edm.Double`` as a Decimal rounded to cents (money; never a float in finlink)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def parse_date(value: Any) -> datetime | None:
    """``"/Date(ms)/"`` (or an ISO string) as an aware UTC datetime; ``None`` for null."""
    if value is None or value == "":
        return None
    raw = str(value).strip()
    match = _DATE.match(raw)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def iso_day(day: date) -> str:
    """A date for a POST body: ISO ``YYYY-MM-DDT00:00:00`` (§4.5 "POST accepts ISO")."""
    return f"{day.isoformat()}T00:00:00"
