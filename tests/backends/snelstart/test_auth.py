"""Auth: clientkey grant, renewal before expiry, one re-auth after a 401, no secrets in logs."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from finlink import AuthenticationError, ValidationError
from finlink.backends import RelationKeys
from finlink.backends.snelstart import SnelStartBackend
from finlink.backends.snelstart.auth import RENEW_MARGIN
from finlink.clock import SimulatedClock
from finlink.testing.snelstart import SnelStartSandbox
from tests.backends.snelstart.samples import booking, contact, relation
from tests.backends.snelstart.support import Rig


def _statuses(rig: Rig) -> list[int]:
    return [call.status for call in rig.admin.calls()]


def test_the_token_is_reused_and_renewed_before_it_expires(rig: Rig, clock: SimulatedClock) -> None:
    rig.backend.read_relations()
    rig.backend.read_relations()
    assert rig.backend.auth.fetched == 1
    clock.advance(seconds=3599 - RENEW_MARGIN.total_seconds() + 1)
    rig.backend.read_relations()
    assert rig.backend.auth.fetched == 2
    assert 401 not in _statuses(rig), "the token was used until SnelStart refused it"


def test_a_revoked_token_is_replaced_once_after_a_401(rig: Rig) -> None:
    answers: list[httpx.Response] = []
    rig.http.event_hooks["response"].append(answers.append)
    rig.backend.read_relations()
    rig.sandbox.revoke_tokens()
    rig.backend.read_relations()
    assert rig.backend.auth.fetched == 2
    assert [r.status_code for r in answers].count(401) == 1


def test_a_lasting_401_is_an_authentication_error(rig: Rig) -> None:
    rig.backend.read_relations()
    rig.gate.armed = True
    with pytest.raises(AuthenticationError):
        rig.backend.read_relations()
    assert rig.backend.auth.fetched == 2, "exactly one re-authentication is tried"


def test_a_refused_koppelsleutel_is_an_authentication_error_without_the_key(
    clock: SimulatedClock,
) -> None:
    sandbox = SnelStartSandbox(clock=clock)
    keys = sandbox.add_administration("Acme")
    wrong = base64.b64encode(b"someone:hunter2").decode()
    with sandbox.client() as http:
        backend = SnelStartBackend(
            administration="snelstart:acme",
            koppelsleutel=wrong,
            subscription_key=keys.subscription_key,
            client=http,
            clock=clock,
            test_key=True,
        )
        with pytest.raises(AuthenticationError) as caught:
            backend.read_relations()
    assert wrong not in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert "koppelsleutel" in str(caught.value)


def test_the_subscription_key_goes_in_the_header_never_the_query(rig: Rig) -> None:
    seen: list[httpx.Request] = []
    rig.http.event_hooks["request"].append(seen.append)
    rig.backend.create_relation(relation(), reference="crm-1")
    rig.backend.find_relations(RelationKeys(reference="crm-1"))
    api_calls = [r for r in seen if r.url.host == "b2bapi.snelstart.nl"]
    assert api_calls
    for request in api_calls:
        assert request.headers["Ocp-Apim-Subscription-Key"] == rig.keys.subscription_key
        assert "subscription-key" not in request.url.params
        assert rig.keys.subscription_key not in str(request.url)


def test_no_log_record_holds_a_key_a_token_or_the_decoded_login(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    username, password = base64.b64decode(rig.keys.koppelsleutel).decode().split(":", 1)
    caplog.set_level(logging.DEBUG)
    made = rig.backend.create_relation(relation(), reference="crm-1")
    rig.backend.create_contact(made.remote_id, contact(), reference="crm-1/c")
    rig.backend.create_booking(
        booking(), relation_remote_id=made.remote_id, project_numbers={}, reference="2026-0001"
    )
    tokens = [rig.backend.auth.current().access_token.reveal()]
    rig.sandbox.revoke_tokens()
    rig.sandbox.faults.throttle("/relaties", retry_after=2)
    rig.backend.read_relations()
    tokens.append(rig.backend.auth.current().access_token.reveal())
    with pytest.raises(ValidationError):
        rig.backend.create_relation(relation(2, name="x" * 60), reference="crm-2")
    rig.gate.armed = True
    with pytest.raises(AuthenticationError):
        rig.backend.read_relations()
    secrets = [rig.keys.koppelsleutel, rig.keys.subscription_key, username, password, *tokens]
    assert len(caplog.records) > 10, "the run logged too little to prove anything"
    for record in caplog.records:
        text = " ".join(
            [record.getMessage(), record.exc_text or "", str(record.args), str(record.__dict__)]
        )
        for secret in secrets:
            assert secret not in text, f"a secret leaked in a log record of {record.name}"
    for shown in (repr(rig.backend), repr(rig.backend.auth), repr(rig.backend.api)):
        for secret in secrets:
            assert secret not in shown
