"""Run as a separate OS process by test_http_tokens: "refresh" tokens under a FileTokenStore lock.

Usage: python token_worker.py STORE KEY ROUNDS LOG NAME DEADLINE

Each round takes the lock, re-reads the tokens, "refreshes" (sleeps, as a token call would),
saves a token set whose counter is one higher, and appends its lock interval to LOG.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from finlink.http import FileTokenStore, TokenSet


def main(
    store_path: str, key: str, *, rounds: int, log_path: str, name: str, deadline: float
) -> None:
    store = FileTokenStore(store_path)
    # Start together: announce readiness, then wait for the other worker (or the deadline).
    Path(f"{log_path}.ready.{name}").touch()
    while len(list(Path(log_path).parent.glob(Path(log_path).name + ".ready.*"))) < 2:
        if time.time() > deadline:
            raise SystemExit("the other worker never became ready")
        time.sleep(0.005)
    for _ in range(rounds):
        with store.lock(key):
            entered = time.time()
            current = store.load(key)
            count = int(current.extra["count"]) if current is not None else 0
            time.sleep(0.01)  # a racing refresher would read the same count meanwhile
            now = datetime.now(UTC)
            store.save(
                key,
                TokenSet(
                    access_token=f"access-{count + 1}",
                    refresh_token=f"refresh-{count + 1}",
                    issued_at=now,
                    expires_at=now + timedelta(seconds=600),
                    extra={"count": str(count + 1), "by": name},
                ),
            )
            left = time.time()
        line = f"{name} {entered!r} {left!r}\n".encode()
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


if __name__ == "__main__":
    path, key, rounds, log, name, deadline = sys.argv[1:7]
    main(path, key, rounds=int(rounds), log_path=log, name=name, deadline=float(deadline))
