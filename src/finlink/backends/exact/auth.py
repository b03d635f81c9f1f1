"""OAuth 2.0 for Exact Online: consent URL, code exchange, and the 570-second refresh rule.

Exact's token rules (reference ``exact-online.md`` §1):

- one host per country (§1.1); the authorize and token URLs are ``{host}/api/oauth2/auth``
  and ``{host}/api/oauth2/token``;
- an access token lives 600 s (``expires_in`` is the *string* ``"600"``, §1.2) and may be
  refreshed only **570 s or more** after it was issued: earlier, Exact answers 400
  ``access_denied`` with ``Reason: TooEarlyToRefreshTokens`` (§1.3, §6 quirk 6);
- every refresh rotates the refresh token and the old one is refused with 401
  ``Old refresh token used`` (§1.3, §1.4): so the refresh runs under the
  :class:`~finlink.http.TokenStore` lock, **re-reads the stored tokens after taking it** (another
  process may have refreshed meanwhile) and saves the new pair before using it;
- a refresh token unused for 30 days dies (400 ``The refresh token expired at …``): then only
  a new consent helps, and :class:`~finlink.AuthenticationError` says so.

Credentials are :class:`~finlink.http.Secret` values; nothing here logs a token, a secret or
a client id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode

import attrs
import httpx

from finlink._errors import AuthenticationError, ConfigurationError, ServerError, TransportError
from finlink.clock import Clock
from finlink.http import Secret, TokenSet, TokenStore

__all__ = [
    "COUNTRY_HOSTS",
    "EARLIEST_REFRESH",
    "ExactAuth",
    "ExactOAuth",
    "exact_host",
]

logger = logging.getLogger("finlink.backends.exact")

#: Exact Online hosts per country (§1.1); an account lives on exactly one of them.
COUNTRY_HOSTS: Mapping[str, str] = {
    "nl": "https://start.exactonline.nl",
    "be": "https://start.exactonline.be",
    "de": "https://start.exactonline.de",
    "uk": "https://start.exactonline.co.uk",
    "co.uk": "https://start.exactonline.co.uk",
    "gb": "https://start.exactonline.co.uk",
    "fr": "https://start.exactonline.fr",
    "es": "https://start.exactonline.es",
    "us": "https://start.exactonline.com",
    "com": "https://start.exactonline.com",
}

#: The earliest moment after issue that Exact accepts a refresh (§1.3: "≥ 570 s").
EARLIEST_REFRESH = timedelta(seconds=570)

#: After a TooEarlyToRefreshTokens refusal, how long no refresh is tried again.
_TOO_EARLY_PAUSE = timedelta(seconds=30)
_TOKEN_PATH = "/api/oauth2/token"  # noqa: S105 - a URL path, not a credential
_AUTH_PATH = "/api/oauth2/auth"
_RECONSENT = (
    "the user must consent again: send them to ExactOAuth.authorization_url() and pass the "
    "code they bring back to ExactOAuth.exchange_code()"
)


def exact_host(country_or_url: str) -> str:
    """The base URL for a country code (``nl``, ``be``, ``co.uk``…) or a URL given as is.

    Raises:
        ConfigurationError: For an unknown country code.
    """
    value = country_or_url.strip().rstrip("/")
    if value.startswith(("https://", "http://")):
        return value
    host = COUNTRY_HOSTS.get(value.lower().lstrip("."))
    if host is None:
        known = ", ".join(sorted(COUNTRY_HOSTS))
        raise ConfigurationError(f"unknown Exact Online country {value!r}; known: {known}")
    return host


def _secret(value: str | Secret) -> Secret:
    return Secret.of(value)


@attrs.frozen(kw_only=True)
class ExactOAuth:
    """An app registration in Exact's App Center, on one country host.

    Attributes:
        client_id: The app's client id (a :class:`~finlink.http.Secret`: kept out of logs).
        client_secret: The app's client secret.
        redirect_uri: The registered HTTPS redirect URI (§1.2).
        host: The country host, e.g. ``https://start.exactonline.be`` (see :func:`exact_host`).
    """

    client_id: Secret = attrs.field(converter=_secret)
    client_secret: Secret = attrs.field(converter=_secret)
    redirect_uri: str
    host: str = attrs.field(default=COUNTRY_HOSTS["nl"], converter=exact_host)

    @property
    def token_url(self) -> str:
        """``{host}/api/oauth2/token``."""
        return self.host + _TOKEN_PATH

    def authorization_url(self, *, state: str | None = None, force_login: bool = False) -> str:
        """The consent screen URL to send the user to (§1.2).

        On that screen the user picks the divisions the app may reach (§1.2 "Consent &
        divisions"); Exact then redirects to ``redirect_uri`` with ``?code=`` (valid 3 minutes,
        single use).
        """
        params = {
            "client_id": self.client_id.reveal(),
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "force_login": "1" if force_login else "0",
        }
        if state is not None:
            params["state"] = state
        return f"{self.host}{_AUTH_PATH}?{urlencode(params)}"

    def exchange_code(self, code: str, *, http: httpx.Client, clock: Clock) -> TokenSet:
        """Trade the authorization code for the first token pair.

        The code is URL-decoded first when it still carries escapes (``%21`` → ``!``, §1.2).

        Raises:
            AuthenticationError: Exact refused the code (expired, used, wrong redirect URI)
                or the client credentials.
            ServerError, TransportError: The token endpoint failed or could not be reached.
        """
        form = {
            "grant_type": "authorization_code",
            "code": unquote(code) if "%" in code else code,
            "redirect_uri": self.redirect_uri,
        }
        return self._token_call(form, http=http, clock=clock)

    def refresh(self, tokens: TokenSet, *, http: httpx.Client, clock: Clock) -> TokenSet:
        """One refresh call; the caller holds the store lock and saves the answer.

        Raises:
            AuthenticationError: The refresh token is dead (expired, rotated away) or the
                refresh came too early (``vendor_code`` ``TooEarlyToRefreshTokens``).
            ServerError, TransportError: As :meth:`exchange_code`.
        """
        if tokens.refresh_token is None:
            raise AuthenticationError(
                f"the stored Exact Online tokens have no refresh token; {_RECONSENT}"
            )
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token.reveal()}
        return self._token_call(form, http=http, clock=clock)

    def _token_call(self, form: dict[str, str], *, http: httpx.Client, clock: Clock) -> TokenSet:
        form = {
            **form,
            "client_id": self.client_id.reveal(),
            "client_secret": self.client_secret.reveal(),
        }
        try:
            response = http.post(self.token_url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            kind = type(exc).__name__
            raise TransportError(f"no answer from Exact Online's token endpoint ({kind})") from exc
        if response.status_code >= 500:
            raise ServerError(
                f"Exact Online's token endpoint failed with HTTP {response.status_code}",
                status_code=response.status_code,
            )
        body = _json(response)
        if response.status_code != 200:
            raise _token_refusal(response, body)
        tokens = TokenSet.from_token_response(body, now=clock.now())
        return attrs.evolve(tokens, extra={"host": self.host})


def _json(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _token_refusal(response: httpx.Response, body: Mapping[str, Any]) -> AuthenticationError:
    """The error for a refused token call; texts are Exact's, which never quote a token."""
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or error or f"HTTP {response.status_code}")
    reason = response.headers.get("Reason")
    if reason == "TooEarlyToRefreshTokens" or "not expired" in description:
        # §1.3: refreshing < 570 s after the previous issue; another process did it first.
        return AuthenticationError(
            "Exact Online refused a refresh within 570 s of the previous one "
            "(TooEarlyToRefreshTokens)",
            status_code=response.status_code,
            vendor_code="TooEarlyToRefreshTokens",
        )
    if error == "invalid_client":
        return AuthenticationError(
            "Exact Online refused the app's client id or secret; check the App Center "
            "registration and the country host",
            status_code=response.status_code,
            vendor_code=error,
        )
    return AuthenticationError(
        f"Exact Online refused the token request: {description}; {_RECONSENT}",
        status_code=response.status_code,
        vendor_code=error or None,
    )


