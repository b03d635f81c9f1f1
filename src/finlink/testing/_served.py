"""One sandbox in a process of its own, shared by worker processes over loopback HTTP.

Run as ``python -m finlink.testing._served exact|snelstart --clock SPEC [options]``. It prints
one JSON line (the URL and what clients need), then answers commands on stdin, one per line,
with one JSON line each:

- ``connect D1,D2`` (Exact): consent to those divisions; the token response;
- ``stats``: the sandbox's own counters (calls, 429s, per-minute and per-day use, refreshes)
  and the records it holds (account codes and names, relaties), for tests and benchmarks;
- ``quit``: stop.

Used by the multi-worker tests and ``bench/bench_workers.py``; not a public interface.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.parse
from collections import defaultdict
from types import TracebackType
from typing import IO, Any

import httpx

from finlink.testing.exact import ExactSandbox
from finlink.testing.exact.wire import SandboxRequest, SandboxResponse
from finlink.testing.scaled_clock import ScaledClock
from finlink.testing.snelstart import SnelStartSandbox
from finlink.testing.snelstart.limits import Product

__all__ = ["LoopbackTransport", "SandboxProcess", "main"]

#: Division codes of the served Exact sandbox: 100001, 100002, ...
FIRST_DIVISION = 100001


def _exact(args: argparse.Namespace, clock: ScaledClock) -> None:
    divisions = {FIRST_DIVISION + i: f"Divisie {i + 1}" for i in range(args.count)}
    sandbox = ExactSandbox(clock=clock, divisions=divisions)
    latency = args.latency

    failures: dict[str, int] = defaultdict(int)

    def handle(request: SandboxRequest) -> SandboxResponse:
        if latency:
            time.sleep(latency)  # real time: the network and Exact's own work
        answer = sandbox.handle(request)
        if answer.status >= 400:
            path = urllib.parse.urlsplit(request.url).path
            failures[f"{answer.status} {request.method} {path}"] += 1
        return answer

    from finlink.testing.exact.server import serve  # noqa: PLC0415

    handle_ = serve(handle, "127.0.0.1", 0)
    sandbox.base_url = handle_.url
    sandbox.service.base_url = handle_.url
    app = sandbox.app
    _say(
        {
            "url": handle_.url,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": app.redirect_uri,
            "divisions": sorted(divisions),
        }
    )
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if command == "connect":
            chosen = [int(d) for d in rest.split(",") if d]
            _say(sandbox.connect(divisions=chosen or None))
        elif command == "stats":
            _say({**_exact_stats(sandbox), "failures": dict(failures)})
        elif command == "quit":
            break
    handle_.close()


def _exact_stats(sandbox: ExactSandbox) -> dict[str, Any]:
    limiter = sandbox.service.limiter
    with sandbox.service.lock:
        per_minute: dict[int, int] = defaultdict(int)
        for (division, _), used in limiter.per_minute.items():
            per_minute[division] = max(per_minute[division], used)
        per_day: dict[int, int] = defaultdict(int)
        for (division, _), used in limiter.per_day.items():
            per_day[division] = max(per_day[division], used)
        minutes = len({minute for _, minute in limiter.per_minute})
        timeline: dict[int, list[list[Any]]] = defaultdict(list)
        for (division, minute), used in sorted(limiter.per_minute.items()):
            timeline[division].append([minute.isoformat(), used])
        calls = dict(limiter.calls)
        refused = dict(limiter.refused)
        refreshes = [moment.isoformat() for moment in sandbox.oauth.refreshes]
        refused_refreshes = dict(sandbox.oauth.refused_refreshes)
    accounts = {
        division: sorted(
            [str(row.get("SearchCode") or "").strip(), str(row.get("Name") or "")]
            for row in sandbox.records(division, "crm/Accounts")
        )
        for division in sandbox.divisions
    }
    return {
        "calls": calls,
        "refused": refused,
        "max_per_minute": dict(per_minute),
        "max_per_day": dict(per_day),
        "minutes": minutes,
        "per_minute": dict(timeline),
        "minute_limit": limiter.minute_limit,
        "day_limit": limiter.day_limit,
        "refreshes": refreshes,
        "refused_refreshes": refused_refreshes,
        "accounts": accounts,
    }


def _snelstart(args: argparse.Namespace, clock: ScaledClock) -> None:
    # The sandbox spends its latency with clock.sleep: scale it so that it is real seconds.
    sandbox = SnelStartSandbox(clock=clock, latency=args.latency * clock.factor)
    product = Product(args.product)
    names = [f"adm{i + 1:02d}" for i in range(args.count)]
    keys = {name: sandbox.add_administration(name, product=product) for name in names}
    server = sandbox.serve("127.0.0.1", 0)
    _say(
        {
            "url": server.url,
            "api_url": server.api_url,
            "token_url": server.token_url,
            "administrations": {
                name: {"koppelsleutel": k.koppelsleutel, "subscription_key": k.subscription_key}
                for name, k in keys.items()
            },
        }
    )
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            stats: dict[str, Any] = {"calls": {}, "throttled": {}, "relaties": {}}
            for name in keys:
                records = sandbox.calls(name)
                stats["calls"][name] = sum(1 for r in records if r.status != 429)
                stats["throttled"][name] = sum(1 for r in records if r.status == 429)
                # finlink's reference is in the memo; the seeded own company has none.
                stats["relaties"][name] = sorted(
                    [str(r.get("memo")), str(r.get("naam"))]
                    for r in sandbox.administration(name).relaties()
                    if r.get("memo")
                )
            _say(stats)
        elif command == "quit":
            break
    server.close()


def _say(value: object) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


class LoopbackTransport(httpx.BaseTransport):
    """Sends every request to one loopback server, whatever host it names.

    SnelStart's backend calls fixed hosts (``auth.snelstart.nl``, ``b2bapi.snelstart.nl``);
    this transport sends their paths to a served sandbox instead.

    Args:
        url: The server's base URL (``http://127.0.0.1:PORT``).
    """

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the loopback server, keeping its path and query."""
        request.url = request.url.copy_with(scheme="http", host=self._host, port=self._port)
        request.headers["Host"] = f"{self._host}:{self._port}"
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the connections."""
        self._inner.close()


class SandboxProcess:
    """Start a sandbox in a process of its own and talk to it (the client side of this module).

    Args:
        vendor: ``"exact"`` or ``"snelstart"``.
        clock: The clock the sandbox and every worker share.
        count: Divisions (Exact) or administrations (SnelStart) to make.
        latency: Real seconds each call takes.
        product: SnelStart's subscription product.

    Attributes:
        info: What the sandbox printed when it started (URL, credentials).
    """

    def __init__(
        self,
        vendor: str,
        clock: ScaledClock,
        *,
        count: int,
        latency: float = 0.0,
        product: str = "maatwerk",
    ) -> None:
        self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [
                sys.executable,
                "-m",
                "finlink.testing._served",
                vendor,
                "--clock",
                clock.spec,
                "--count",
                str(count),
                "--latency",
                str(latency),
                "--product",
                product,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info: dict[str, Any] = self._read()

    def _read(self) -> dict[str, Any]:
        out: IO[str] | None = self._proc.stdout
        assert out is not None  # made with stdout=PIPE
        line = out.readline()
        if not line:  # pragma: no cover - the child died
            raise RuntimeError(f"the sandbox process ended (status {self._proc.poll()})")
        value: dict[str, Any] = json.loads(line)
        return value

    def ask(self, command: str) -> dict[str, Any]:
        """Send one command line and return the JSON answer."""
        stdin: IO[str] | None = self._proc.stdin
        assert stdin is not None  # made with stdin=PIPE
        stdin.write(command + "\n")
        stdin.flush()
        return self._read()

    def close(self) -> None:
        """Stop the process (idempotent)."""
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write("quit\n")
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def main(argv: list[str] | None = None) -> None:
    """Serve one sandbox until ``quit`` or the end of stdin."""
    parser = argparse.ArgumentParser(prog="python -m finlink.testing._served")
    parser.add_argument("vendor", choices=["exact", "snelstart"])
    parser.add_argument("--clock", required=True, help="a ScaledClock spec")
    parser.add_argument("--count", type=int, default=2, help="divisions or administrations")
    parser.add_argument("--latency", type=float, default=0.0, help="real seconds per call")
    parser.add_argument("--product", default="maatwerk", help="SnelStart subscription product")
    args = parser.parse_args(argv)
    clock = ScaledClock.from_spec(args.clock)
    (_exact if args.vendor == "exact" else _snelstart)(args, clock)


if __name__ == "__main__":
    main()
