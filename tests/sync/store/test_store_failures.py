"""describe_failure: an exception in plain words for the error log."""

from __future__ import annotations

from pathlib import Path

import attrs

from finlink import (
    OutcomeUnknownError,
    Problem,
    RemoteValidationError,
    ServerError,
    SyncError,
    ValidationError,
)
from finlink.clock import SimulatedClock
from finlink.sync.store import SQLiteStore, describe_failure


def test_a_validation_error_gives_field_rule_and_every_problem() -> None:
    exc = ValidationError(
        [
            Problem(
                path="contacts[1].email", rule="email_format", message="is not an e-mail address"
            ),
            Problem(path="iban", rule="iban_checksum", message="has a wrong check digit"),
        ],
        subject="relation C-1",
    )
    report = describe_failure(exc)
    assert (report.kind, report.field_path, report.rule) == (
        "ValidationError",
        "contacts[1].email",
        "email_format",
    )
    assert "iban: has a wrong check digit [iban_checksum]" in report.message
    assert report.retriable is False


def test_a_vendor_refusal_gives_the_vendor_code_message_and_field() -> None:
    exc = RemoteValidationError(
        "SnelStart refused the relation",
        vendor_code="REL-0008",
        vendor_message="Het BTW-nummer is ongeldig.",
        fields=["btwNummer"],
        status_code=400,
    )
    report = describe_failure(exc)
    assert (report.vendor_code, report.message, report.field_path) == (
        "REL-0008",
        "Het BTW-nummer is ongeldig.",
        "btwNummer",
    )
    assert report.retriable is False
    assert report.outcome_unknown is False


def test_an_unknown_outcome_is_marked_so_the_intent_stays() -> None:
    report = describe_failure(OutcomeUnknownError("no answer after sending", reference="DEB-1"))
    assert report.outcome_unknown is True
    assert report.retriable is False


def test_server_and_sync_errors_keep_their_retriability() -> None:
    assert describe_failure(ServerError("Exact answered 503", status_code=503)).retriable is True
    assert describe_failure(SyncError("store locked")).message == "store locked"


def test_a_foreign_exception_shows_only_its_class_name() -> None:
    report = describe_failure(KeyError("token=very-secret"))
    assert "very-secret" not in report.message
    assert report.kind == "KeyError"


def test_a_report_feeds_record_failure_directly(tmp_path: Path) -> None:
    report = describe_failure(RemoteValidationError("refused", vendor_code="REL-0008"))
    with SQLiteStore(tmp_path / "state.db", clock=SimulatedClock()) as store:
        entry = store.record_failure("adm", "relation", "C-1", **attrs.asdict(report))
    assert entry.vendor_code == "REL-0008"
    assert entry.kind == "RemoteValidationError"
