"""PostgresTokenStore: one Exact connection shared by processes, refreshed once per expiry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from finlink import ConfigurationError
from finlink.http import PostgresTokenStore, TokenSet, TokenStore
from finlink.testing import ScaledClock
from finlink.testing._served import SandboxProcess
from tests.postgres import PgSchema

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("pg_token_child.py")
ISSUED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _tokens(n: int) -> TokenSet:
    return TokenSet(
        access_token=f"access-{n}",
        refresh_token=f"refresh-{n}",
        issued_at=ISSUED,
        expires_at=ISSUED + timedelta(seconds=600),
        extra={"n": str(n)},
    )


def test_it_keeps_token_sets_per_tenant_and_key(pg_schema: PgSchema) -> None:
    acme = PostgresTokenStore(pg_schema.options_dsn, namespace="acme")
    globex = PostgresTokenStore(pg_schema.options_dsn, namespace="globex")
    try:
        assert isinstance(acme, TokenStore)
        assert acme.load("exact") is None
        acme.save("exact", _tokens(1))
        acme.save("exact", _tokens(2))
        globex.save("exact", _tokens(9))
        loaded = acme.load("exact")
        assert loaded == _tokens(2)
        assert loaded is not None
        assert loaded.extra["n"] == "2"
        assert globex.load("exact") == _tokens(9)
        assert "access-2" not in repr(acme)
    finally:
        acme.close()
        globex.close()


def test_a_save_inside_the_lock_is_seen_at_once_by_other_processes(pg_schema: PgSchema) -> None:
    store = PostgresTokenStore(pg_schema.options_dsn)
    other = PostgresTokenStore(pg_schema.options_dsn)
    try:
        with store.lock("exact"):
            store.save("exact", _tokens(3))
            # Committed before the lock is let go: a worker killed now leaves the new pair.
            assert other.load("exact") == _tokens(3)
    finally:
        store.close()
        other.close()


def test_the_lock_excludes_other_holders_until_released(pg_schema: PgSchema) -> None:
    store = PostgresTokenStore(pg_schema.options_dsn)
    other = PostgresTokenStore(pg_schema.options_dsn)
    entered = threading.Event()
    order: list[str] = []

    def second() -> None:
        entered.wait()
        with other.lock("exact"):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with store.lock("exact"):
            entered.set()
            time.sleep(0.3)
            order.append("first")
        thread.join(timeout=10)
        assert order == ["first", "second"]
        with store.lock("other-key"), other.lock("exact"):
            pass  # another key is another lock
    finally:
        store.close()
        other.close()


def test_a_wrong_dsn_is_a_configuration_error_without_the_password() -> None:
    with pytest.raises(ConfigurationError, match="DSN is not valid") as caught:
        PostgresTokenStore("host=127.0.0.1 password=s3cret = nonsense")
    assert "s3cret" not in str(caught.value)


@pytest.mark.slow
def test_eight_processes_refresh_one_exact_token_once_per_expiry(
    pg_schema: PgSchema, tmp_path: Path
) -> None:
    # 100 simulated seconds per real second: an access token's 600 s last 6 s. Faster clocks
    # made the test flaky on a loaded 2-core machine: a starved process missed a window.
    clock = ScaledClock(100)
    with SandboxProcess("exact", clock, count=1) as sandbox:
        info = sandbox.info
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
        args = [
            pg_schema.options_dsn,
            clock.spec,
            info["url"],
            info["client_id"],
            info["client_secret"],
            info["redirect_uri"],
        ]
        outs = [tmp_path / f"{n}.json" for n in range(8)]
        procs = [
            subprocess.Popen([sys.executable, str(CHILD), *args, str(out)], env=env) for out in outs
        ]
        started = time.monotonic()
        while not all(Path(f"{out}.ready").exists() for out in outs):
            assert time.monotonic() - started < 120, "the workers did not start"
            time.sleep(0.05)
        # Every worker is up: the connection's first tokens are issued now.
        first = TokenSet.from_token_response(sandbox.ask("connect"), now=clock.now())
        store = PostgresTokenStore(pg_schema.options_dsn, namespace="acme")
        store.save("exact", first)
        store.close()
        # Three expiries (570, 1140, 1710 s) and 400 s (4 real seconds) after the last, for
        # every process to use the third refresh, well before a fourth would be due (2280 s).
        end = first.issued_at + timedelta(seconds=3 * 570 + 400)
        (tmp_path / "go").write_text(end.isoformat())
        codes = [proc.wait(timeout=120) for proc in procs]
        stats = sandbox.ask("stats")
    assert codes == [0] * 8
    results = [json.loads(out.read_text()) for out in outs]
    assert stats["refused_refreshes"] == {}, "a worker used an old refresh token or was early"
    # The token was 570 s old at 570, 1140 and 1710 s: three expiries, three refreshes.
    assert len(stats["refreshes"]) == 3
    assert sum(r["refreshes"] for r in results) == 3
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    assert set(statuses) == {"200"}, statuses
    assert len(set().union(*(r["used"] for r in results))) == 4  # the first pair and three more
