"""OAuth token sets and where they are kept, under a lock so one process refreshes at a time.

Exact rotates the refresh token on every refresh and refuses the old one ("Old refresh token
used"), and refuses a refresh within 570 s of the previous one (exact-online.md §1.3, §1.4):
two processes that refresh the same connection on their own lock each other out, and the
user has to consent again. So a backend refreshes like this::

    with store.lock(key):
        tokens = store.load(key)          # re-read: another process may have refreshed
        if tokens is None or tokens.expires_within(now, timedelta(seconds=30)):
            tokens = fetch_new_tokens(tokens)
            store.save(key, tokens)        # before using them

SnelStart has no refresh token: a new access token is fetched with the koppelsleutel every
hour (snelstart.md §1.2), which the same pattern covers with ``refresh_token=None``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import attrs

from finlink._errors import BackendError
from finlink.http._secrets import Secret

__all__ = ["MemoryTokenStore", "TokenSet", "TokenStore"]


def _aware(_instance: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


def _secret(value: str | Secret) -> Secret:
    return Secret.of(value)


def _secret_or_none(value: str | Secret | None) -> Secret | None:
    return None if value is None else Secret.of(value)


def _frozen_extra(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class TokenSet:
    """An access token, maybe a refresh token, and when they were issued and expire.

    The tokens are :class:`~finlink.http.Secret` values: the ``repr`` of a token set shows
    the times, never the tokens.

    Attributes:
        access_token: What goes into ``Authorization: Bearer …``.
        refresh_token: Exact's refresh token (rotated on every refresh); ``None`` for
            SnelStart, which has none.
        token_type: The scheme, usually ``"Bearer"``.
        issued_at: When the token endpoint issued the access token (aware).
        expires_at: When the access token expires (aware).
        extra: A small mapping of strings a backend wants to keep beside the tokens
            (the scopes, the Exact country host).

    Raises:
        ValueError: On naive datetimes or an ``expires_at`` before ``issued_at``.
    """

    access_token: Secret = attrs.field(converter=_secret)
    refresh_token: Secret | None = attrs.field(default=None, converter=_secret_or_none)
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a credential
    issued_at: datetime = attrs.field(validator=_aware)
    expires_at: datetime = attrs.field(validator=_aware)
    extra: Mapping[str, str] = attrs.field(
        factory=dict, converter=_frozen_extra, hash=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        if self.expires_at < self.issued_at:
            raise ValueError("expires_at is before issued_at")

    @classmethod
    def from_token_response(cls, body: Mapping[str, Any], *, now: datetime) -> TokenSet:
        """Build a token set from an OAuth token endpoint's JSON answer.

        Reads ``access_token``, ``refresh_token`` (optional), ``token_type`` and
        ``expires_in``, which Exact sends as a JSON *string* (``"600"``, exact-online.md
        §1.2) and SnelStart as a number (``3599``, snelstart.md §1.2).

        Args:
            body: The decoded JSON answer.
            now: When the answer arrived (aware); ``issued_at``.

        Raises:
            BackendError: When the answer has no access token or no readable ``expires_in``.
                The message never quotes the body.
        """
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise BackendError("the token endpoint's answer has no access_token")
        try:
            seconds = int(str(body.get("expires_in")).strip())
        except ValueError as exc:
            raise BackendError("the token endpoint's answer has no readable expires_in") from exc
        refresh = body.get("refresh_token")
        return cls(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            token_type=str(body.get("token_type") or "Bearer"),
            issued_at=now,
            expires_at=now + timedelta(seconds=seconds),
        )

    def expires_within(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        """Whether the access token has expired at ``now + margin``."""
        return now + margin >= self.expires_at

    def age(self, now: datetime) -> timedelta:
        """How long ago the access token was issued (Exact refuses refreshes before 570 s)."""
        return now - self.issued_at

    def authorization(self) -> str:
        """The ``Authorization`` header value, ``"Bearer <token>"``. Keep it out of logs."""
        scheme = "Bearer" if self.token_type.lower() == "bearer" else self.token_type
        return f"{scheme} {self.access_token.reveal()}"

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict *with the tokens revealed*: only for a token store to persist."""
        return {
            "access_token": self.access_token.reveal(),
            "refresh_token": self.refresh_token.reveal() if self.refresh_token else None,
            "token_type": self.token_type,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        """Read back what :meth:`to_json_dict` wrote.

        Raises:
            ValueError: When a field is missing or malformed (the message names the field,
                never a token).
        """
        try:
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=data.get("refresh_token"),
                token_type=str(data.get("token_type") or "Bearer"),
                issued_at=datetime.fromisoformat(str(data["issued_at"])),
                expires_at=datetime.fromisoformat(str(data["expires_at"])),
                extra={str(k): str(v) for k, v in dict(data.get("extra") or {}).items()},
            )
        except KeyError as exc:
            raise ValueError(f"stored token set lacks {exc.args[0]!r}") from None


@runtime_checkable
class TokenStore(Protocol):
    """Keeps one :class:`TokenSet` per key (a connection or administration).

    ``lock(key)`` is held by whoever refreshes; callers re-read with ``load`` after taking it,
    because another thread or process may have refreshed meanwhile. ``load`` and ``save``
    work without the lock too (a save is atomic), but a refresh must happen under it. Locks
    are not reentrant.
    """

    def load(self, key: str) -> TokenSet | None:
        """The stored token set, or ``None``."""
        ...

    def save(self, key: str, tokens: TokenSet) -> None:
        """Store ``tokens`` under ``key``, replacing what was there."""
        ...

    def lock(self, key: str) -> AbstractContextManager[None]:
        """A context manager held while refreshing ``key``'s tokens."""
        ...


class MemoryTokenStore:
    """A :class:`TokenStore` in a dict, for one process (tests, scripts). Thread-safe."""

    def __init__(self) -> None:
        self._tokens: dict[str, TokenSet] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def load(self, key: str) -> TokenSet | None:
        """See :meth:`TokenStore.load`."""
        with self._guard:
            return self._tokens.get(key)

    def save(self, key: str, tokens: TokenSet) -> None:
        """See :meth:`TokenStore.save`."""
        with self._guard:
            self._tokens[key] = tokens

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """See :meth:`TokenStore.lock`: a thread lock per key."""
        with self._guard:
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            yield

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={sorted(self._tokens)!r})"


def dumps_tokens(tokens: Mapping[str, TokenSet]) -> str:
    """Serialise a key → token set mapping for a file (tokens revealed)."""
    return json.dumps(
        {"version": 1, "tokens": {k: t.to_json_dict() for k, t in sorted(tokens.items())}},
        indent=2,
    )


def loads_tokens(text: str) -> dict[str, TokenSet]:
    """Read what :func:`dumps_tokens` wrote.

    Raises:
        ValueError: On a file that is not such a document.
    """
    data = json.loads(text) if text.strip() else {"version": 1, "tokens": {}}
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), dict):
        raise ValueError("not a finlink token file")
    return {str(k): TokenSet.from_json_dict(v) for k, v in data["tokens"].items()}
