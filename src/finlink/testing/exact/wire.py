"""Exact Online's wire formats: requests and responses as the sandbox sees them.

Both transports (``httpx.MockTransport`` and the loopback HTTP server) turn their native
request into a :class:`SandboxRequest` and write a :class:`SandboxResponse` back, so the
two paths share one handler and cannot drift apart.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

__all__ = [
    "HttpError",
    "SandboxRequest",
    "SandboxResponse",
    "epoch_ms",
    "error_body",
    "exact_error",
    "json_response",
    "parse_wire_datetime",
    "to_wire",
]


@attrs.frozen(kw_only=True)
class SandboxRequest:
    """One HTTP request as the sandbox handler sees it.

    Attributes:
        method: Upper-case HTTP method.
        url: The full URL, with scheme, host and query string.
        headers: Header names in lower case.
        body: The raw request body.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The URL path, percent-decoded (``%27`` → ``'`` in ``Accounts(guid'…')``)."""
        return unquote(urlsplit(self.url).path)

    @property
    def base(self) -> str:
        """Scheme and host, e.g. ``https://start.exactonline.nl``: the root of every link."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last one wins), percent-decoded."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name, or None."""
        return self.headers.get(name.lower())


@attrs.frozen(kw_only=True)
class SandboxResponse:
    """One HTTP response from the sandbox handler.

    Attributes:
        status: HTTP status code.
        headers: Response headers.
        body: Raw response body.
        drop: When set, the transport must not deliver this response: the write has been
            committed but the caller sees a timeout (a fault injected by the test).
        timeout: When set, the transport reports a timeout without the request having
            been handled at all.
    """

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    drop: bool = False
    timeout: bool = False

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class HttpError(Exception):
    """Raised inside the handler to answer with an error response.

    Args:
        status: HTTP status.
        body: The JSON body to send.
        headers: Extra headers (e.g. ``Reason``).
    """

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def error_body(message: str) -> dict[str, Any]:
    """Exact's REST error envelope (reference §4.6: ``code`` and ``lang`` are empty)."""
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


def exact_error(status: int, message: str) -> HttpError:
    """An :class:`HttpError` carrying Exact's REST error envelope."""
    return HttpError(status, error_body(message))


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch for a timezone-aware datetime."""
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


def to_wire(value: Any) -> Any:
    """Convert a stored Python value into Exact's JSON form.

    Datetimes become ``"/Date(<epoch ms>)/"`` (reference §4.5, fixtures), GUIDs their
    lower-case string form, Decimals a JSON number (Exact's ``Edm.Double``), bytes base64.
    """
    if isinstance(value, datetime):
        return f"/Date({epoch_ms(value)})/"
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):  # Edm.Binary travels as base64 (§4.5)
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def parse_wire_datetime(value: str) -> datetime:
    """Parse a datetime a client sent: ISO ``2026-01-05T00:00:00`` or ``/Date(ms)/``.

    Naive ISO values are taken as UTC (reference §4.5: POST accepts ISO strings).

    Raises:
        ValueError: When the text is neither form.
    """
    text = value.strip()
    if text.startswith("/Date(") and text.endswith(")/"):
        return datetime.fromtimestamp(int(text[6:-2]) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> SandboxResponse:
    """A JSON response with Exact's content type."""
    merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    data = json.dumps(body, separators=(",", ":")).encode()
    return SandboxResponse(status=status, headers=merged, body=data)
