"""From an HTTP error response to a finlink :class:`~finlink.BackendError`.

A backend passes an *error parser* to :class:`~finlink.http.ApiClient`: a function that gets
the first look at every error response and returns a finlink error with the vendor's code and
message, or ``None`` to let :func:`error_for_response` translate by status alone. The parsers
for the two vendor body shapes ship here so backends do not each write their own:

- :func:`parse_exact_error`: Exact Online's ``{"error": {"code": "", "message": {"lang": "",
  "value": "…"}}}`` (exact-online.md §4.6) and the OAuth token endpoint's
  ``{"error": "…", "error_description": "…"}`` (§1.3).
- :func:`parse_snelstart_error`: SnelStart's list of ``{"errorCode", "message",
  "propertyName"}`` items, ASP.NET ``modelState`` objects and ``{"Message": "…"}``
  (snelstart.md §2.4).

Messages are built from the status, method, URL *path* (never the query string: SnelStart
accepts the subscription key as ``?subscription-key=``, snelstart.md §1.1) and the vendor's
code and text, never from request headers or bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx

from finlink._errors import (
    AuthenticationError,
    BackendError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RemoteValidationError,
    ServerError,
)

__all__ = [
    "ErrorParser",
    "error_for_response",
    "error_for_status",
    "parse_exact_error",
    "parse_snelstart_error",
]

#: A backend's hook: given an error response, a finlink error, or ``None`` for the default.
ErrorParser = Callable[[httpx.Response], BackendError | None]

# Vendor texts can be long (whole stack traces have been seen in 500 bodies); keep errors short.
_MAX_TEXT = 500


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def describe_request(response: httpx.Response) -> str:
    """``"POST /v2/relaties"``: the method and path of the response's request, no query."""
    try:
        request = response.request
    except RuntimeError:  # a Response built by hand, without a request
        return "request"
    return f"{request.method} {request.url.path}"


def error_for_status(
    status_code: int,
    message: str,
    *,
    vendor_code: str | None = None,
    vendor_message: str | None = None,
    fields: Sequence[str] = (),
    retry_after: timedelta | None = None,
    administration: str | None = None,
) -> BackendError:
    """The finlink error class for an HTTP status, filled in.

    401 → :class:`~finlink.AuthenticationError`, 403 → :class:`~finlink.PermissionDeniedError`,
    404 and 410 → :class:`~finlink.NotFoundError`, 409 → :class:`~finlink.ConflictError`,
    429 → :class:`~finlink.RateLimitError`, 400, 413 and 422 →
    :class:`~finlink.RemoteValidationError`, 5xx → :class:`~finlink.ServerError`; anything
    else a plain :class:`~finlink.BackendError`.

    Args:
        status_code: The HTTP status.
        message: The error's text.
        vendor_code: The vendor's own error code, where known.
        vendor_message: The vendor's own text (kept on ``RemoteValidationError``).
        fields: The vendor field names the error is about.
        retry_after: The wait, for a 429.
        administration: The administration the call was for.
    """
    common: dict[str, Any] = {"status_code": status_code, "administration": administration}
    if status_code == 429:
        return RateLimitError(message, retry_after=retry_after, vendor_code=vendor_code, **common)
    if status_code in {400, 413, 422}:
        return RemoteValidationError(
            message,
            vendor_code=vendor_code,
            vendor_message=vendor_message,
            fields=fields,
            **common,
        )
    by_status: dict[int, type[BackendError]] = {
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        410: NotFoundError,
        409: ConflictError,
    }
    cls = by_status.get(status_code) or (ServerError if status_code >= 500 else BackendError)
    return cls(message, vendor_code=vendor_code, **common)


