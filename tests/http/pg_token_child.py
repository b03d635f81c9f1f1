"""Run as a separate OS process by test_pgtokens: use one Exact connection until a deadline.

Usage: python pg_token_child.py DSN CLOCK_SPEC SANDBOX_URL CLIENT_ID SECRET REDIRECT OUT

It touches ``OUT.ready`` and waits for the file ``go`` beside OUT, which holds the deadline
(the test writes it once every process is up). Every few milliseconds it asks ExactAuth (on a
PostgresTokenStore) for the tokens, which refreshes them when they are 570 s old, and calls
``current/Me`` with them; it writes the statuses it got and the access tokens it used (hashed)
to OUT as JSON.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx

from finlink import FinlinkError
from finlink.backends.exact import ExactAuth, ExactOAuth
from finlink.http import PostgresTokenStore
from finlink.testing import ScaledClock


def main(argv: list[str]) -> None:
    dsn, spec, url, client_id, secret, redirect, out = argv
    clock = ScaledClock.from_spec(spec)
    Path(out + ".ready").touch()
    go = Path(out).with_name("go")
    while not go.exists():
        time.sleep(0.01)
    time.sleep(0.05)  # the file is written at once, but let it be complete
    deadline = datetime.fromisoformat(go.read_text().strip())
    store = PostgresTokenStore(dsn, namespace="acme")
    oauth = ExactOAuth(client_id=client_id, client_secret=secret, redirect_uri=redirect, host=url)
    statuses: Counter[str] = Counter()
    used: set[str] = set()
    with httpx.Client() as http:
        auth = ExactAuth(oauth, store, "exact", http=http, clock=clock)
        while clock.now() < deadline:
            try:
                header = auth.tokens().authorization()
            except FinlinkError as exc:
                statuses[type(exc).__name__] += 1
                continue
            used.add(hashlib.sha256(header.encode()).hexdigest())
            answer = http.get(f"{url}/api/v1/current/Me", headers={"Authorization": header})
            statuses[str(answer.status_code)] += 1
            time.sleep(0.01)
    store.close()
    Path(out).write_text(
        json.dumps({"statuses": statuses, "used": sorted(used), "refreshes": auth.refreshes})
    )


if __name__ == "__main__":
    main(sys.argv[1:])
