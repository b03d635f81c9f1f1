"""Exact Online's OAuth 2.0 authorization server, on a simulated clock.

Rules (reference §1.2-§1.3): authorization codes live 3 minutes and work once; access tokens
live 600 s and ``expires_in`` is the *string* ``"600"``; every refresh rotates the refresh
token; reusing a rotated-out refresh token is refused with 401; refreshing sooner than 570 s
after the previous issue is refused with 400 ``access_denied`` and ``Reason:
TooEarlyToRefreshTokens``; a refresh token unused for 30 days expires (400
``invalid_request``). Secrets are never logged and never appear in reprs.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from finlink.clock import Clock
from finlink.testing.exact.wire import HttpError, SandboxRequest, SandboxResponse, json_response

__all__ = ["AccessGrant", "ExactApp", "OAuthServer"]

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=3)  # §1.2: "valid 3 minutes, single use"
ACCESS_LIFETIME = timedelta(seconds=600)  # §1.3
EARLIEST_REFRESH = timedelta(seconds=570)  # §1.3: ">= 570 s after the previous token"
REFRESH_IDLE_LIFETIME = timedelta(days=30)  # §1.3: "valid 30 days when unused"


@attrs.frozen(kw_only=True)
class ExactApp:
    """An app registration in Exact's App Center.

    Attributes:
        client_id: The OAuth client id (a GUID string, as Exact issues them).
        client_secret: The OAuth client secret.
        redirect_uri: The registered redirect URI.
        webhook_secret: The webhook secret that signs deliveries (not the client secret).
    """

    client_id: str
    client_secret: str = attrs.field(repr=False)
    redirect_uri: str
    webhook_secret: str = attrs.field(repr=False)


@attrs.define(kw_only=True)
class AccessGrant:
    """One user's consent for one app: the chain of tokens a code exchange started.

    Attributes:
        client_id: The app.
        user_id: The consenting user.
        divisions: The divisions the user ticked in the consent screen.
        refresh_token: The currently valid refresh token.
        old_refresh_tokens: Refresh tokens rotated out of this chain.
        issued_at: When the last access token was issued.
    """

    client_id: str
    user_id: uuid.UUID
    divisions: frozenset[int]
    refresh_token: str = attrs.field(repr=False)
    old_refresh_tokens: set[str] = attrs.field(factory=set, repr=False)
    issued_at: datetime


@attrs.frozen(kw_only=True)
class _Code:
    client_id: str
    redirect_uri: str
    divisions: frozenset[int]
    issued_at: datetime


def _oauth_error(status: int, error: str, description: str, **headers: str) -> HttpError:
    return HttpError(status, {"error": error, "error_description": description}, headers)


def _exact_timestamp(moment: datetime) -> str:
    """Format like Exact's message: ``10/11/2022 9:18:20 PM`` (reference §1.3, websmurf#22)."""
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    return (
        f"{moment.month}/{moment.day}/{moment.year} "
        f"{hour}:{moment.minute:02d}:{moment.second:02d} {suffix}"
    )


