"""Who may look, forms nobody can forge, and the headers every page carries.

The host authenticates (finlink has no login of its own): its callable gets the request and
returns a :class:`WebUser`, or None to refuse. Forms carry a CSRF token that is an HMAC of a
random per-browser cookie and the user's id under the app's secret, so a page of another
site can neither read nor guess it, and one user's token is worthless to another.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "SECURITY_HEADERS",
    "Authenticate",
    "CsrfGuard",
    "SecurityHeaders",
    "WebAction",
    "WebUser",
    "resolve_user",
]

#: The cookie holding the per-browser random half of the CSRF token.
CSRF_COOKIE = "finlink_csrf"
#: The hidden form field holding the token.
CSRF_FIELD = "csrf_token"

#: Sent with every response. No inline script or style may run (the pages need none), no
#: other site may frame the pages (clickjacking a "link" button), and no URL leaks to
#: another site in a Referer header.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
)


@attrs.frozen(kw_only=True)
class WebUser:
    """The person the host's authentication let in.

    Attributes:
        id: A stable id (the host's user id or e-mail); logged with every action and bound
            into the CSRF token.
        name: What the page header shows (defaults to the id).
    """

    id: str
    name: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("WebUser.id: a non-empty string is required")

    @property
    def display_name(self) -> str:
        """The name, or the id where no name was given."""
        return self.name or self.id


@attrs.frozen(kw_only=True)
class WebAction:
    """One thing a user did in the web view, for the host's audit trail.

    Attributes:
        user: Who did it.
        action: ``review.link``, ``review.create``, ``review.dismiss``, ``conflict.resolve``,
            ``error.retry`` or ``plan.download``.
        target: What it was done to, e.g. ``review 12`` or ``exact:1 relation crm-7``.
        outcome: ``done``, ``failed`` or ``refused``.
        detail: The choice made or the reason it failed, in plain words (no secrets: the
            engine's messages never hold credentials).
    """

    user: WebUser
    action: str
    target: str
    outcome: str
    detail: str = ""


#: The host's authentication: the request in, the user out (or None to refuse, 403). It may
#: be a coroutine function; a plain function runs in a worker thread.
Authenticate = Callable[[Request], "WebUser | Awaitable[WebUser | None] | None"]


async def resolve_user(authenticate: Authenticate, request: Request) -> WebUser | None:
    """Ask the host's callable who this is; anything but a :class:`WebUser` refuses.

    A callable that returns something else (a bare string, True) is a host bug; refusing is
    the safe reading of it.
    """
    if inspect.iscoroutinefunction(authenticate):
        result: Any = await authenticate(request)
    else:
        result = await run_in_threadpool(authenticate, request)
        if inspect.isawaitable(result):
            result = await result
    return result if isinstance(result, WebUser) else None


class CsrfGuard:
    """Makes and checks the CSRF tokens of one app.

    Args:
        secret: The key of the HMAC. Give every process of one deployment the same secret
            (or a form made by one process is refused by another); None makes a random one,
            right for a single process.
    """

    def __init__(self, secret: bytes | str | None = None) -> None:
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if secret is not None and len(secret) < 16:
            raise ValueError("csrf_secret: at least 16 bytes are required")
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    @staticmethod
    def new_nonce() -> str:
        """A fresh random cookie value for a browser that has none."""
        return secrets.token_urlsafe(24)

    def token(self, nonce: str, user: WebUser) -> str:
        """The form token for this browser's cookie and this user."""
        message = f"{nonce}\x00{user.id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def check(self, nonce: str | None, user: WebUser, submitted: object) -> bool:
        """Whether ``submitted`` is the token of this cookie and user (in constant time)."""
        if not nonce or not isinstance(submitted, str) or not submitted:
            return False
        return hmac.compare_digest(self.token(nonce, user), submitted)


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` (and no-store) to every response.

    Every page shows bookkeeping data, so no response may be kept by a browser or a proxy
    cache (``Cache-Control: no-store``); the stylesheet alone may be cached.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).endswith(".css")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"cache-control" or static
                ]
                headers.extend((k.encode(), v.encode()) for k, v in SECURITY_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
