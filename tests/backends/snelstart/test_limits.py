"""Limits: truthful capabilities, 429s waited out, bursts kept in budget, bulk concurrency."""

from __future__ import annotations

import threading

from finlink.backends.snelstart import SnelStartBackend, snelstart_capabilities
from finlink.clock import SimulatedClock
from tests.backends.snelstart.samples import relation
from tests.backends.snelstart.support import Rig


def test_capabilities_tell_snelstarts_limits_per_product() -> None:
    test = snelstart_capabilities(test_key=True)
    production = snelstart_capabilities()
    assert [(r.calls, r.period_seconds) for r in test.rate_limits] == [(100, 60), (1000, 3600)]
    assert [(r.calls, r.period_seconds) for r in production.rate_limits] == [
        (500, 60),
        (5000, 3600),
    ]
    assert (test.max_concurrency, production.max_concurrency) == (5, 50)
    assert not production.customer_and_supplier
    assert production.max_contacts_per_relation == 1
    assert production.max_length("relation.name") == 50
    assert production.max_length("booking.invoice_number") == 25


def test_a_429_is_waited_out_as_the_server_asks(rig: Rig, clock: SimulatedClock) -> None:
    rig.backend.reference_data()
    start = clock.monotonic()
    rig.sandbox.faults.throttle("/relaties", method="GET", retry_after=30)
    rig.backend.read_relations()
    assert clock.monotonic() - start >= 30
    assert [c.status for c in rig.admin.calls()].count(429) == 1


def test_a_burst_over_the_minute_budget_waits_instead_of_earning_429s(
    rig: Rig, clock: SimulatedClock
) -> None:
    # One thread: on a simulated clock, threads sleeping in parallel add their sleeps up, so
    # time jumps while a call is between the limiter and the sandbox (a real clock does not;
    # the benchmark shows the bulk path at real timing).
    start = clock.monotonic()
    for i in range(230):
        rig.backend.create_relation(relation(i, vat_number=None), reference=f"crm-{i}")
    assert 429 not in [c.status for c in rig.admin.calls()]
    # 233 calls at 100 a minute (test key): at least two full minutes of waiting.
    assert clock.monotonic() - start >= 120


def test_bulk_creates_keep_up_to_the_concurrency_limit_in_flight(rig: Rig) -> None:
    rig.backend.reference_data()
    gate = rig.sandbox.faults.hold("/relaties", method="POST")
    results: list[object] = []
    items = [(relation(i, vat_number=None), f"crm-{i}") for i in range(12)]
    worker = threading.Thread(target=lambda: results.extend(rig.backend.create_relations(items)))
    worker.start()
    try:
        assert gate.wait_for(5), "fewer than 5 calls ran at once"
        assert not gate.wait_for(6, timeout=0.2), "more calls in flight than the test key allows"
    finally:
        gate.open()
        worker.join(10)
    assert len(results) == 12
    assert all(not isinstance(r, Exception) for r in results)
    assert 429 not in [c.status for c in rig.admin.calls()]


def test_one_call_at_a_time_still_works_beside_bulk(rig: Rig) -> None:
    single = rig.backend.create_relation(relation(1, vat_number=None), reference="crm-1")
    bulk = rig.backend.create_relations([(relation(2, vat_number=None), "crm-2")])
    assert isinstance(rig.backend, SnelStartBackend)
    assert {single.remote_id, *(r.remote_id for r in bulk if not isinstance(r, Exception))} == {
        r["id"] for r in rig.admin.relaties() if "Eigen" not in r["relatiesoort"]
    }
