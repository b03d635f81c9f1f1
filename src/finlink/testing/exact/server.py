"""Serve the sandbox over real HTTP on loopback, and as an ``httpx.MockTransport``.

Both paths turn their native request into a :class:`SandboxRequest` and hand it to the same
:meth:`ExactService.handle`, so a backend sees identical behaviour either way. A "timeout" or
"dropped response" fault raises ``httpx.ReadTimeout`` on the mock transport and closes the
connection without an answer on the server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from finlink.testing.exact.wire import SandboxRequest, SandboxResponse

__all__ = ["ServerHandle", "make_transport", "serve"]

logger = logging.getLogger(__name__)

Handler = Callable[[SandboxRequest], SandboxResponse]


def make_transport(handler: Handler) -> httpx.MockTransport:
    """An ``httpx.MockTransport`` answering through ``handler``."""

    def respond(request: httpx.Request) -> httpx.Response:
        sandbox_request = SandboxRequest(
            method=request.method,
            url=str(request.url),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=request.read(),
        )
        answer = handler(sandbox_request)
        if answer.timeout or answer.drop:
            raise httpx.ReadTimeout("sandbox fault: no response", request=request)
        return httpx.Response(
            answer.status, headers=dict(answer.headers), content=answer.body, request=request
        )

    return httpx.MockTransport(respond)


class _RequestHandler(BaseHTTPRequestHandler):
    sandbox_handler: Handler
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "127.0.0.1"
        request = SandboxRequest(
            method=self.command,
            url=f"http://{host}{self.path}",
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        answer = self.sandbox_handler(request)
        if answer.timeout or answer.drop:
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's naming

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        logger.debug("sandbox http: " + format, *args)


class ServerHandle:
    """A running loopback server; use as a context manager or call :meth:`close`.

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:54321``.
    """

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(handler: Handler, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Start a ``ThreadingHTTPServer`` in a thread, answering through ``handler``."""
    handler_class = type(
        "ExactSandboxRequestHandler", (_RequestHandler,), {"sandbox_handler": staticmethod(handler)}
    )
    server = ThreadingHTTPServer((host, port), handler_class)
    server.daemon_threads = True
    return ServerHandle(server)
