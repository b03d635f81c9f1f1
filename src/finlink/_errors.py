"""Every error finlink raises, in one tree.

```
FinlinkError                      base of everything finlink raises
├── ValidationError (ValueError)  the caller's data breaks a rule; carries every Problem at once
├── ConfigurationError            finlink is set up wrongly (unknown backend, missing credential)
├── BackendError                  talking to an accounting system went wrong
│   ├── AuthenticationError       credentials refused or expired; a person must act (re-consent)
│   ├── PermissionDeniedError     authenticated, but not allowed (division not consented, scope)
│   ├── NotFoundError             the remote record does not exist (any more)
│   ├── ConflictError             the remote side refuses because of its current state
│   ├── RateLimitError            too many calls; ``retry_after`` says how long to wait
│   ├── ServerError               the vendor failed (5xx)
│   ├── TransportError            no answer: connection refused, timeout before sending
│   ├── OutcomeUnknownError       a write may or may not have reached the server: probe first
│   └── RemoteValidationError     the vendor refused the payload (vendor code and message)
└── SyncError                     the sync engine could not carry out an operation
    └── StoreUnavailableError     the state store's database cannot be reached (retry later)
```

Every class answers :attr:`FinlinkError.retriable`: whether repeating the *same* call later
may succeed without anyone changing data or configuration. ``OutcomeUnknownError`` is
retriable only after the engine has looked the record up by its reference, which is why it
says ``False``: a blind retry may create a duplicate.

Errors never carry secrets in their text: backends build messages from status codes,
vendor codes and field names, never from request headers or bodies with credentials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import ClassVar

import attrs

__all__ = [
    "AuthenticationError",
    "BackendError",
    "ConfigurationError",
    "ConflictError",
    "FinlinkError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "Problem",
    "RateLimitError",
    "RemoteValidationError",
    "ServerError",
    "StoreUnavailableError",
    "SyncError",
    "TransportError",
    "ValidationError",
]


class FinlinkError(Exception):
    """Base class of every error finlink raises."""

    #: Whether repeating the same call later, unchanged, may succeed.
    retriable: ClassVar[bool] = False


@attrs.frozen(kw_only=True)
class Problem:
    """One broken rule: where it is, which rule, and what to do about it, in plain words.

    Attributes:
        path: The field path inside the record, e.g. ``contacts[1].email`` (empty for the
            record as a whole).
        rule: A short stable rule name, e.g. ``iban_checksum`` or ``max_length``; hosts can
            switch on it.
        message: A sentence a bookkeeper can read.
        value: The offending value as text (``None`` when it should not be shown).
    """

    path: str
    rule: str
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = self.path or "<record>"
        return f"{where}: {self.message} [{self.rule}]"


class ValidationError(FinlinkError, ValueError):
    """The caller's data breaks one or more rules; all of them are in :attr:`problems`.

    It is also a :class:`ValueError`, so code that catches bad input the usual way catches it.
    Never retriable: the data has to change first.
    """

    retriable: ClassVar[bool] = False

    def __init__(self, problems: Iterable[Problem], *, subject: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ValidationError needs at least one problem")
        self.subject = subject
        head = f"{subject} is invalid" if subject else "invalid data"
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        plural = "s" if count != 1 else ""
        super().__init__(f"{head} ({count} problem{plural}):\n{lines}")

    @property
    def paths(self) -> tuple[str, ...]:
        """The field path of every problem, in order."""
        return tuple(p.path for p in self.problems)

    def prefixed(self, prefix: str) -> ValidationError:
        """Return the same problems with ``prefix`` put before every path (for nested records)."""
        return ValidationError(
            (attrs.evolve(p, path=_join_path(prefix, p.path)) for p in self.problems),
            subject=self.subject,
        )


def _join_path(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


class ConfigurationError(FinlinkError):
    """finlink is configured wrongly: an unknown backend, a missing credential, a bad mapping."""


class BackendError(FinlinkError):
    """Talking to an accounting system failed.

    Attributes:
        status_code: The HTTP status, where there was one.
        vendor_code: The vendor's own error code (e.g. SnelStart ``REL-0008``), where given.
        administration: The administration the call was for, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        vendor_code: str | None = None,
        administration: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.vendor_code = vendor_code
        self.administration = administration


class AuthenticationError(BackendError):
    """The credentials were refused or have expired; a person has to act (e.g. re-consent)."""


class PermissionDeniedError(BackendError):
    """Authenticated, but not allowed to do this (a division not consented, a missing scope)."""


class NotFoundError(BackendError):
    """The remote record does not exist, or no longer exists."""


class ConflictError(BackendError):
    """The remote side refuses the write because of its current state (e.g. a duplicate key)."""


class RateLimitError(BackendError):
    """Too many calls; wait :attr:`retry_after` before the next one.

    Attributes:
        retry_after: How long the server asked us to wait, where it said so.
    """

    retriable: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: timedelta | None = None,
        status_code: int | None = 429,
        vendor_code: str | None = None,
        administration: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            vendor_code=vendor_code,
            administration=administration,
        )
        self.retry_after = retry_after


class ServerError(BackendError):
    """The vendor's server failed (HTTP 5xx)."""

    retriable: ClassVar[bool] = True


class TransportError(BackendError):
    """No answer came back: connection refused, DNS failure, a timeout before the request left."""

    retriable: ClassVar[bool] = True


class OutcomeUnknownError(BackendError):
    """A write may or may not have reached the server.

    A blind retry could create a duplicate, so this is not retriable as it stands: the engine
    first looks the record up by the reference it wrote, then writes again only if it is
    missing.

    Attributes:
        reference: The deterministic reference the write carried, to probe by.
    """

    def __init__(
        self,
        message: str,
        *,
        reference: str | None = None,
        status_code: int | None = None,
        administration: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, administration=administration)
        self.reference = reference


class RemoteValidationError(BackendError):
    """The vendor refused the payload; :attr:`vendor_code` and :attr:`vendor_message` say why.

    Attributes:
        vendor_message: The vendor's own text, e.g. SnelStart's REL-0008 message.
        fields: The vendor's field names the refusal is about, where given.
    """

    def __init__(
        self,
        message: str,
        *,
        vendor_code: str | None = None,
        vendor_message: str | None = None,
        fields: Sequence[str] = (),
        status_code: int | None = None,
        administration: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            vendor_code=vendor_code,
            administration=administration,
        )
        self.vendor_message = vendor_message
        self.fields = tuple(fields)


class SyncError(FinlinkError):
    """The sync engine could not carry out an operation (state store trouble, a refused plan)."""


class StoreUnavailableError(SyncError):
    """The state store's database cannot be reached: the connection broke, the server is down.

    Retriable: nothing was half-written. The store's transaction was rolled back whole or
    never reached the server (or, when the connection broke during ``COMMIT`` itself, it
    committed whole), so the same call may be made again once the database is back.
    """

    retriable: ClassVar[bool] = True
