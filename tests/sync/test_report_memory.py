"""A report shares what many operations hold alike, and still reads like plain dicts."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest

from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.sync import SQLiteStore, SyncEngine
from finlink.sync.report import Operation, OperationKind
from tests.sync.engine_helpers import crm_relation

ADM = "exact:1"


def _created_report(tmp_path: Path) -> list[Operation]:
    clock = SimulatedClock()
    backend = InMemoryBackend(administration=ADM, clock=clock)
    engine = SyncEngine(
        store=SQLiteStore(tmp_path / "state.db", clock=clock), backends=[backend], clock=clock
    )
    report = engine.sync_relations([crm_relation(i) for i in range(3)])
    assert report.ok
    return [o.operation for o in report.of(entity="relation")]


def test_creates_without_candidates_share_one_read_only_match(tmp_path: Path) -> None:
    ops = _created_report(tmp_path)
    assert [op.kind for op in ops] == [OperationKind.CREATE] * 3
    first = ops[0].match
    assert first is not None
    assert all(op.match is first for op in ops)  # one object, not one per record
    assert first["evidence"] == "no relation in the administration is close enough"
    with pytest.raises(TypeError):
        first["rule"] = "changed"  # type: ignore[index]
    # It reads and serialises as the dict it was.
    plain = ops[0].to_dict()["match"]
    assert plain == {
        "rule": first["rule"],
        "score": first["score"],
        "evidence": first["evidence"],
        "alternatives": [],
    }
    assert type(plain) is dict
    assert type(plain["alternatives"]) is list
    plain["alternatives"].append("mine")  # the caller's copy is its own
    assert ops[1].to_dict()["match"]["alternatives"] == []
    assert first == {**plain, "alternatives": ()}


def test_operations_without_changes_share_a_read_only_empty_mapping() -> None:
    a = Operation(administration=ADM, entity="relation", crm_key="a", kind=OperationKind.SKIP)
    b = Operation(administration=ADM, entity="relation", crm_key="b", kind=OperationKind.SKIP)
    assert a.changes is b.changes
    assert a.changes == {}
    assert len(a.changes) == 0
    with pytest.raises(TypeError):
        a.changes["name"] = ("x", "y")  # type: ignore[index]
    assert a.to_dict()["changes"] == {}
    assert "changes" not in a.describe()
    changed = Operation(
        administration=ADM,
        entity="relation",
        crm_key="c",
        kind=OperationKind.UPDATE,
        changes={"name": ("old", "new")},
    )
    assert changed.changes == {"name": ("old", "new")}


def test_shared_mappings_survive_pickle_copy_and_json(tmp_path: Path) -> None:
    for op in _created_report(tmp_path)[:1]:
        for clone in (pickle.loads(pickle.dumps(op)), copy.deepcopy(op), copy.copy(op)):
            assert clone == op
            assert clone.to_dict() == op.to_dict()
        assert json.loads(json.dumps(op.to_dict()))["match"]["alternatives"] == []
