"""No client id, client secret, token, code or webhook secret in any log record of a run."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest

from finlink import AuthenticationError, BookingKind, RelationRole, VatCategory
from finlink.backends.exact import parse_webhook
from finlink.http import MemoryTokenStore
from finlink.model.booking import Attachment, Booking, BookingLine
from finlink.model.relation import Contact, Relation
from tests.backends.exact.support import connected_backend, new_sandbox


def test_a_whole_run_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox, clock = new_sandbox()
    store = MemoryTokenStore()
    secrets = {sandbox.app.client_id, sandbox.app.client_secret, sandbox.app.webhook_secret}

    def remember_tokens() -> None:
        tokens = store.load("exact")
        assert tokens is not None
        secrets.add(tokens.access_token.reveal())
        assert tokens.refresh_token is not None
        secrets.add(tokens.refresh_token.reveal())

    backend = connected_backend(sandbox, store=store)
    remember_tokens()
    backend.subscribe_webhook("Accounts", "https://crm.example.nl/exact/webhook")
    made = backend.create_relation(
        Relation(
            id="crm-1",
            name="Klant",
            roles=frozenset({RelationRole.CUSTOMER}),
            iban="NL91ABNA0417164300",
        ),
        reference="crm-1",
    )
    backend.create_contact(made.remote_id, Contact(id="c", last_name="Jansen"), reference="c")
    booking = Booking(
        id="b1",
        kind=BookingKind.SALES_INVOICE,
        relation_id="crm-1",
        invoice_number="F1",
        invoice_date=date(2026, 3, 2),
        lines=(
            BookingLine(ledger_account="8000", amount=Decimal(10), vat_category=VatCategory.HIGH),
        ),
    )
    entry = backend.create_booking(
        booking, relation_remote_id=made.remote_id, project_numbers={}, reference="F1"
    )
    backend.attach_document(entry.remote_id, Attachment(file_name="F1.pdf", content=b"%PDF"))
    clock.advance(590)
    backend.read_relations()  # refreshes first
    remember_tokens()
    parse_webhook(sandbox.webhook_deliveries[-1].body, sandbox.app.webhook_secret)
    clock.advance(days=31)
    with pytest.raises(AuthenticationError) as dead:
        backend.read_relations()
    texts = [str(dead.value)]
    ours = [r for r in caplog.records if not r.name.startswith("finlink.testing")]
    assert ours, "the run logged nothing at all: the check would prove nothing"
    assert any(r.name == "finlink.backends.exact" for r in ours), "the refresh was logged"
    for record in ours:
        texts.append(record.getMessage())
        texts.extend(str(arg) for arg in (record.args or ()))
    leaks = {secret for secret in secrets for text in texts if secret in text}
    assert not leaks, f"{len(leaks)} secret(s) appeared in log records or errors"
