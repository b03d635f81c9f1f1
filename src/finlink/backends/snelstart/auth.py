"""Authentication for one SnelStart administration: koppelsleutel → bearer token (§1).

Two credentials go on every data call (snelstart.md §1.1): the partner's **subscription key**
in the ``Ocp-Apim-Subscription-Key`` header (never the ``subscription-key`` query parameter,
which httpx would log with the URL), and a **bearer token** fetched with the customer's
koppelsleutel from ``POST https://auth.snelstart.nl/b2b/token`` with the form
``grant_type=clientkey&clientkey=…`` (§1.2, the grant the docs recommend).

- A token lives 3599 s and there is no refresh token (§1.2): :class:`KoppelsleutelAuth` keeps
  it in a :class:`~finlink.http.TokenStore` and fetches a new one :data:`RENEW_MARGIN` before
  it expires (the PHP client's cache keeps a 60 s buffer, §1.2), under the store's lock so one
  thread (or process, with a shared store) fetches at a time.
- After a 401 the data call is repeated once with a new token (``on_unauthorized``); a second
  401 is an :class:`~finlink.AuthenticationError` (a revoked coupling needs a person).
- The koppelsleutel is Base64 of ``username:password`` (§1.3): it is held as a
  :class:`~finlink.http.Secret`, never decoded, logged or put into an error message.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import timedelta

import httpx

from finlink._errors import AuthenticationError, BackendError
from finlink.clock import Clock
from finlink.http import ApiClient, RetryPolicy, Secret, TokenSet, TokenStore, parse_snelstart_error

__all__ = ["RENEW_MARGIN", "TOKEN_URL", "KoppelsleutelAuth"]

logger = logging.getLogger("finlink.backends.snelstart")

#: The token endpoint (§1.2).
TOKEN_URL = "https://auth.snelstart.nl/b2b/token"  # noqa: S105 - a URL, not a credential

#: Fetch a new token this long before the old one expires.
RENEW_MARGIN = timedelta(seconds=60)

_SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"


class KoppelsleutelAuth(httpx.Auth):
    """Puts the bearer token and the subscription key on every request; renews the token.

    Args:
        http: The client the token request is sent with (the token endpoint is an absolute
            URL, so the client's ``base_url`` does not matter).
        koppelsleutel: The administration's koppelsleutel.
        subscription_key: The partner's subscription key.
        clock: Decides when a token is due for renewal.
        store: Where the token is kept, under ``key``.
        key: The store key (the administration id).
        retry: How the token call is retried (connect errors, 5xx, 429).
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        koppelsleutel: Secret,
        subscription_key: Secret,
        clock: Clock,
        store: TokenStore,
        key: str,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._koppelsleutel = koppelsleutel
        self._subscription_key = subscription_key
        self._clock = clock
        self._store = store
        self._key = key
        # The token endpoint is another host than the API (§1.2) and outside the API
        # product's call budget, so it gets its own ApiClient without a limiter.
        self._token_api = ApiClient(
            http,
            clock=clock,
            retry=retry,
            error_parser=_parse_token_error,
            vendor="SnelStart",
            administration=key,
        )
        #: How many tokens this auth has fetched (for tests and benchmarks).
        self.fetched = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add ``Authorization`` and ``Ocp-Apim-Subscription-Key`` to ``request``."""
        request.headers["Authorization"] = self.current().authorization()
        request.headers[_SUBSCRIPTION_HEADER] = self._subscription_key.reveal()
        yield request

    def current(self) -> TokenSet:
        """A token valid for at least :data:`RENEW_MARGIN`, fetched when needed.

        Raises:
            AuthenticationError: The koppelsleutel was refused.
            BackendError: The token endpoint failed otherwise.
        """
        tokens = self._store.load(self._key)
        if tokens is not None and not tokens.expires_within(self._clock.now(), RENEW_MARGIN):
            return tokens
        with self._store.lock(self._key):
            # Re-read under the lock: another thread may have fetched one meanwhile.
            tokens = self._store.load(self._key)
            if tokens is None or tokens.expires_within(self._clock.now(), RENEW_MARGIN):
                tokens = self._fetch()
                self._store.save(self._key, tokens)
            return tokens

    def on_unauthorized(self, response: httpx.Response) -> bool:
        """After a 401: fetch a new token unless another thread already did; repeat once.

        Raises:
            AuthenticationError: The koppelsleutel itself was refused.
        """
        used = response.request.headers.get("Authorization")
        with self._store.lock(self._key):
            tokens = self._store.load(self._key)
            if tokens is None or tokens.authorization() == used:
                logger.info("SnelStart answered 401 for %s; fetching a new token", self._key)
                self._store.save(self._key, self._fetch())
        return True

    def _fetch(self) -> TokenSet:
        form = {"grant_type": "clientkey", "clientkey": self._koppelsleutel.reveal()}
        # The token POST only reads the key: repeating it after a lost answer is harmless.
        body = self._token_api.request_json("POST", TOKEN_URL, data=form, idempotent=True)
        if not isinstance(body, dict):
            raise BackendError("SnelStart's token endpoint answered without a JSON object")
        self.fetched += 1
        logger.debug("fetched a SnelStart token for %s", self._key)
        return TokenSet.from_token_response(body, now=self._clock.now())

    def __repr__(self) -> str:
        return f"KoppelsleutelAuth(key={self._key!r})"


def _parse_token_error(response: httpx.Response) -> BackendError | None:
    """A refused koppelsleutel is an authentication problem, whatever the status.

    The token endpoint's error body is UNVERIFIED (§1.2; an OAuth ``{"error": …}`` is likely,
    and the PHP client treats any 4xx as access denied), so every 4xx but 429 is read as a
    refused key. The message names the administration, never the key.
    """
    status = response.status_code
    if 400 <= status < 500 and status != 429:
        return AuthenticationError(
            f"SnelStart refused the koppelsleutel (HTTP {status}); the coupling may have been "
            "revoked or regenerated in SnelStart Web: ask the customer for the current key",
            status_code=status,
        )
    return parse_snelstart_error(response)
