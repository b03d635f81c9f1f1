"""A run that looks at few records reads only their review items, not the whole history."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from finlink.sync import OutcomeStatus, SQLiteStore
from finlink.sync._run import REVIEW_LOOKUPS_PER_RUN
from tests.sync.engine_helpers import World, crm_relation

ADM = "exact:1"


def _history_reads(world: World, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Count the store's reads of a whole review history (settled items included)."""
    reads: list[dict[str, Any]] = []
    original = SQLiteStore.reviews

    def counting(store: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("open_only") is False and kwargs.get("limit") is None:
            reads.append(kwargs)
        return original(store, *args, **kwargs)

    monkeypatch.setattr(SQLiteStore, "reviews", counting)
    return reads


def _long_history(world: World, items: int) -> None:
    for i in range(items):
        review = world.store.add_review(
            ADM, "relation", f"old-{i}", reason="ambiguous", candidates=[], payload={}
        )
        world.store.resolve_review(review.review_id, "dismiss")


def test_an_outbox_entry_reads_its_own_review_item_not_the_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(single=True)
    _long_history(world, 300)
    reads = _history_reads(world, monkeypatch)
    for i in range(3):
        world.engine.notify(crm_relation(i))
    report = world.engine.process_outbox()
    assert report.ok
    assert len(world.exact.stored_relations()) == 3
    assert reads == []


def test_a_waiting_record_waits_whether_its_item_is_read_alone_or_with_the_history() -> None:
    world = World(single=True)
    twin = crm_relation(0, coc_number=None, email=None, contacts=())
    world.exact.add_existing_relation(attrs.evolve(twin, id="a"))
    world.exact.add_existing_relation(attrs.evolve(twin, id="b"))
    waiting = crm_relation(0, coc_number=None)
    world.engine.sync_relations([waiting])
    (review,) = world.store.reviews(ADM)
    world.reset_calls()
    # First in the batch, its item is read on its own; last, from the history read once.
    others = [crm_relation(i) for i in range(1, REVIEW_LOOKUPS_PER_RUN + 6)]
    for batch in ([waiting, *others[:3]], [*others[3:], waiting]):
        report = world.engine.sync_relations(batch)
        outcomes = [o for o in report.outcomes if o.operation.crm_key == waiting.id]
        assert [o.status for o in outcomes] == [OutcomeStatus.REVIEW]
        assert "waiting for review" in outcomes[0].operation.notes[0]
    assert world.store.reviews(ADM) == [world.store.get_review(review.review_id)]
    # Every other record was created; the twin never was.
    assert world.exact.calls["create_relation"] == len(others)


def test_a_large_batch_reads_the_history_once(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(single=True)
    _long_history(world, 10)
    reads = _history_reads(world, monkeypatch)
    report = world.engine.sync_relations(
        [crm_relation(i) for i in range(REVIEW_LOOKUPS_PER_RUN + 40)]
    )
    assert report.ok
    assert len(world.exact.stored_relations()) == REVIEW_LOOKUPS_PER_RUN + 40
    assert len(reads) == 1
