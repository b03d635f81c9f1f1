"""Rate limits: never earn a 429, read Exact's headers, wait out a bare 429, one call at a time."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx

from finlink import RelationRole
from finlink.backends.exact import ExactBackend
from finlink.model.relation import Relation
from tests.backends.exact.support import (
    DIVISION,
    RecordingTransport,
    connected_backend,
    new_sandbox,
    recorded_backend,
)


def relation(n: int) -> Relation:
    return Relation(id=f"crm-{n}", name=f"Klant {n}", roles=frozenset({RelationRole.CUSTOMER}))


def test_capabilities_tell_exacts_limits() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    caps = backend.capabilities
    assert [(r.calls, r.period_seconds) for r in caps.rate_limits] == [(60, 60.0), (5000, 86400.0)]
    assert caps.max_concurrency == 1
    assert caps.max_contacts_per_relation is None
    assert caps.customer_and_supplier
    assert caps.max_attachment_bytes == 10 * 1024 * 1024
    assert caps.incremental_reads
    assert caps.max_length("relation.name") == 50
    assert caps.max_length("project.number") == 8


def test_a_burst_of_calls_waits_for_the_next_minute_instead_of_earning_a_429() -> None:
    sandbox, clock = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    start = clock.now()
    for n in range(130):
        backend.create_relation(relation(n), reference=f"crm-{n}")
    statuses = {call.status for call in recorder.api_calls()}
    assert statuses == {201}, "no 429 in normal operation"
    assert (clock.now() - start).total_seconds() >= 120, "130 calls need three clock minutes"


def test_calls_of_another_client_are_seen_in_the_headers_and_waited_for() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    backend.find_project("1")
    other = sandbox.client(token=backend.auth.tokens().access_token.reveal())
    for _ in range(55):  # another process of the same app spends the minute's budget
        assert other.get(f"/api/v1/{DIVISION}/financial/Journals").status_code == 200
    recorder.clear()
    for n in range(10):
        backend.find_project(str(n))
    assert {call.status for call in recorder.api_calls()} == {200}
    assert backend.limiter.waited > 0, "X-RateLimit-Minutely-Remaining made the limiter wait"


def test_a_429_without_headers_is_waited_out() -> None:
    sandbox, clock = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    sandbox.faults.bare_429(path="hrm/Costcenters")
    before = clock.now()
    assert backend.find_project("1") is None
    assert [c.status for c in recorder.api_calls()][-2:] == [429, 200]
    next_minute = before.replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert clock.now() >= next_minute, "without headers the retry waits for the next clock minute"


class _SlowCounting(httpx.BaseTransport):
    """Counts requests in flight (real time: threads overlap while it sleeps)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            time.sleep(0.005)
            return self.inner.handle_request(request)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_one_call_in_flight_per_division_across_threads() -> None:
    sandbox, _ = new_sandbox()
    counting = _SlowCounting(RecordingTransport(sandbox.transport()))
    backend: ExactBackend = connected_backend(sandbox, transport=counting)

    def work(n: int) -> None:
        for m in range(5):
            backend.find_project(f"{n}{m}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counting.most == 1
