"""A sync worker for the crash test: runs the engine against a backend in the parent process.

Run as ``python crash_child.py SOCKET DB PHASE``. Every backend call travels over a local
socket to the parent, which may SIGKILL this process at any call, before or after carrying it
out; the state store is a real SQLite file, so what survives is what a real crash leaves.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Client
from typing import Any

from finlink.backends import Capabilities
from finlink.sync import SQLiteStore, SyncEngine

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))

from tests.sync.crash_data import crm_bookings, crm_state


class ProxyBackend:
    """Forwards every backend call to the parent process."""

    def __init__(self, address: str) -> None:
        self._conn = Client(address, family="AF_UNIX")
        self.administration = "exact:1"
        self.name = "crash-test administration"
        self.capabilities = Capabilities()

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._conn.send((method, args, kwargs))
            ok, value = self._conn.recv()
            if not ok:
                raise value
            return value

        return call


def main() -> None:
    address, db, phase = sys.argv[1], sys.argv[2], int(sys.argv[3])
    backend = ProxyBackend(address)
    with SQLiteStore(db) as store:
        engine = SyncEngine(store=store, backends=[backend], worker_id="crash-child")
        engine.sync_relations(crm_state(phase))
        engine.sync_bookings(crm_bookings(phase))
        engine.retry_failed()


if __name__ == "__main__":
    main()
