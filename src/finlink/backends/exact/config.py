"""``exact_from_config``: an ``ExactBackend`` from flat settings, as a configuration file has."""

from __future__ import annotations

from typing import Any

from finlink._errors import ConfigurationError
from finlink.backends.exact.auth import ExactOAuth
from finlink.backends.exact.backend import ExactBackend
from finlink.http import Secret, TokenStore

__all__ = ["exact_from_config"]


def exact_from_config(
    *,
    division: int,
    token_store: TokenStore,
    oauth: ExactOAuth | None = None,
    client_id: str | Secret | None = None,
    client_secret: str | Secret | None = None,
    redirect_uri: str | None = None,
    host: str = "nl",
    token_key: str = "exact",  # noqa: S107 - the stored token's name, not a secret
    **options: Any,
) -> ExactBackend:
    """Create an ``ExactBackend`` from plain values (the ``exact`` entry point).

    A ``finlink.toml`` administration with ``backend = "exact"`` is made through this: the app
    registration comes as ``client_id``, ``client_secret`` (from the environment),
    ``redirect_uri`` and ``host`` instead of an :class:`ExactOAuth` object.

    Args:
        division: The Exact division number.
        client_id: The app's client id.
        client_secret: The app's client secret.
        redirect_uri: The redirect URI registered in the App Center.
        token_store: Where the connection's tokens are kept.
        oauth: The app registration as an object (instead of the next four values).
        host: The country (``nl``, ``be``...) or a full host URL.
        token_key: The tokens' key in the store (one per Exact user connection).
        options: Any other keyword argument of :class:`ExactBackend` (``name``...).

    Raises:
        ConfigurationError: A value is missing or of the wrong kind.
    """
    if oauth is None:
        given = {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
        }
        missing = [key for key, value in given.items() if value is None]
        if client_id is None or client_secret is None or redirect_uri is None:
            raise ConfigurationError(f"Exact Online settings: {', '.join(missing)} missing")
        oauth = _oauth(client_id, client_secret, redirect_uri, host)
    try:
        return ExactBackend(
            oauth=oauth,
            division=int(division),
            token_store=token_store,
            token_key=token_key,
            **options,
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"Exact Online settings: {exc}") from exc


def _oauth(
    client_id: str | Secret, client_secret: str | Secret, redirect_uri: str, host: str
) -> ExactOAuth:
    try:
        return ExactOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri, host=host
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"Exact Online settings: {exc}") from exc
