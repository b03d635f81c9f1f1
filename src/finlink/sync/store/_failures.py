"""Turning an exception into the plain-words error-log fields of ``record_failure``."""

from __future__ import annotations

import attrs

from finlink._errors import (
    BackendError,
    FinlinkError,
    OutcomeUnknownError,
    RemoteValidationError,
    ValidationError,
)

__all__ = ["FailureReport", "describe_failure"]


@attrs.frozen(kw_only=True)
class FailureReport:
    """What the error log keeps about one failure; the keyword arguments of ``record_failure``.

    Use as ``store.record_failure(adm, entity, key, **attrs.asdict(report))``.

    Attributes:
        kind: The error class name, e.g. ``"RemoteValidationError"``.
        message: What went wrong, in plain words.
        retriable: Whether trying again unchanged may succeed.
        field_path: The field it is about, where known.
        rule: The rule broken, where known.
        vendor_code: The vendor's own code, where given.
        outcome_unknown: Whether the write may have reached the vendor (probe before retrying).
    """

    kind: str
    message: str
    retriable: bool
    field_path: str | None = None
    rule: str | None = None
    vendor_code: str | None = None
    outcome_unknown: bool = False


def describe_failure(exc: BaseException) -> FailureReport:
    """Describe ``exc`` for the error log.

    A :class:`~finlink.ValidationError` gives its first problem's field and rule and lists every
    problem in the message; a :class:`~finlink.RemoteValidationError` the vendor's code, its
    own message and the first field it names; an :class:`~finlink.OutcomeUnknownError` marks
    the outcome unknown. finlink's errors never carry secrets, so their text is kept; of any
    other exception only the class name is, since its text may hold anything.
    """
    kind = type(exc).__name__
    if isinstance(exc, ValidationError):
        first = exc.problems[0]
        return FailureReport(
            kind=kind,
            message="; ".join(str(problem) for problem in exc.problems),
            retriable=False,
            field_path=first.path or None,
            rule=first.rule,
        )
    if isinstance(exc, RemoteValidationError):
        return FailureReport(
            kind=kind,
            message=exc.vendor_message or exc.message,
            retriable=exc.retriable,
            field_path=exc.fields[0] if exc.fields else None,
            vendor_code=exc.vendor_code,
        )
    if isinstance(exc, OutcomeUnknownError):
        return FailureReport(kind=kind, message=exc.message, retriable=False, outcome_unknown=True)
    if isinstance(exc, BackendError):
        return FailureReport(
            kind=kind, message=exc.message, retriable=exc.retriable, vendor_code=exc.vendor_code
        )
    if isinstance(exc, FinlinkError):
        return FailureReport(kind=kind, message=str(exc), retriable=exc.retriable)
    return FailureReport(
        kind=kind,
        message=f"an unexpected {kind} (its details are in the application log)",
        retriable=False,
    )
