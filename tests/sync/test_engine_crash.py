"""SIGKILL the sync worker at random points: a rerun converges, nothing duplicated or lost.

The backend (an InMemoryBackend) lives in this process; the worker is a real subprocess whose
every backend call crosses a local socket. At a call chosen by the seed, this process kills the
worker — either before carrying the call out, or after carrying it out but before answering
(a write committed and its response lost). Then workers run again, unharmed, until done.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from multiprocessing.connection import Listener
from pathlib import Path
from typing import Any

import pytest

from finlink.backends import RelationKeys
from finlink.backends.memory import InMemoryBackend
from finlink.sync import SQLiteStore
from finlink.sync.payloads import contact_payload, relation_payload
from tests.sync.crash_data import crm_bookings, crm_state

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]


def _serve(
    listener: Listener, backend: InMemoryBackend, kill_at: int | None, after: bool, pid: list[int]
) -> None:
    conn = listener.accept()
    calls = 0
    try:
        while True:
            method, args, kwargs = conn.recv()
            calls += 1
            if kill_at is not None and calls == kill_at and not after:
                os.kill(pid[0], signal.SIGKILL)
                return
            try:
                result: tuple[bool, Any] = (True, getattr(backend, method)(*args, **kwargs))
            except Exception as error:  # noqa: BLE001 - every error goes back to the worker
                result = (False, error)
            if kill_at is not None and calls == kill_at:
                os.kill(pid[0], signal.SIGKILL)  # committed, but the answer never arrives
                return
            conn.send(result)
    except (EOFError, OSError):
        return
    finally:
        conn.close()


def _run_worker(
    tmp: Path,
    backend: InMemoryBackend,
    db: Path,
    phase: int,
    *,
    kill_at: int | None = None,
    after: bool = False,
) -> int:
    address = str(tmp / f"sock-{random.random()}")
    with Listener(address, family="AF_UNIX") as listener:
        pid: list[int] = []
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
        proc = subprocess.Popen([sys.executable, str(CHILD), address, str(db), str(phase)], env=env)
        pid.append(proc.pid)
        server = threading.Thread(target=_serve, args=(listener, backend, kill_at, after, pid))
        server.start()
        code = proc.wait(timeout=60)
        server.join(timeout=10)
    return code


def _assert_converged(backend: InMemoryBackend, phase: int) -> None:
    stored = backend.stored_relations()
    for relation in crm_state(phase):
        found = backend.find_relations(RelationKeys(reference=relation.id))
        assert len(found) == 1, f"{relation.id}: {len(found)} remote relations"
        assert relation_payload(found[0].data) == relation_payload(relation), (
            f"{relation.id} differs"
        )
        got = sorted(json.dumps(contact_payload(c), sort_keys=True) for c in found[0].data.contacts)
        want = sorted(json.dumps(contact_payload(c), sort_keys=True) for c in relation.contacts)
        assert got == want, f"{relation.id}: contacts lost or duplicated"
    assert len(stored) == len(crm_state(phase)), "a duplicate relation was created"
    booked = [b.data.invoice_number for b in backend.stored_bookings()]
    assert sorted(booked) == sorted(b.invoice_number for b in crm_bookings(phase)), (
        "an invoice was booked twice or lost"
    )


def _assert_no_write_left_pending(db: Path) -> None:
    # Intents reserved for a batch and outcomes deferred to the next commit must all be settled
    # once a run finishes: nothing is left for a later run to probe.
    with SQLiteStore(db) as store:
        assert store.pending_intents() == [], "a write was left with an unknown outcome"


# FINLINK_CRASH_SEEDS=200 runs more seeds (50 by default: about 2-4 s each).
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(int(os.environ.get("FINLINK_CRASH_SEEDS", "50"))))
def test_sigkill_at_a_random_point_converges_without_duplicates(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    backend = InMemoryBackend(administration="exact:1")
    db = tmp_path / "state.db"
    killed = 0
    # A clean run makes about 25 backend calls in phase 1 and 16 in phase 2.
    for phase, calls in ((1, 25), (2, 16)):
        kill_at = rng.randint(1, calls)
        after = rng.random() < 0.5
        code = _run_worker(tmp_path, backend, db, phase, kill_at=kill_at, after=after)
        if code == 0:
            _assert_converged(backend, phase)  # the run finished before the chosen call
            _assert_no_write_left_pending(db)
            continue
        assert code == -signal.SIGKILL
        killed += 1
        for _ in range(3):
            if _run_worker(tmp_path, backend, db, phase) == 0:
                break
        _assert_converged(backend, phase)
        _assert_no_write_left_pending(db)
    assert killed, "the worker was never killed: the test proved nothing"
