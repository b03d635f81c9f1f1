"""The outbox under random interleavings: no change lost, none out of order, none in flight twice.

A Hypothesis state machine enqueues edits, claims, acknowledges and releases entries as two
workers, and moves a simulated clock so leases run out, against one SQLiteStore. After every
step it checks that no record has two entries under a live lease; at the end it drains the
outbox and checks that each record's last edit was delivered and that the versions each
record delivered only ever went up.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from finlink.clock import SimulatedClock
from finlink.sync.store import SQLiteStore

KEYS = ("C-1", "C-2", "C-3")
WORKERS = ("w1", "w2")
ADMINISTRATIONS = st.none() | st.lists(st.sampled_from(["a", "b"]), min_size=1, unique=True)


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = SimulatedClock()
        self.store = SQLiteStore(":memory:", clock=self.clock, synchronous="NORMAL")
        self.version: dict[str, int] = defaultdict(int)
        self.delivered: dict[str, list[int]] = defaultdict(list)
        self.entry_ids: set[int] = set()
        # Every lease handed out and not yet given back by its holder:
        # (entry id, worker, the payload version it got, lease end).
        self.held: list[tuple[int, str, int, datetime]] = []

    @rule(key=st.sampled_from(KEYS), administrations=ADMINISTRATIONS)
    def edit(self, key: str, administrations: list[str] | None) -> None:
        self.version[key] += 1
        entry = self.store.enqueue("relation", key, {"v": self.version[key]}, administrations)
        self.entry_ids.add(entry.entry_id)

    @rule(
        worker=st.sampled_from(WORKERS),
        limit=st.integers(1, 3),
        lease=st.integers(5, 60),
    )
    def claim(self, worker: str, limit: int, lease: int) -> None:
        now = self.clock.now()
        claimed = self.store.claim(limit, worker, lease_seconds=lease)
        keys = [entry.crm_key for entry in claimed]
        assert len(keys) == len(set(keys)), "one claim handed out a record twice"
        for entry in claimed:
            assert not any(
                held_id == entry.entry_id and until > now for held_id, _, _, until in self.held
            ), f"entry {entry.entry_id} handed out while another worker's lease is live"
            assert entry.lease_until is not None
            self.held.append((entry.entry_id, worker, int(entry.payload["v"]), entry.lease_until))

    @precondition(lambda self: bool(self.held))
    @rule(pick=st.integers(0, 100))
    def ack(self, pick: int) -> None:
        entry_id, worker, version, _ = self.held.pop(pick % len(self.held))
        entry = self.store.get_outbox_entry(entry_id)
        if self.store.ack(entry_id, worker):
            # What reached the vendor is what the worker was handed, not what is stored now.
            assert entry is not None
            self.delivered[entry.crm_key].append(version)
            self._forget(entry_id, worker)

    @precondition(lambda self: bool(self.held))
    @rule(pick=st.integers(0, 100), delay=st.integers(0, 30))
    def release(self, pick: int, delay: int) -> None:
        entry_id, worker, _, _ = self.held.pop(pick % len(self.held))
        retry_at = self.clock.now() + timedelta(seconds=delay)
        if self.store.release(entry_id, worker, error="refused", retry_at=retry_at):
            self._forget(entry_id, worker)

    def _forget(self, entry_id: int, worker: str) -> None:
        # A worker is its name: the same worker that claimed an entry again after its own
        # lease ran out holds it once, and giving it back ends every lease it had on it.
        self.held = [h for h in self.held if (h[0], h[1]) != (entry_id, worker)]

    @rule(seconds=st.integers(1, 40))
    def wait(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @invariant()
    def one_live_lease_per_record(self) -> None:
        now = self.clock.now()
        live: dict[str, int] = defaultdict(int)
        for entry_id in self.entry_ids:
            entry = self.store.get_outbox_entry(entry_id)
            if entry is not None and entry.lease_until is not None and entry.lease_until > now:
                live[entry.crm_key] += 1
        assert all(count <= 1 for count in live.values()), live

    def teardown(self) -> None:
        try:
            self.clock.advance(hours=1)
            for _ in range(50):
                batch = self.store.claim(100, "drain", lease_seconds=60)
                if not batch:
                    break
                for entry in batch:
                    assert self.store.ack(entry.entry_id, "drain")
                    self.delivered[entry.crm_key].append(int(entry.payload["v"]))
            assert self.store.outbox_depth() == 0
            for key, last in self.version.items():
                versions = self.delivered[key]
                assert versions, f"{key}: no edit delivered"
                assert versions[-1] == last, f"{key}: last edit {last} lost, got {versions}"
                assert versions == sorted(set(versions)), f"{key}: out of order {versions}"
        finally:
            self.store.close()


OutboxMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
test_outbox_under_random_interleavings = OutboxMachine.TestCase