def error_for_response(
    response: httpx.Response,
    *,
    vendor: str = "the server",
    retry_after: timedelta | None = None,
    administration: str | None = None,
) -> BackendError:
    """The default translation of an error response, by status alone (see :func:`error_for_status`).

    Args:
        response: The error response.
        vendor: The vendor's name for the message (``"Exact Online"``).
        retry_after: The wait, for a 429.
        administration: The administration the call was for.
    """
    status = response.status_code
    phrase = response.reason_phrase or "error"
    message = f"{vendor} answered HTTP {status} {phrase} to {describe_request(response)}"
    return error_for_status(status, message, retry_after=retry_after, administration=administration)


def _body(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``None`` when there is none or it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def parse_exact_error(response: httpx.Response) -> BackendError | None:
    """Translate an Exact Online error body, or return ``None`` when there is none to read.

    Reads ``error.message.value`` (and ``error.code``) of the OData error shape, and
    ``error`` / ``error_description`` of the OAuth token endpoint's shape (exact-online.md
    §4.6, §1.3). Exact reports some business-rule refusals as HTTP **500** with the same
    body (``Ongeldig: Factuur voor (Type)``, §4.6 and §6 quirk 17), so a 500 that carries an
    Exact error message becomes a :class:`~finlink.RemoteValidationError`: repeating the call
    would only be refused again (and count toward the error budget, §3). A 429 is left to the
    client, which knows how long to wait.
    """
    status = response.status_code
    if status < 400 or status == 429:
        return None
    body = _body(response)
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        text = _text(message.get("value")) if isinstance(message, dict) else _text(message)
        code = _text(error.get("code"))
        if status == 500 and text:
            status = 400
    elif isinstance(error, str):
        # OAuth shape: a token refusal is an authentication problem whatever the status
        # (Exact answers 400 for an expired refresh token, 401 for a reused one, §1.3).
        code = _text(error)
        text = _text(body.get("error_description")) or code
        if status in {400, 401}:
            status = 401
    else:
        return None
    if not text:
        return None
    detail = f"[{code}] " if code else ""
    return error_for_status(
        status,
        _clip(f"Exact Online refused {describe_request(response)}: {detail}{text}"),
        vendor_code=code,
        vendor_message=text,
    )


def parse_snelstart_error(response: httpx.Response) -> BackendError | None:
    """Translate a SnelStart error body, or return ``None`` when there is none to read.

    SnelStart's bodies come in several shapes (snelstart.md §2.4, §5 quirk 15), all handled:
    a list of ``{"errorCode": "REL-0008", "message": "…", "propertyName": "…"}``; an ASP.NET
    ``{"modelState": {"field": ["msg"]}}``; and ``{"Message": "…"}`` / ``{"message": "…"}``
    (also Azure API Management's own 401/429 texts). The first item's code becomes
    ``vendor_code``; every message is kept, joined by ``"; "``. A 429 is left to the client.
    """
    status = response.status_code
    if status < 400 or status == 429:
        return None
    body = _body(response)
    codes: list[str] = []
    texts: list[str] = []
    fields: list[str] = []
    if isinstance(body, list):
        for item in body:
            if not isinstance(item, dict):
                continue
            lowered = {str(k).lower(): v for k, v in item.items()}
            for key, into in (("errorcode", codes), ("message", texts), ("propertyname", fields)):
                value = _text(lowered.get(key))
                if value:
                    into.append(value)
    elif isinstance(body, dict):
        lowered = {str(k).lower(): v for k, v in body.items()}
        model_state = lowered.get("modelstate")
        if isinstance(model_state, dict):
            for field, messages in model_state.items():
                fields.append(str(field))
                items = messages if isinstance(messages, list) else [messages]
                texts.extend(t for t in map(_text, items) if t)
        else:
            text = _text(lowered.get("message"))
            if text:
                texts.append(text)
    if not texts and not codes:
        return None
    code = codes[0] if codes else None
    text = "; ".join(texts) or None
    detail = f"[{', '.join(codes)}] " if codes else ""
    return error_for_status(
        status,
        _clip(f"SnelStart refused {describe_request(response)}: {detail}{text or ''}".rstrip()),
        vendor_code=code,
        vendor_message=text,
        fields=fields,
    )
