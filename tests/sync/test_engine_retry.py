"""Retrying one record from the error log, as a bookkeeper's "retry" button does."""

from __future__ import annotations

import pytest

from finlink import ConfigurationError, RemoteValidationError, ServerError, SyncError
from finlink.backends.faults import FailWith
from finlink.sync import OutcomeStatus
from tests.sync.engine_helpers import World, crm_relation

ADM = "exact:1"


def _failed_while_down() -> World:
    world = World(single=True)
    world.exact.inject("create_relation", FailWith(ServerError("503", status_code=503)), times=2)
    report = world.engine.sync_relations([crm_relation(0)])
    assert not report.ok
    # A batch keeps the record in the outbox with a backoff; process_outbox tries it once more.
    world.engine.process_outbox()
    assert world.exact.stored_relations() == []
    return world


def test_retry_sends_the_record_now_and_clears_its_error() -> None:
    world = _failed_while_down()
    error = world.store.get_error(ADM, "relation", "crm-0")
    assert error is not None
    assert error.attempts == 2
    # Backing off: an ordinary outbox run sends nothing yet.
    assert world.engine.process_outbox().outcomes == []
    # The vendor is back; the bookkeeper presses "retry".
    report = world.engine.retry(ADM, "relation", "crm-0")
    assert report.ok
    assert [o.status for o in report.outcomes if o.operation.entity == "relation"] == [
        OutcomeStatus.DONE
    ]
    (stored,) = world.exact.stored_relations()
    assert stored.data.name == crm_relation(0).name
    assert world.store.get_error(ADM, "relation", "crm-0") is None
    assert world.store.outbox_depth() == 0
    assert world.store.get_link(ADM, "relation", "crm-0") is not None


def test_a_retry_that_fails_again_counts_the_attempt_and_keeps_the_record_retryable() -> None:
    world = _failed_while_down()
    world.exact.inject("create_relation", FailWith(ServerError("still 503", status_code=503)))
    report = world.engine.retry(ADM, "relation", "crm-0")
    assert not report.ok
    error = world.store.get_error(ADM, "relation", "crm-0")
    assert error is not None
    assert error.attempts == 3
    assert "still 503" in error.message
    assert world.store.outbox_depth() == 1
    # Still retryable: the next press goes through.
    assert world.engine.retry(ADM, "relation", "crm-0").ok
    assert world.store.get_error(ADM, "relation", "crm-0") is None


def test_a_retry_while_the_administration_cannot_be_read_is_counted_with_its_reason() -> None:
    world = _failed_while_down()
    world.exact.inject("read_relations", FailWith(ServerError("read down", status_code=503)))
    report = world.engine.retry(ADM, "relation", "crm-0")
    assert not report.ok
    error = world.store.get_error(ADM, "relation", "crm-0")
    assert error is not None
    assert error.attempts == 3
    assert error.retriable
    assert "read down" in error.message
    assert world.store.outbox_depth() == 1
    # The vendor is back: the next press goes through.
    assert world.engine.retry(ADM, "relation", "crm-0").ok
    assert world.store.get_error(ADM, "relation", "crm-0") is None


def test_a_record_refused_for_its_data_must_come_again_from_the_crm() -> None:
    world = World(single=True)
    world.exact.inject(
        "create_relation",
        FailWith(RemoteValidationError("name too long", vendor_code="REL-0008", fields=["Naam"])),
    )
    world.engine.sync_relations([crm_relation(0)])
    assert world.store.get_error(ADM, "relation", "crm-0") is not None
    with pytest.raises(
        SyncError, match=r"nothing it can send again.*Correct the record in the CRM"
    ):
        world.engine.retry(ADM, "relation", "crm-0")
    assert world.store.get_error(ADM, "relation", "crm-0") is not None


def test_retry_of_an_unknown_record_or_administration_says_so() -> None:
    world = World(single=True)
    with pytest.raises(SyncError, match="nothing to retry"):
        world.engine.retry(ADM, "relation", "crm-404")
    with pytest.raises(ConfigurationError, match="no administration"):
        world.engine.retry("exact:9", "relation", "crm-0")
