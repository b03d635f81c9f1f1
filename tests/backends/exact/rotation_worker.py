"""Run as a separate OS process by test_exact_auth: use one Exact connection from a FileTokenStore.

Usage: python rotation_worker.py STORE URL NOW BARRIER NAME DEADLINE  (client id, secret and
redirect URI come in the environment as EXACT_CLIENT_ID, EXACT_CLIENT_SECRET, EXACT_REDIRECT)

The worker's clock stands at NOW (the sandbox's time, ISO) so the stored token is as old for it
as for the sandbox. It waits for the other worker, makes one API call (which refreshes the
token first when it is 570 s old or more) and prints a JSON line: did the call work, and did
this process refresh.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

from finlink import FinlinkError
from finlink.backends.exact import ExactBackend, ExactOAuth
from finlink.clock import SimulatedClock
from finlink.http import FileTokenStore


def main(store: str, url: str, now: str, barrier: str, *, name: str, deadline: float) -> None:
    oauth = ExactOAuth(
        client_id=os.environ["EXACT_CLIENT_ID"],
        client_secret=os.environ["EXACT_CLIENT_SECRET"],
        redirect_uri=os.environ["EXACT_REDIRECT"],
        host=url,
    )
    with httpx.Client(trust_env=False) as http:
        backend = ExactBackend(
            oauth=oauth,
            division=1234567,
            token_store=FileTokenStore(store),
            http=http,
            clock=SimulatedClock(datetime.fromisoformat(now)),
        )
        Path(f"{barrier}.{name}").touch()
        while len(list(Path(barrier).parent.glob(Path(barrier).name + ".*"))) < 2:
            if time.time() > deadline:
                raise SystemExit("the other worker never became ready")
            time.sleep(0.002)
        result: dict[str, object] = {"ok": True}
        try:
            backend.find_project("1")
        except FinlinkError as exc:
            result = {"ok": False, "error": str(exc)}
        result["refreshed"] = backend.auth.refreshes
    print(json.dumps(result))


if __name__ == "__main__":
    store_path, base_url, moment, barrier_path, worker, until = sys.argv[1:7]
    main(store_path, base_url, moment, barrier_path, name=worker, deadline=float(until))
