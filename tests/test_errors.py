"""The error tree: classes, retriability, and messages."""

from __future__ import annotations

from datetime import timedelta

import pytest

import finlink
from finlink import (
    AuthenticationError,
    BackendError,
    ConfigurationError,
    ConflictError,
    FinlinkError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    Problem,
    RateLimitError,
    RemoteValidationError,
    ServerError,
    SyncError,
    TransportError,
    ValidationError,
)


@pytest.mark.parametrize(
    "cls",
    [
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        RateLimitError,
        ServerError,
        TransportError,
        OutcomeUnknownError,
        RemoteValidationError,
    ],
)
def test_every_backend_error_is_a_finlink_error(cls: type[BackendError]) -> None:
    assert issubclass(cls, BackendError)
    assert issubclass(cls, FinlinkError)


def test_retriable_errors_are_exactly_the_transient_ones() -> None:
    retriable = {
        name
        for name in finlink.__all__
        if isinstance(cls := getattr(finlink, name), type)
        and issubclass(cls, FinlinkError)
        and cls.retriable
    }
    assert retriable == {
        "RateLimitError",
        "ServerError",
        "StoreUnavailableError",
        "TransportError",
    }


def test_outcome_unknown_is_not_blindly_retriable_and_carries_the_reference() -> None:
    error = OutcomeUnknownError("timeout after POST", reference="F2026-0001", status_code=None)
    assert not error.retriable
    assert error.reference == "F2026-0001"


def test_rate_limit_error_carries_the_wait() -> None:
    error = RateLimitError("slow down", retry_after=timedelta(seconds=30), administration="exact:1")
    assert error.retry_after == timedelta(seconds=30)
    assert error.status_code == 429
    assert error.administration == "exact:1"


def test_remote_validation_error_carries_the_vendor_code() -> None:
    error = RemoteValidationError(
        "SnelStart refused the relation",
        vendor_code="REL-0008",
        vendor_message="Relatiecode bestaat al",
        fields=["relatiecode"],
        status_code=400,
    )
    assert (error.vendor_code, error.vendor_message, error.fields) == (
        "REL-0008",
        "Relatiecode bestaat al",
        ("relatiecode",),
    )
    assert str(error) == "SnelStart refused the relation"


def test_validation_error_needs_a_problem_and_prefixes_paths() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        ValidationError([])
    error = ValidationError(
        [
            Problem(path="email", rule="email_format", message="bad"),
            Problem(path="[0].id", rule="type", message="bad"),
            Problem(path="", rule="x", message="bad"),
        ]
    )
    assert error.prefixed("contacts").paths == ("contacts.email", "contacts[0].id", "contacts")
    assert error.prefixed("").paths == error.paths
    assert str(error).startswith("invalid data (3 problems):")
    assert "  - <record>: bad [x]" in str(error)


def test_single_problem_message_is_singular() -> None:
    error = ValidationError(
        [Problem(path="iban", rule="iban", message="bad")], subject="relation 'x'"
    )
    assert str(error) == "relation 'x' is invalid (1 problem):\n  - iban: bad [iban]"


def test_other_errors_are_plain_finlink_errors() -> None:
    assert issubclass(ConfigurationError, FinlinkError)
    assert issubclass(SyncError, FinlinkError)
    assert not ConfigurationError.retriable
