"""What a :class:`~finlink.sync.Worker` tells its supervisor: a snapshot, a file, an endpoint.

Three ways, pick what the supervisor can read:

- :meth:`Worker.health() <finlink.sync.Worker.health>` returns a :class:`WorkerHealth` (for a
  host that runs the worker in its own process and has its own health endpoint);
- a **heartbeat file**: the same snapshot as JSON, replaced atomically about once a second
  (``heartbeat_at`` inside, and the file's mtime, tell a watchdog that the loop is alive);
- a **loopback HTTP endpoint** (:class:`HealthServer`): ``GET /health`` answers 200 with the
  JSON while the worker is healthy and 503 otherwise, for Kubernetes-style probes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs

__all__ = ["HealthServer", "TenantHealth", "WorkerHealth", "write_heartbeat"]

_log = logging.getLogger("finlink.worker")


@attrs.frozen(kw_only=True)
class TenantHealth:
    """How one tenant fares in this worker.

    Attributes:
        tenant: The tenant (the state store's namespace).
        processed: Outbox entries this worker took for the tenant.
        failures: Turns that failed in a row (0 once a turn succeeds again).
        last_error: The last failure, in plain words (None after a success).
        last_turn_at: When the tenant's last turn ended.
        retry_at: When a tenant that failed is tried again (None when it is not backing off).
    """

    tenant: str
    processed: int
    failures: int
    last_error: str | None
    last_turn_at: datetime | None
    retry_at: datetime | None


@attrs.frozen(kw_only=True)
class WorkerHealth:
    """A snapshot of a worker, for a supervisor.

    Attributes:
        worker_id: The worker's name (also its name on the outbox leases).
        state: ``"starting"``, ``"running"``, ``"stopping"`` or ``"stopped"``.
        healthy: Running, and not every tenant failing (a database that went away makes every
            tenant fail; a single tenant's bad credentials do not make the worker unhealthy).
        started_at: When :meth:`~finlink.sync.Worker.run` began (None before).
        heartbeat_at: When the loop last went round.
        processed: Outbox entries taken, all tenants together.
        tenants: Per tenant, sorted by name.
    """

    worker_id: str
    state: str
    healthy: bool
    started_at: datetime | None
    heartbeat_at: datetime | None
    processed: int
    tenants: tuple[TenantHealth, ...]

    def to_json_dict(self) -> dict[str, Any]:
        """The snapshot as JSON-ready values (datetimes as ISO 8601 text)."""

        def encode(_inst: object, _field: object, value: object) -> object:
            return value.isoformat() if isinstance(value, datetime) else value

        return attrs.asdict(self, value_serializer=encode)


def write_heartbeat(path: Path, health: WorkerHealth) -> None:
    """Replace ``path`` with the snapshot as JSON, atomically (a reader sees old or new).

    Raises:
        OSError: The folder does not exist or cannot be written.
    """
    text = json.dumps(health.to_json_dict(), indent=2)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class HealthServer:
    """``GET /health`` on loopback: 200 and the snapshot while healthy, 503 otherwise.

    Args:
        health: Returns the current snapshot (``worker.health``).
        port: The port on 127.0.0.1 (0 picks a free one; see :attr:`url`).

    Raises:
        OSError: The port is taken.
    """

    def __init__(self, health: Callable[[], WorkerHealth], port: int = 0) -> None:
        snapshot = health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.rstrip("/") not in ("/health", ""):
                    self.send_error(404)
                    return
                current = snapshot()
                body = json.dumps(current.to_json_dict()).encode("utf-8")
                self.send_response(200 if current.healthy else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                _log.debug("health endpoint: " + format, *args)

        # Loopback only: the snapshot names tenants, which is nobody else's business.
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        host, bound = self._server.server_address[:2]
        #: Where it answers, e.g. ``http://127.0.0.1:8321/health``.
        self.url = f"http://{host!s}:{bound}/health"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="finlink-health", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop answering and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