class ExactAuth(httpx.Auth):
    """``httpx.Auth`` for Exact Online: a Bearer token, refreshed in the 570-600 s window.

    Args:
        oauth: The app registration and host.
        store: Where the tokens live; shared by every process using this connection.
        key: The token set's key in ``store`` (one per Exact user connection).
        http: The client the token endpoint is called with (the backend's own).
        clock: What "now" is; tokens are aged on it.

    The refresh happens before a call when the token is 570 s old or more, and after a 401
    once (:meth:`on_unauthorized`, for :class:`~finlink.http.ApiClient`). It never happens
    earlier: Exact would refuse it (§1.3).
    """

    def __init__(
        self, oauth: ExactOAuth, store: TokenStore, key: str, *, http: httpx.Client, clock: Clock
    ) -> None:
        self.oauth = oauth
        self.store = store
        self.key = key
        self.http = http
        self.clock = clock
        self._tokens: TokenSet | None = None
        self._lock = threading.Lock()
        self._blocked_until = datetime.min.replace(tzinfo=UTC)
        #: Refreshes this instance made (for tests and benchmarks).
        self.refreshes = 0

    def save(self, tokens: TokenSet) -> None:
        """Store a token set (from :meth:`ExactOAuth.exchange_code`) under the lock."""
        with self._lock, self.store.lock(self.key):
            self.store.save(self.key, tokens)
            self._tokens = tokens

    def tokens(self) -> TokenSet:
        """The token set to send now, refreshed first when it is 570 s old or more.

        Raises:
            AuthenticationError: No tokens stored (connect first) or the refresh token is dead.
        """
        with self._lock:
            tokens = self._tokens or self._load()
            if tokens.age(self.clock.now()) >= EARLIEST_REFRESH:
                tokens = self._refresh_locked(used=tokens)
            self._tokens = tokens
            return tokens

    def on_unauthorized(self, response: httpx.Response) -> bool:
        """After a 401: pick up another process's refresh, or refresh once; True to retry.

        A token younger than 570 s is not refreshed (Exact would refuse, §1.3): unless the
        store holds a newer one, the 401 stands and becomes ``AuthenticationError``.
        """
        used: str | None = response.request.headers.get("Authorization")
        with self._lock:
            current = self._tokens
            tokens = self._refresh_locked(used=current, sent=used)
            self._tokens = tokens
            return tokens.authorization() != used

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Put ``Authorization: Bearer …`` on the request."""
        request.headers["Authorization"] = self.tokens().authorization()
        yield request

    def _load(self) -> TokenSet:
        tokens = self.store.load(self.key)
        if tokens is None:
            raise AuthenticationError(
                f"no Exact Online tokens stored under {self.key!r}; {_RECONSENT}"
            )
        return tokens

    def _refresh_locked(self, *, used: TokenSet | None, sent: str | None = None) -> TokenSet:
        """Refresh under the store lock, re-reading the stored tokens first."""
        with self.store.lock(self.key):
            stored = self._load()  # re-read: another process may have refreshed (§1.4)
            now = self.clock.now()
            if (
                sent is not None
                and stored.authorization() != sent
                and not stored.expires_within(now)
            ):
                return stored  # someone else already refreshed: use theirs
            if used is not None and stored.issued_at > used.issued_at:
                return stored  # a newer pair than ours is stored: use it
            if stored.age(now) < EARLIEST_REFRESH or now < self._blocked_until:
                return stored  # too early to refresh (§1.3); use what is stored
            try:
                fresh = self.oauth.refresh(stored, http=self.http, clock=self.clock)
            except AuthenticationError as exc:
                if exc.vendor_code != "TooEarlyToRefreshTokens":
                    raise
                # Exact counts from its own issue time: hold off rather than spend the token
                # endpoint's 200 calls a day (§1.3) on refusals.
                self._blocked_until = now + _TOO_EARLY_PAUSE
                return self._load()
            self.store.save(self.key, fresh)  # persist before use: the old token is dead now
            self.refreshes += 1
            logger.debug(
                "refreshed Exact Online tokens under %r (the previous ones were %.0f s old)",
                self.key,
                stored.age(now).total_seconds(),
            )
            return fresh

    def __repr__(self) -> str:
        return f"ExactAuth(host={self.oauth.host!r}, key={self.key!r})"
