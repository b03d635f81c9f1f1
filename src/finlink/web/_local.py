"""Serving the view on this machine alone: a single-user token, and a server in a thread.

``finlink serve`` and the browser tests both use :class:`LocalServer`: uvicorn on a socket
bound to 127.0.0.1 (never another interface), its access log off (a URL may carry the
token). :func:`create_local_app` lets in the one browser that presented the token printed
at start: ``/?token=...`` sets an HttpOnly cookie and redirects to the same page without
the token, so it leaves the address bar and the history.
"""

from __future__ import annotations

import asyncio
import hmac
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from finlink.model.readback import OpenItem
from finlink.sync.engine import SyncEngine
from finlink.web._app import PlanSource, create_app
from finlink.web._security import SECURITY_HEADERS, WebUser

__all__ = ["LOCAL_USER", "TOKEN_COOKIE", "LocalServer", "create_local_app"]

#: The cookie that carries the token after the first visit.
TOKEN_COOKIE = "finlink_token"  # noqa: S105 - a cookie name, not a secret
#: Who the token holder is, in the log and on the page.
LOCAL_USER = WebUser(id="local", name="local bookkeeper")


class _TokenGate:
    """Turns ``?token=`` into a cookie (or refuses a wrong one), then passes on."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            offered = request.query_params.get("token")
            if offered is not None:
                if not hmac.compare_digest(offered.encode(), self.token.encode()):
                    response: Any = PlainTextResponse("wrong token", status_code=403)
                else:
                    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                    target = request.url.path + ("?" + urlencode(rest) if rest else "")
                    response = RedirectResponse(target, status_code=303)
                    response.set_cookie(
                        TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/"
                    )
                for name, value in SECURITY_HEADERS:
                    response.headers[name] = value
                response.headers["cache-control"] = "no-store"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_local_app(
    engine: SyncEngine,
    *,
    token: str,
    plan: PlanSource | None = None,
    open_items: Callable[[], Sequence[OpenItem]] | None = None,
) -> ASGIApp:
    """The view for the one browser that holds ``token`` (``finlink serve``).

    Raises:
        ValueError: For a token shorter than 16 characters (it is the only lock).
    """
    if len(token) < 16:
        raise ValueError("token: at least 16 characters are required")

    def authenticate(request: Request) -> WebUser | None:
        presented = request.cookies.get(TOKEN_COOKIE, "")
        return LOCAL_USER if hmac.compare_digest(presented.encode(), token.encode()) else None

    app = create_app(engine, authenticate=authenticate, plan=plan, open_items=open_items)
    return _TokenGate(app, token)


class LocalServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread.

    Args:
        app: The ASGI application.
        port: The port; 0 picks a free one (read :attr:`port` after :meth:`start`).
    """

    def __init__(self, app: ASGIApp, *, port: int = 0) -> None:
        import uvicorn  # noqa: PLC0415 - only a server needs it, not the app

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Loopback only: the view shows bookkeeping data and its only lock is a token.
        self._socket.bind(("127.0.0.1", port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            access_log=False,  # a first request's URL carries the token
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (or Ctrl-C)."""
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def start(self) -> LocalServer:
        """Serve in a background thread; return once it accepts connections."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="finlink-web")
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the web server stopped while starting")
            self._thread.join(0.02)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._socket.close()
