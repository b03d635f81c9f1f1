"""Exact Online webhooks: subscriptions, and checking and reading a delivery.

Reference ``exact-online.md`` §5.2:

- subscribe with ``POST webhooks/WebhookSubscriptions`` ``{"CallbackURL", "Topic"}``, one
  subscription per topic per division; Exact first sends an **empty** POST to validate the
  callback, which must be answered with a 2xx;
- a delivery is ``{"Content": {"Topic", "Action", "Key", "Division", "ClientId", …},
  "HashCode": "…"}``, where ``HashCode`` is the upper-case hex HMAC-SHA256 of the *raw*
  ``Content`` JSON (the bytes between ``{"Content":`` and ``,"HashCode":``), keyed with the
  app's **webhook secret** (not the client secret);
- the payload is thin: fetch the record by ``Key``; the same change may arrive twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from finlink._errors import Problem, ValidationError
from finlink.backends.exact.connection import ExactConnection
from finlink.backends.exact.wire import string_literal as lit
from finlink.http import Secret

__all__ = [
    "SUBSCRIPTIONS",
    "WebhookEvent",
    "WebhookSignatureError",
    "parse_webhook",
    "subscribe",
    "unsubscribe",
]

SUBSCRIPTIONS = "webhooks/WebhookSubscriptions"
_PREFIX = b'{"Content":'
_MARKER = b',"HashCode":"'
_SUFFIX = b'"}'


class WebhookSignatureError(ValidationError):
    """A delivery whose ``HashCode`` does not match its content: refuse it (answer 401)."""


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One verified webhook delivery.

    Attributes:
        topic: The subscription topic, e.g. ``Accounts``, ``SalesEntries``.
        action: ``Create``, ``Update`` or ``Delete``.
        key: The GUID of the changed record (fetch it: the payload is thin).
        division: The division it happened in.
        client_id: The app's client id.
        endpoint: ``ExactOnlineEndpoint``, the record's URL, where sent.
        content: The whole ``Content`` object, read-only.
    """

    topic: str
    action: str
    key: str
    division: int
    client_id: str | None = None
    endpoint: str | None = None
    content: Mapping[str, Any] = attrs.field(factory=dict, hash=False, repr=False)


def _refuse(rule: str, message: str) -> WebhookSignatureError:
    return WebhookSignatureError(
        [Problem(path="HashCode", rule=rule, message=message)], subject="Exact Online webhook"
    )


def parse_webhook(body: bytes, webhook_secret: str | Secret) -> WebhookEvent | None:
    """Verify a delivery's ``HashCode`` in constant time and read it.

    Args:
        body: The raw request body, byte for byte (re-serialised JSON would not match).
        webhook_secret: The app's webhook secret from the App Center.

    Returns:
        The event, or ``None`` for Exact's empty validation POST (answer it with 200).

    Raises:
        WebhookSignatureError: The body is not a signed delivery or the signature is wrong
            (answer 401 and do not act on it). The message never quotes the secret.
    """
    if not body.strip():
        return None
    if not (body.startswith(_PREFIX) and body.endswith(_SUFFIX)) or _MARKER not in body:
        raise _refuse("shape", 'not an Exact webhook body ({"Content":…,"HashCode":"…"})')
    cut = body.rindex(_MARKER)
    content_raw = body[len(_PREFIX) : cut]
    sent = body[cut + len(_MARKER) : -len(_SUFFIX)]
    key = Secret.of(webhook_secret).reveal().encode()
    expected = hmac.new(key, content_raw, hashlib.sha256).hexdigest().upper().encode()
    if not hmac.compare_digest(expected, sent):
        raise _refuse(
            "signature",
            "the HashCode does not match the content: not signed with this app's webhook secret",
        )
    try:
        content = json.loads(content_raw)
    except ValueError:
        raise _refuse("shape", "the signed Content is not JSON") from None
    if not isinstance(content, dict):
        raise _refuse("shape", "the signed Content is not a JSON object")
    try:
        return WebhookEvent(
            topic=str(content["Topic"]),
            action=str(content["Action"]),
            key=str(content["Key"]),
            division=int(content["Division"]),
            client_id=content.get("ClientId"),
            endpoint=content.get("ExactOnlineEndpoint"),
            content=MappingProxyType(content),
        )
    except (KeyError, TypeError, ValueError):
        raise _refuse("shape", "the Content lacks Topic, Action, Key or Division") from None


def subscribe(conn: ExactConnection, topic: str, callback_url: str) -> str:
    """Subscribe ``callback_url`` (HTTPS) to ``topic``; returns the subscription id.

    An existing subscription of the app for the topic is reused (one per topic, §5.2).

    Raises:
        BackendError: As the calls do.
    """
    rows = conn.first_page(SUBSCRIPTIONS, {"$filter": f"Topic eq {lit(topic)}"})
    for row in rows:
        if row.get("CallbackURL") == callback_url:
            return str(row["ID"])
    made = conn.post(SUBSCRIPTIONS, {"CallbackURL": callback_url, "Topic": topic}, reference=topic)
    return str(made["ID"])


def unsubscribe(conn: ExactConnection, topic: str) -> int:
    """Delete the app's subscriptions to ``topic``; returns how many there were.

    Raises:
        BackendError: As the calls do.
    """
    rows = conn.first_page(SUBSCRIPTIONS, {"$filter": f"Topic eq {lit(topic)}"})
    for row in rows:
        conn.delete(SUBSCRIPTIONS, str(row["ID"]))
    return len(rows)
