"""Webhook subscriptions and deliveries: HashCode checked in constant time, typed events."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from finlink import RelationRole, ValidationError
from finlink.backends.exact import WebhookSignatureError, parse_webhook
from finlink.model.relation import Relation
from tests.backends.exact.support import DIVISION, new_sandbox, recorded_backend

CALLBACK = "https://crm.example.nl/exact/webhook"


def signed(content: bytes, secret: str) -> bytes:
    code = hmac.new(secret.encode(), content, hashlib.sha256).hexdigest().upper()
    return b'{"Content":' + content + b',"HashCode":"' + code.encode() + b'"}'


def test_subscribe_then_a_change_delivers_a_verified_typed_event() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    subscription = backend.subscribe_webhook("Accounts", CALLBACK)
    assert backend.subscribe_webhook("Accounts", CALLBACK) == subscription, "one per topic"
    ping = sandbox.webhook_deliveries[0]
    assert parse_webhook(ping.body, sandbox.app.webhook_secret) is None, "the validation POST"
    made = backend.create_relation(
        Relation(id="crm-1", name="Klant", roles=frozenset({RelationRole.CUSTOMER})),
        reference="crm-1",
    )
    event = parse_webhook(sandbox.webhook_deliveries[-1].body, sandbox.app.webhook_secret)
    assert event is not None
    assert (event.topic, event.action, event.key, event.division) == (
        "Accounts",
        "Create",
        made.remote_id,
        DIVISION,
    )
    assert event.client_id == sandbox.app.client_id
    assert backend.unsubscribe_webhook("Accounts") == 1
    assert backend.unsubscribe_webhook("Accounts") == 0


def test_a_tampered_delivery_is_refused() -> None:
    body = signed(b'{"Topic":"Accounts","Action":"Update","Key":"k","Division":1}', "secret")
    assert parse_webhook(body, "secret") is not None
    tampered = body.replace(b"Update", b"Delete")
    with pytest.raises(WebhookSignatureError, match="does not match") as caught:
        parse_webhook(tampered, "secret")
    assert isinstance(caught.value, ValidationError)
    assert "secret" not in str(caught.value).replace("webhook secret", "")


def test_the_wrong_secret_and_lower_case_hex_are_refused() -> None:
    content = b'{"Topic":"Accounts","Action":"Update","Key":"k","Division":1}'
    with pytest.raises(WebhookSignatureError):
        parse_webhook(signed(content, "other"), "secret")
    lower = signed(content, "secret").replace(b'"HashCode":"', b'"HashCode":"').lower()
    with pytest.raises(WebhookSignatureError):
        parse_webhook(lower, "secret")


@pytest.mark.parametrize(
    "body",
    [b"{}", b"not json", b'{"Content":[],"HashCode":"00"}'],
)
def test_a_body_that_is_not_a_signed_delivery_is_refused(body: bytes) -> None:
    with pytest.raises(WebhookSignatureError):
        parse_webhook(body, "secret")


def test_signed_content_without_the_fields_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="lacks Topic"):
        parse_webhook(signed(b'{"Topic":"Accounts"}', "secret"), "secret")
