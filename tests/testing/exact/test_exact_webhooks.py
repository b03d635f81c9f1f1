"""Webhook subscriptions and deliveries signed as Exact signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from finlink.testing.exact import ExactSandbox, WebhookDelivery, sign, verify
from tests.testing.exact.paths import DIVISION, api

CALLBACK = "https://crm.example.nl/exact/webhook"


def _subscribe(http: httpx.Client, topic: str = "Accounts", url: str = CALLBACK) -> httpx.Response:
    return http.post(
        api("webhooks/WebhookSubscriptions"),
        json={"CallbackURL": url, "Topic": topic},
        headers={"Prefer": "return=representation"},
    )


def test_subscription_is_validated_with_an_empty_post(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    response = _subscribe(http)
    assert response.status_code == 201
    body = response.json()["d"]
    assert (body["Topic"], body["ClientID"]) == ("Accounts", sandbox.app.client_id)
    (ping,) = sandbox.webhook_deliveries
    assert (ping.url, ping.body, ping.topic) == (CALLBACK, b"", None)


def test_one_subscription_per_topic_and_only_known_topics(http: httpx.Client) -> None:
    assert _subscribe(http).status_code == 201
    again = _subscribe(http)
    assert again.status_code == 400
    assert _subscribe(http, topic="Costcenters").status_code == 400
    assert _subscribe(http, topic="Contacts").status_code == 201


def test_account_changes_are_delivered_with_an_exact_hashcode(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    _subscribe(http)
    created = http.post(api("crm/Accounts"), json={"Name": "Acme"}).json()["d"]
    http.put(api(f"crm/Accounts(guid'{created['ID']}')"), json={"City": "Houten"})
    http.delete(api(f"crm/Accounts(guid'{created['ID']}')"))
    deliveries = [d for d in sandbox.webhook_deliveries if d.topic is not None]
    assert [d.json()["Content"]["Action"] for d in deliveries] == ["Create", "Update", "Delete"]
    first = deliveries[0]
    content = first.json()["Content"]
    assert content["Topic"] == "Accounts"
    assert content["Key"] == created["ID"]
    assert content["Division"] == DIVISION
    assert content["ClientId"] == sandbox.app.client_id
    assert content["ExactOnlineEndpoint"].endswith(
        f"/api/v1/{DIVISION}/crm/Accounts(guid'{created['ID']}')"
    )
    # Independent check: HMAC-SHA256 of the raw Content substring, upper-case hex (§5.2).
    raw = first.body
    inner = raw[len(b'{"Content":') : raw.rindex(b',"HashCode":"')]
    expected = (
        hmac.new(sandbox.app.webhook_secret.encode(), inner, hashlib.sha256).hexdigest().upper()
    )
    assert first.json()["HashCode"] == expected
    assert verify(raw, sandbox.app.webhook_secret)
    assert not verify(raw, sandbox.app.client_secret)  # the client secret is not the key
    assert not verify(raw.replace(b"Create", b"Delete"), sandbox.app.webhook_secret)
    assert not verify(b"", sandbox.app.webhook_secret)
    lower = raw.replace(expected.encode(), expected.lower().encode())
    assert not verify(lower, sandbox.app.webhook_secret)


def test_accountant_changes_and_entries_fire_their_topics(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    _subscribe(http)
    _subscribe(http, topic="SalesEntries")
    acme = sandbox.add_account(DIVISION, "Acme")
    sandbox.change(DIVISION, "crm/Accounts", acme["ID"], Name="Acme 2")
    gl = next(r for r in sandbox.records(DIVISION, "financial/GLAccounts") if r["Code"] == "8000")
    sandbox.seed(
        DIVISION,
        "salesentry/SalesEntries",
        Customer=acme["ID"],
        Journal="70",
        SalesEntryLines=[{"GLAccount": gl["ID"], "AmountFC": 1}],
    )
    topics = [
        (d.topic, d.json()["Content"]["Action"]) for d in sandbox.webhook_deliveries if d.topic
    ]
    assert topics == [("Accounts", "Create"), ("Accounts", "Update"), ("SalesEntries", "Create")]


def test_subscriptions_are_visible_only_to_their_app(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    _subscribe(http)
    other_app = sandbox.add_app(webhook_secret="other-secret")
    other_tokens = sandbox.connect(app=other_app)
    with sandbox.client(token=other_tokens["access_token"]) as other:
        assert other.get(api("webhooks/WebhookSubscriptions")).json()["d"]["results"] == []
        assert _subscribe(other).status_code == 201  # its own Accounts subscription
    sandbox.add_account(DIVISION, "Acme")
    signed = [d for d in sandbox.webhook_deliveries if d.topic]
    assert [verify(d.body, "sandbox-webhook-secret") for d in signed] == [True, False]
    assert verify(signed[1].body, "other-secret")
    assert len(http.get(api("webhooks/WebhookSubscriptions")).json()["d"]["results"]) == 1


class _Receiver(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.received.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host!s}:{port}/hook", received
    server.shutdown()
    server.server_close()
    thread.join()


def test_deliveries_can_be_posted_to_a_test_server(
    sandbox: ExactSandbox, http: httpx.Client, receiver: tuple[str, list[bytes]]
) -> None:
    url, received = receiver

    def post(delivery: WebhookDelivery) -> None:
        httpx.post(
            delivery.url, content=delivery.body, headers={"Content-Type": "application/json"}
        )

    sandbox.on_webhook(post)
    _subscribe(http, url=url)
    sandbox.add_account(DIVISION, "Acme")
    assert received[0] == b""  # validation ping
    assert json.loads(received[1])["Content"]["Action"] == "Create"
    assert verify(received[1], sandbox.app.webhook_secret)


def test_a_failing_sender_does_not_fail_the_api_call(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    def broken(delivery: WebhookDelivery) -> None:
        raise ConnectionError("receiver down")

    sandbox.on_webhook(broken)
    assert _subscribe(http).status_code == 201
    assert len(sandbox.webhook_deliveries) == 1


def test_sign_is_upper_case_hex_hmac_sha256() -> None:
    assert (
        sign(b'{"a":1}', "key") == hmac.new(b"key", b'{"a":1}', hashlib.sha256).hexdigest().upper()
    )


def test_a_receiver_may_call_back_into_the_sandbox(
    sandbox: ExactSandbox, tokens: dict[str, str]
) -> None:
    """Deliveries leave after the request's lock is released: fetching by Key works."""
    with sandbox.serve() as server:
        fetched: list[int] = []

        def fetch_by_key(delivery: WebhookDelivery) -> None:
            if delivery.topic is None:
                return
            key = delivery.json()["Content"]["Key"]
            response = httpx.get(
                f"{server.url}{api(f'crm/Accounts(guid{chr(39)}{key}{chr(39)})')}",
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
                timeout=5,
            )
            fetched.append(response.status_code)

        sandbox.on_webhook(fetch_by_key)
        with httpx.Client(base_url=server.url, timeout=5) as client:
            client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
            _subscribe(client)
            assert client.post(api("crm/Accounts"), json={"Name": "Acme"}).status_code == 201
        sandbox.change(
            DIVISION, "crm/Accounts", sandbox.records(DIVISION, "crm/Accounts")[0]["ID"], City="Ede"
        )
    assert fetched == [200, 200]
