"""Webhook deliveries, signed as Exact signs them (reference §5.2).

Body: ``{"Content":{…},"HashCode":"…"}``; ``HashCode`` is the upper-case hex HMAC-SHA256 of
the raw ``Content`` JSON (the exact bytes between ``{"Content":`` and ``,"HashCode":``), keyed
with the app's *webhook secret* (picqer ``Webhook/Authenticatable.php``; hookdeck PR #152).
A new subscription first gets an empty validation POST.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["WebhookDelivery", "sign", "signed_body", "verify"]

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One POST the sandbox made (or would make) to a subscriber's callback URL.

    Attributes:
        url: The subscription's ``CallbackURL``.
        body: The raw request body (empty for the validation ping).
        topic: The topic, or None for the validation ping.
    """

    url: str
    body: bytes
    topic: str | None = None

    def json(self) -> Any:
        """The body decoded as JSON.

        Raises:
            ValueError: For the (empty) validation ping.
        """
        return json.loads(self.body)


def sign(content: bytes, secret: str) -> str:
    """Exact's ``HashCode``: upper-case hex HMAC-SHA256 of the raw Content JSON."""
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest().upper()


def signed_body(content: dict[str, Any], secret: str) -> bytes:
    """The raw delivery body for ``content``, with its HashCode."""
    raw = json.dumps(content, separators=(",", ":")).encode()
    return b'{"Content":' + raw + b',"HashCode":"' + sign(raw, secret).encode() + b'"}'


def verify(body: bytes, secret: str) -> bool:
    """Check a delivery as a receiver must: HMAC of the raw Content substring.

    Returns False for anything that is not a well-formed signed delivery.
    """
    prefix, marker = b'{"Content":', b',"HashCode":"'
    if not body.startswith(prefix) or not body.endswith(b'"}') or marker not in body:
        return False
    content, _, tail = body[len(prefix) :].rpartition(marker)
    return hmac.compare_digest(sign(content, secret).encode(), tail[:-2])


Sender = Callable[[WebhookDelivery], None]
