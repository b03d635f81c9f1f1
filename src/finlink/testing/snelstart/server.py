"""The sandbox as a real HTTP server on loopback (stdlib ``ThreadingHTTPServer`` in a thread).

Both SnelStart hosts are served on one port: ``POST /b2b/token`` is the auth host's token
endpoint, everything under ``/v2/`` the API. Each connection gets its own thread, so the
concurrency limit (5 calls per administration on a test key) is reached by real parallel
clients. A dropped answer closes the connection without a response; a timeout fault keeps the
connection open without answering until the server closes (or ``hang_seconds`` pass).
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from finlink.testing.snelstart.app import SandboxCore, WireRequest

__all__ = ["SandboxServer"]

logger = logging.getLogger("finlink.testing.snelstart.server")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    core: SandboxCore
    stopping: threading.Event


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = WireRequest(
            method=self.command,
            service="auth" if url.path.rstrip("/") == "/b2b/token" else "api",
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        core = self.server.core
        response = core.handle(request)
        if response.outcome == "hang":
            self.server.stopping.wait(core.hang_seconds)
        if response.outcome != "send":
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Log the path only: the query may carry ``subscription-key`` (a secret).
        logger.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        logger.debug(format, *args)


class SandboxServer:
    """A running loopback server; use as a context manager or call :meth:`close`.

    Args:
        core: The sandbox's request pipeline.
        host: Interface to bind (loopback by default).
        port: Port to bind; 0 picks a free one.
    """

    def __init__(self, core: SandboxCore, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.core = core
        self._server.stopping = threading.Event()
        bound_host, bound_port = self._server.server_address[:2]
        #: Base URL, e.g. ``http://127.0.0.1:54321``.
        self.url = f"http://{bound_host!s}:{bound_port}"
        #: The API base (``{url}/v2``), SnelStart's ``https://b2bapi.snelstart.nl/v2``.
        self.api_url = f"{self.url}/v2"
        #: The token endpoint, SnelStart's ``https://auth.snelstart.nl/b2b/token``.
        self.token_url = f"{self.url}/b2b/token"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="snelstart-sandbox",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server.stopping.is_set():
            return
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url!r})"