class OAuthServer:
    """The ``/api/oauth2/auth`` and ``/api/oauth2/token`` endpoints and token bookkeeping.

    Args:
        clock: Where time comes from.
        user_id: The one Exact user who consents.
        divisions: Callable-free view of the user's divisions (division codes).
    """

    def __init__(self, clock: Clock, user_id: uuid.UUID, divisions: set[int]) -> None:
        self.clock = clock
        self._user_id = user_id
        self._divisions = divisions
        self.apps: dict[str, ExactApp] = {}
        self._codes: dict[str, _Code] = {}
        self._grants: list[AccessGrant] = []
        self._access: dict[str, tuple[AccessGrant, datetime]] = {}
        #: When each successful refresh happened (tests count refreshes per expiry).
        self.refreshes: list[datetime] = []
        #: Refused refreshes by reason (``old_refresh_token``, ``too_early``, ...).
        self.refused_refreshes: dict[str, int] = {}

    def register(self, app: ExactApp) -> None:
        """Register an app (replacing one with the same client id)."""
        self.apps[app.client_id] = app

    def authorize(
        self, client_id: str, redirect_uri: str, divisions: set[int] | None = None
    ) -> str:
        """Play the user's consent screen and return the authorization code.

        Raises:
            ValueError: For an unknown client, a redirect URI that is not the registered one,
                or a division the user does not have.
        """
        app = self.apps.get(client_id)
        if app is None:
            raise ValueError("unknown client_id")
        if redirect_uri != app.redirect_uri:
            raise ValueError("redirect_uri does not match the app registration")
        chosen = frozenset(self._divisions if divisions is None else divisions)
        if not chosen <= self._divisions:
            raise ValueError(f"the user has no division(s) {sorted(chosen - self._divisions)}")
        # Real codes contain '!' and must be URL-decoded before the exchange (§1.2).
        code = "stampNL001." + secrets.token_urlsafe(24) + "!IWAA"
        self._codes[code] = _Code(
            client_id=client_id,
            redirect_uri=redirect_uri,
            divisions=chosen,
            issued_at=self.clock.now(),
        )
        return code

    def handle_auth(self, request: SandboxRequest) -> SandboxResponse:
        """``GET /api/oauth2/auth``: consent to every division and redirect with ``?code=``.

        Raises:
            HttpError: 400 for a missing/unknown client, redirect URI or response type.
        """
        query = request.query
        if query.get("response_type") != "code":
            raise _oauth_error(400, "unsupported_response_type", "Only response_type=code.")
        try:
            code = self.authorize(query.get("client_id", ""), query.get("redirect_uri", ""))
        except ValueError as exc:
            raise _oauth_error(400, "invalid_request", str(exc)) from exc
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        parts = urlsplit(query["redirect_uri"])
        merged = [*parse_qsl(parts.query), *params.items()]
        location = urlunsplit(parts._replace(query=urlencode(merged)))
        return SandboxResponse(status=302, headers={"Location": location})

    def handle_token(self, request: SandboxRequest) -> SandboxResponse:
        """``POST /api/oauth2/token``: code exchange and refresh (form-encoded).

        Raises:
            HttpError: The OAuth error bodies of reference §1.3.
        """
        if request.method != "POST":
            raise _oauth_error(405, "invalid_request", "Use POST.")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        app = self.apps.get(form.get("client_id", ""))
        if app is None or not secrets.compare_digest(
            form.get("client_secret", ""), app.client_secret
        ):
            raise _oauth_error(400, "invalid_client", "Client authentication failed.")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self._exchange(app, form)
        elif grant_type == "refresh_token":
            grant = self._refresh(app, form.get("refresh_token", ""))
        else:
            raise _oauth_error(400, "unsupported_grant_type", "Unsupported grant_type.")
        return json_response(200, self._issue(grant))

    def _exchange(self, app: ExactApp, form: Mapping[str, str]) -> AccessGrant:
        code = self._codes.pop(form.get("code", ""), None)  # single use: gone either way
        now = self.clock.now()
        if code is None or code.client_id != app.client_id:
            raise _oauth_error(400, "invalid_grant", "The authorization code is invalid.")
        if now - code.issued_at > CODE_LIFETIME:
            raise _oauth_error(400, "invalid_grant", "The authorization code has expired.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _oauth_error(400, "invalid_grant", "The redirect_uri does not match.")
        grant = AccessGrant(
            client_id=app.client_id,
            user_id=self._user_id,
            divisions=code.divisions,
            refresh_token="",
            issued_at=now,
        )
        self._grants.append(grant)
        return grant

    def _refresh(self, app: ExactApp, refresh_token: str) -> AccessGrant:
        now = self.clock.now()
        for grant in self._grants:
            if grant.client_id != app.client_id:
                continue
            if refresh_token in grant.old_refresh_tokens:
                # §1.3/§1.4: a second process refreshed with the same token (picqer#640).
                self._refused("old_refresh_token")
                raise _oauth_error(
                    401, "invalid_grant", "Unauthorized Client: Old refresh token used."
                )
            if secrets.compare_digest(refresh_token, grant.refresh_token):
                expires = grant.issued_at + REFRESH_IDLE_LIFETIME
                if now > expires:
                    raise _oauth_error(
                        400,
                        "invalid_request",
                        f"The refresh token expired at {_exact_timestamp(expires)} "
                        f"and it is now {_exact_timestamp(now)}.",
                    )
                if now - grant.issued_at < EARLIEST_REFRESH:
                    self._refused("too_early")
                    raise _oauth_error(
                        400,
                        "access_denied",
                        "Rate limit exceeded: access_token not expired",
                        Reason="TooEarlyToRefreshTokens",
                    )
                grant.old_refresh_tokens.add(grant.refresh_token)
                grant.issued_at = now
                self.refreshes.append(now)
                return grant
        raise _oauth_error(400, "invalid_grant", "The refresh token is invalid.")

    def _refused(self, reason: str) -> None:
        self.refused_refreshes[reason] = self.refused_refreshes.get(reason, 0) + 1

    def _issue(self, grant: AccessGrant) -> dict[str, str]:
        access = secrets.token_urlsafe(32)
        grant.refresh_token = "Gcp7!IWAA." + secrets.token_urlsafe(32)
        grant.issued_at = self.clock.now()
        self._access[access] = (grant, grant.issued_at + ACCESS_LIFETIME)
        logger.debug("issued tokens for client %s", grant.client_id)
        # expires_in is a JSON *string* (§1.2; picqer validates it with ctype_digit).
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": str(int(ACCESS_LIFETIME.total_seconds())),
            "refresh_token": grant.refresh_token,
        }

    def grant_for(self, access_token: str) -> tuple[AccessGrant | None, bool]:
        """Look up an access token: (grant or None, whether it is still valid)."""
        entry = self._access.get(access_token)
        if entry is None:
            return None, False
        grant, expires = entry
        return grant, self.clock.now() < expires
