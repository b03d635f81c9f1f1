"""``Worker``: drains the outbox of every tenant in the store, fairly, until told to stop.

A host that serves many CRM customers (tenants) from one database runs one worker per core
or per machine; each worker takes turns over the tenants and sends what waits in their
outboxes through :meth:`SyncEngine.process_outbox <finlink.sync.SyncEngine.process_outbox>`::

    from finlink.sync import Worker

    worker = Worker(engine_for=make_engine, tenants=["acme", "globex"])
    worker.run()          # until SIGTERM / SIGINT, or worker.stop() from another thread

Fairness: a turn is at most ``batch`` entries of one tenant, and the next turn goes to the
tenant served longest ago that has work, so one busy tenant never starves the others.
Within a tenant, entries go in the order they arrived (a record's changes must reach the
vendor in order); an administration whose budget is spent holds its tenant's turn only as
long as its backend waits (give backends a ``max_rate_wait`` so a spent day budget releases
the entry instead of blocking).

Each entry is claimed one at a time (``process_outbox(limit=1)``), so a stop request waits for
at most the entry in hand: on SIGTERM the worker finishes it, claims nothing more and returns.
SIGKILL leaves the entry leased; its lease runs out (``lease_seconds``) and another worker
takes it, which the engine's intents make safe (nothing is written twice).

A tenant whose turn fails (the database went away, a store error) backs off exponentially
with jitter and is tried again; the pooled store reconnects on its own. :meth:`Worker.health`
tells a supervisor how it goes (see :mod:`finlink.sync._worker_health` for the heartbeat
file and the loopback endpoint).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import attrs

from finlink.sync._worker_health import HealthServer, TenantHealth, WorkerHealth, write_heartbeat
from finlink.sync.engine import SyncEngine

__all__ = ["HealthServer", "TenantHealth", "Worker", "WorkerHealth"]

_log = logging.getLogger("finlink.worker")

#: Builds the engine of one tenant (its store bound to the tenant's namespace).
EngineFactory = Callable[[str], SyncEngine]


@attrs.define
class _Tenant:
    name: str
    engine: SyncEngine | None = None
    busy: bool = False
    ready_at: float = 0.0  # monotonic seconds: not before then
    last_turn: float = 0.0  # monotonic seconds of the last turn's end (fairness order)
    processed: int = 0
    failures: int = 0
    last_error: str | None = None
    last_turn_at: datetime | None = None
    retry_at: datetime | None = None


class Worker:
    """Sends every tenant's outbox, fairly, with backoff on failures, until stopped.

    Args:
        engine_for: Builds a tenant's :class:`~finlink.sync.SyncEngine` (called once per
            tenant, and again after the build failed). The worker uses each engine from one
            thread at a time and closes their stores when :meth:`run` returns.
        tenants: The tenants (store namespaces), or a callable returning them, asked again
            every ``refresh_seconds`` (e.g. ``lambda: PostgresStore.namespaces_with_work(pool)``).
        batch: Entries of one tenant per turn before the next tenant's turn.
        lease_seconds: How long a claimed entry stays this worker's; after a SIGKILL, the
            time before another worker takes it over.
        idle_seconds: A tenant that had nothing to send is asked again after this long.
        refresh_seconds: How often a callable ``tenants`` is asked again.
        threads: Tenants served at once by this process (each by one thread at a time).
        backoff: First and longest wait, in seconds, after a tenant's turn failed; it doubles
            with each failure in a row, with jitter.
        heartbeat: A file to write the :class:`WorkerHealth` snapshot to, about every second.
        worker_id: This worker's name in logs and health (default ``host:pid``).

    Raises:
        ValueError: For a batch, thread count or interval that is not positive.
    """

    def __init__(
        self,
        engine_for: EngineFactory,
        tenants: Iterable[str] | Callable[[], Iterable[str]],
        *,
        batch: int = 10,
        lease_seconds: float = 300.0,
        idle_seconds: float = 1.0,
        refresh_seconds: float = 10.0,
        threads: int = 1,
        backoff: tuple[float, float] = (1.0, 60.0),
        heartbeat: str | os.PathLike[str] | None = None,
        worker_id: str | None = None,
    ) -> None:
        if batch < 1 or threads < 1:
            raise ValueError("batch and threads must be at least 1")
        if lease_seconds <= 0 or idle_seconds <= 0 or refresh_seconds <= 0:
            raise ValueError("lease_seconds, idle_seconds and refresh_seconds must be positive")
        if not 0 < backoff[0] <= backoff[1]:
            raise ValueError("backoff must be (first, longest) with 0 < first <= longest")
        self.engine_for = engine_for
        self._source = tenants
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.idle_seconds = idle_seconds
        self.refresh_seconds = refresh_seconds
        self.threads = threads
        self.backoff = backoff
        self.heartbeat = Path(heartbeat) if heartbeat is not None else None
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._tenants: dict[str, _Tenant] = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._state = "starting"
        self._started_at: datetime | None = None
        self._beat_at: datetime | None = None
        self._last_write = 0.0
        self._refreshed_at = -float("inf")

    # -- control -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the worker to stop: each thread finishes the entry in hand and claims no more.

        Safe from another thread and from a signal handler.
        """
        self._stop.set()
        if self._state == "running":
            self._state = "stopping"

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called (or a SIGTERM/SIGINT arrived)."""
        return self._stop.is_set()

    def run(self, *, until_idle: bool = False, handle_signals: bool = True) -> None:
        """Serve the tenants until :meth:`stop` (or SIGTERM/SIGINT), then close the engines.

        Args:
            until_idle: Return once no tenant has anything claimable (a drain, for cron or
                tests) instead of waiting for more.
            handle_signals: On the main thread, make SIGTERM and SIGINT call :meth:`stop` for
                the duration (the previous handlers come back afterwards).

        Raises:
            Exception: Only what the heartbeat file raises; a tenant's failures are logged,
                backed off and shown in :meth:`health`, never raised.
        """
        self._started_at = datetime.now(UTC)
        self._state = "running"
        with self._signals(handle_signals):
            self._refresh(force=True)
            pool = [
                threading.Thread(target=self._loop, args=(until_idle,), name=f"finlink-worker-{n}")
                for n in range(self.threads - 1)
            ]
            for thread in pool:
                thread.start()
            try:
                self._loop(until_idle)
            finally:
                self.stop()
                for thread in pool:
                    thread.join()
                self._state = "stopped"
                self._close_engines()
                self._beat(force=True)

    def run_once(self) -> int:
        """One turn for every tenant that has work, in this thread; the entries taken."""
        self._refresh(force=True)
        total = 0
        for tenant in list(self._tenants.values()):
            if self._stop.is_set():
                break
            total += self._turn(tenant)
        self._beat()
        return total

    # -- the loop ------------------------------------------------------------------------------

    def _loop(self, until_idle: bool) -> None:
        while not self._stop.is_set():
            self._refresh()
            tenant, wait = self._next()
            if tenant is None:
                if until_idle and self._all_idle():
                    self._stop.set()
                    with self._cond:
                        self._cond.notify_all()
                    return
                with self._cond:
                    self._cond.wait(timeout=min(wait, 1.0))
                self._beat()
                continue
            try:
                self._turn(tenant)
            finally:
                with self._cond:
                    tenant.busy = False
                    self._cond.notify_all()
            self._beat()

    def _next(self) -> tuple[_Tenant | None, float]:
        """The ready tenant served longest ago (marked busy), or None and how long to wait."""
        now = time.monotonic()
        with self._cond:
            ready = [t for t in self._tenants.values() if not t.busy and t.ready_at <= now]
            if not ready:
                waits = [t.ready_at - now for t in self._tenants.values() if not t.busy]
                return None, max(0.01, min(waits, default=self.idle_seconds))
            tenant = min(ready, key=lambda t: (t.last_turn, t.name))
            tenant.busy = True
            return tenant, 0.0

    def _all_idle(self) -> bool:
        with self._cond:
            return all(
                not t.busy and t.failures == 0 and t.ready_at > time.monotonic()
                for t in self._tenants.values()
            )

    def _turn(self, tenant: _Tenant) -> int:
        taken = 0
        try:
            if tenant.engine is None:
                tenant.engine = self.engine_for(tenant.name)
            for _ in range(self.batch):
                if self._stop.is_set():
                    break
                report = tenant.engine.process_outbox(limit=1, lease_seconds=self.lease_seconds)
                if not report.outcomes:
                    break  # nothing claimable (or a change that needed no call)
                taken += 1
        except Exception as error:  # noqa: BLE001 - a tenant's failure must not end the worker
            self._failed(tenant, error, taken)
            return taken
        now = time.monotonic()
        with self._cond:
            tenant.processed += taken
            tenant.failures = 0
            tenant.last_error = None
            tenant.retry_at = None
            tenant.last_turn = now
            tenant.last_turn_at = datetime.now(UTC)
            # A full batch means more may wait: the tenant is ready again at once, behind
            # the others. A short one means its outbox is empty for now.
            tenant.ready_at = now if taken == self.batch else now + self.idle_seconds
        return taken

    def _failed(self, tenant: _Tenant, error: Exception, taken: int) -> None:
        first, longest = self.backoff
        with self._cond:
            tenant.processed += taken
            tenant.failures += 1
            delay = min(longest, first * 2 ** (tenant.failures - 1))
            delay *= random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not security
            now = time.monotonic()
            tenant.ready_at = now + delay
            tenant.last_turn = now
            tenant.last_turn_at = datetime.now(UTC)
            tenant.retry_at = datetime.fromtimestamp(time.time() + delay, UTC)
            tenant.last_error = f"{type(error).__name__}: {error}"
        _log.warning(
            "tenant %s failed (%d in a row), retrying in %.1f s: %s",
            tenant.name,
            tenant.failures,
            delay,
            tenant.last_error,
        )

    def _refresh(self, *, force: bool = False) -> None:
        if not callable(self._source):
            if not self._tenants:
                names: Iterable[str] = list(self._source)
            else:
                return
        else:
            now = time.monotonic()
            if not force and now - self._refreshed_at < self.refresh_seconds:
                return
            self._refreshed_at = now
            try:
                names = list(self._source())
            except Exception as error:  # noqa: BLE001 - a failing list is retried later
                _log.warning("listing the tenants failed, keeping the known ones: %s", error)
                return
        with self._cond:
            for name in names:
                if name not in self._tenants:
                    self._tenants[name] = _Tenant(name=name)
                elif callable(self._source):
                    # Listed as having work: ask it now rather than after its idle wait.
                    tenant = self._tenants[name]
                    if tenant.failures == 0:
                        tenant.ready_at = min(tenant.ready_at, time.monotonic())
            self._cond.notify_all()

    def _close_engines(self) -> None:
        for tenant in self._tenants.values():
            engine, tenant.engine = tenant.engine, None
            if engine is None:
                continue
            for name in engine.administrations:
                close = getattr(engine.backend(name), "close", None)
                if callable(close):
                    with suppress(Exception):
                        close()
            with suppress(Exception):
                engine.store.close()

    # -- health --------------------------------------------------------------------------------

    def health(self) -> WorkerHealth:
        """A snapshot for a supervisor: state, heartbeat, and how each tenant fares."""
        with self._cond:
            tenants = tuple(
                TenantHealth(
                    tenant=t.name,
                    processed=t.processed,
                    failures=t.failures,
                    last_error=t.last_error,
                    last_turn_at=t.last_turn_at,
                    retry_at=t.retry_at,
                )
                for t in sorted(self._tenants.values(), key=lambda t: t.name)
            )
        failing = bool(tenants) and all(t.failures > 0 for t in tenants)
        return WorkerHealth(
            worker_id=self.worker_id,
            state=self._state,
            healthy=self._state == "running" and not failing,
            started_at=self._started_at,
            heartbeat_at=self._beat_at,
            processed=sum(t.processed for t in tenants),
            tenants=tenants,
        )

    def _beat(self, *, force: bool = False) -> None:
        self._beat_at = datetime.now(UTC)
        if self.heartbeat is None:
            return
        now = time.monotonic()
        if not force and now - self._last_write < 1.0:
            return
        self._last_write = now
        try:
            write_heartbeat(self.heartbeat, self.health())
        except OSError as error:
            _log.warning("cannot write the heartbeat file %s: %s", self.heartbeat, error)

    @contextmanager
    def _signals(self, enabled: bool) -> Iterator[None]:
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            # Only set a flag: the loop's waits last a second at most, and the entry in hand
            # is finished before the loop looks again.
            _log.info("signal %d: finishing the entry in hand, then stopping", signum)
            self.stop()

        previous: dict[signal.Signals, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, on_signal)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def __repr__(self) -> str:
        return f"Worker(id={self.worker_id!r}, state={self._state!r}, threads={self.threads})"
