"""Worker: drains every tenant's outbox fairly, backs off on failures, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from finlink import StoreUnavailableError
from finlink.backends.memory import InMemoryBackend
from finlink.sync import HealthServer, SQLiteStore, SyncEngine, Worker
from finlink.testing.datasets import relations

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("worker_child.py")


class Tenants:
    """One SQLite store and one in-memory administration per tenant, kept for inspection."""

    def __init__(self, folder: Path, counts: dict[str, int]) -> None:
        self.folder = folder
        self.backends = {name: InMemoryBackend(administration=f"mem:{name}") for name in counts}
        for name, count in counts.items():
            engine = self.engine(name)
            for relation in relations(count, seed=len(name), id_prefix=f"{name}-"):
                engine.notify(relation)
            engine.store.close()

    def engine(self, name: str) -> SyncEngine:
        store = SQLiteStore(self.folder / f"{name}.db")
        return SyncEngine(store=store, backends=[self.backends[name]], worker_id=f"w-{name}")

    def depth(self, name: str) -> int:
        with SQLiteStore(self.folder / f"{name}.db") as store:
            return store.outbox_depth()

    def stored(self, name: str) -> int:
        return len(self.backends[name].stored_relations())


def test_a_busy_tenant_never_starves_the_others(tmp_path: Path) -> None:
    tenants = Tenants(tmp_path, {"busy": 40, "small": 3, "tiny": 1})
    worker = Worker(tenants.engine, ["busy", "small", "tiny"], batch=5)
    assert worker.run_once() == 5 + 3 + 1
    assert (tenants.depth("busy"), tenants.depth("small"), tenants.depth("tiny")) == (35, 0, 0)
    assert tenants.stored("small") == 3


def test_run_until_idle_drains_every_tenant_and_closes_the_stores(tmp_path: Path) -> None:
    tenants = Tenants(tmp_path, {"a": 12, "b": 7, "c": 0})
    worker = Worker(tenants.engine, lambda: ["a", "b", "c"], batch=4, threads=2, idle_seconds=0.2)
    worker.run(until_idle=True, handle_signals=False)
    assert [tenants.depth(n) for n in "abc"] == [0, 0, 0]
    assert [tenants.stored(n) for n in "abc"] == [12, 7, 0]
    health = worker.health()
    assert health.state == "stopped"
    assert health.processed == 19
    assert [(t.tenant, t.processed) for t in health.tenants] == [("a", 12), ("b", 7), ("c", 0)]


def test_a_failing_tenant_backs_off_and_recovers_while_the_others_go_on(tmp_path: Path) -> None:
    tenants = Tenants(tmp_path, {"good": 6, "flaky": 5})
    failures = {"flaky": 2}
    errors: list[str] = []

    def engine_for(name: str) -> SyncEngine:
        if failures.get(name):
            failures[name] -= 1
            errors.append(name)
            raise StoreUnavailableError("the database went away")
        return tenants.engine(name)

    worker = Worker(engine_for, ["good", "flaky"], batch=2, backoff=(0.05, 0.2), idle_seconds=0.1)
    worker.run(until_idle=True, handle_signals=False)
    assert errors == ["flaky", "flaky"]
    assert (tenants.stored("good"), tenants.stored("flaky")) == (6, 5)
    flaky = next(t for t in worker.health().tenants if t.tenant == "flaky")
    assert (flaky.failures, flaky.last_error, flaky.processed) == (0, None, 5)


def test_health_turns_bad_when_every_tenant_fails_and_is_served_on_loopback(
    tmp_path: Path,
) -> None:
    def engine_for(name: str) -> SyncEngine:
        raise StoreUnavailableError("the database went away")

    beat = tmp_path / "heartbeat.json"
    worker = Worker(engine_for, ["a", "b"], backoff=(0.05, 0.1), heartbeat=beat)
    server = HealthServer(worker.health)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not all(t.failures >= 2 for t in worker.health().tenants):
            assert time.monotonic() < deadline, worker.health()
            time.sleep(0.02)
        health = worker.health()
        assert health.state == "running"
        assert not health.healthy
        assert all("went away" in (t.last_error or "") for t in health.tenants)
        answer = httpx.get(server.url)
        assert answer.status_code == 503
        assert answer.json()["tenants"][0]["tenant"] == "a"
        written = json.loads(beat.read_text())
        assert written["worker_id"] == worker.worker_id
        assert written["state"] == "running"
    finally:
        worker.stop()
        thread.join(timeout=10)
        server.close()
    assert worker.health().state == "stopped"
    assert json.loads(beat.read_text())["state"] == "stopped"


def test_health_is_good_while_running_and_one_tenant_works(tmp_path: Path) -> None:
    tenants = Tenants(tmp_path, {"ok": 1})

    def engine_for(name: str) -> SyncEngine:
        if name == "broken":
            raise StoreUnavailableError("refused")
        return tenants.engine(name)

    worker = Worker(engine_for, ["ok", "broken"], backoff=(0.05, 0.1))
    server = HealthServer(worker.health)
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while tenants.stored("ok") < 1 or worker.health().tenants[0].failures < 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert worker.health().healthy
        assert httpx.get(server.url).status_code == 200
    finally:
        worker.stop()
        thread.join(timeout=10)
        server.close()


def test_sigterm_finishes_the_entry_in_hand_and_leaves_nothing_leased(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    beat = tmp_path / "beat.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(db), str(beat), "60"], env=env)
    try:
        deadline = time.monotonic() + 60
        while not beat.exists() or json.loads(beat.read_text())["processed"] < 3:
            assert time.monotonic() < deadline, "the worker made no progress"
            assert proc.poll() is None, "the worker died"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0
    final = json.loads(beat.read_text())
    assert final["state"] == "stopped"
    with SQLiteStore(db) as store:
        waiting = store.outbox_depth()
        assert 0 < waiting < 60
        assert waiting + final["processed"] == 60
        # Nothing is still leased to the stopped worker: every entry is claimable at once.
        assert len(store.claim(100, "another-worker", 60.0)) == waiting
