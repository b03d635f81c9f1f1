"""Four worker processes drain the outbox of 20 administrations into served sandboxes.

Every change arrives exactly once, the sandboxes' own counters show no 429 and no minute or
day over the limit, and Exact's tokens are refreshed without an "old refresh token" refusal.
``FINLINK_FLEET_ENTRIES`` sets the number of outbox entries (2,000 by default).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.postgres import PgSchema
from tests.workers.fleet import assert_delivered_exactly_once, fleet

ENTRIES = int(os.environ.get("FINLINK_FLEET_ENTRIES", "2000"))


@pytest.mark.slow
def test_four_workers_drain_twenty_administrations_exactly_once_within_the_limits(
    pg_schema: PgSchema, tmp_path: Path
) -> None:
    # 20 simulated seconds per real second: Exact's 60 calls a minute are 20 a real second
    # per division, more than two cores can send, so the limits and the CPU both bind.
    with fleet(pg_schema.options_dsn, tmp_path, factor=20) as running:
        running.enqueue(ENTRIES // len(running.spec.tenants))
        started = time.monotonic()
        workers = [running.start_worker(f"w{n}") for n in range(4)]
        codes = [worker.wait(timeout=600) for worker in workers]
        took = time.monotonic() - started
        assert codes == [0, 0, 0, 0]
        exact, _ = assert_delivered_exactly_once(running)
    assert (
        len({i.removesuffix("#supplier") for ids in running.expected.values() for i in ids})
        == ENTRIES
    )
    print(f"{ENTRIES} entries in {took:.1f} s; Exact calls {sum(exact['calls'].values())}")
