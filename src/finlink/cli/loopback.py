"""A one-shot HTTP listener on 127.0.0.1 that catches an OAuth redirect (``?code=``).

``finlink auth exact`` sends the user to Exact's consent screen; Exact then redirects the
browser to the registered redirect URI with ``?code=…&state=…`` (reference ``exact-online.md``
§1.2). When that URI points at this machine's loopback address, this listener receives the
code, so nobody has to copy it out of the address bar. It listens on 127.0.0.1 only: the
code is a credential for three minutes and must not be reachable from the network.
"""

from __future__ import annotations

import logging
import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from finlink._errors import AuthenticationError

__all__ = ["LOOPBACK_HOST", "CallbackListener"]

logger = logging.getLogger("finlink.cli")

#: The only address the listener binds.
LOOPBACK_HOST = "127.0.0.1"

_DONE_PAGE = (
    b"<!doctype html><title>finlink</title>"
    b"<p>finlink received the authorization. You may close this window.</p>"
)
_FAILED_PAGE = (
    b"<!doctype html><title>finlink</title>"
    b"<p>finlink did not receive an authorization code; see the terminal.</p>"
)


class CallbackListener:
    """Listens on ``127.0.0.1:port`` for one redirect to ``path`` carrying ``code``.

    Args:
        port: The port to bind (0: any free one; see :attr:`port` for the one bound).
        path: The redirect URI's path (``/callback``).
        state: The ``state`` value the consent URL carried; a redirect with another value is
            refused (it was not started by this flow).

    Raises:
        OSError: The port cannot be bound (in use, or not allowed).
    """

    def __init__(self, *, port: int, path: str, state: str) -> None:
        self.path = path or "/"
        self.state = state
        self._done = threading.Event()
        self._code: str | None = None
        self._error: str | None = None
        self._server = HTTPServer((LOOPBACK_HOST, port), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The port really bound."""
        return int(self._server.server_address[1])

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != listener.path:
                    self.send_error(404)
                    return
                ok = listener._receive(parse_qs(parts.query))
                body = _DONE_PAGE if ok else _FAILED_PAGE
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                # The request line holds the code: never log it.
                return

        return Handler

    def _receive(self, query: dict[str, list[str]]) -> bool:
        if self._done.is_set():
            return False
        given_state = query.get("state", [""])[0]
        if not secrets.compare_digest(given_state.encode(), self.state.encode()):
            # Not our flow (a stale tab, or a forged request): ignore it and keep waiting.
            logger.warning("ignored a redirect whose state does not match this consent flow")
            return False
        if "error" in query:
            description = query.get("error_description", query["error"])[0]
            self._error = f"Exact Online did not grant access: {description}"
        elif query.get("code", [""])[0]:
            self._code = query["code"][0]
        else:
            self._error = "the redirect carried neither a code nor an error"
        self._done.set()
        return self._error is None

    def wait(self, timeout: float) -> str:
        """Wait for the redirect and return its code.

        Raises:
            AuthenticationError: The user refused consent, the redirect carried no code, or
                none arrived within ``timeout`` seconds.
        """
        # Short waits: Ctrl-C is only handled between them.
        waited = 0.0
        while not self._done.wait(0.25):
            waited += 0.25
            if waited >= timeout:
                raise AuthenticationError(
                    f"no redirect arrived within {timeout:.0f} s; run the command again "
                    "(or paste the code with --code)"
                )
        if self._error is not None:
            raise AuthenticationError(self._error)
        assert self._code is not None  # _done is only set with a code or an error
        return self._code

    def close(self) -> None:
        """Stop listening and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> CallbackListener:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
