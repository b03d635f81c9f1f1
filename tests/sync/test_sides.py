"""A review item's CRM record beside each candidate's record, differences marked."""

from __future__ import annotations

from finlink import Relation, RelationRole
from finlink.backends.memory import InMemoryBackend
from finlink.sync import SQLiteStore, SyncEngine
from finlink.sync.sides import side_by_side


def test_an_ambiguous_match_keeps_each_candidates_record_for_a_side_by_side_view() -> None:
    exact = InMemoryBackend(administration="exact:1")
    first = exact.add_existing_relation(
        Relation(
            id="old-1",
            name="Bakkerij De Vries",
            roles=frozenset({RelationRole.CUSTOMER}),
            coc_number="30000001",
        )
    )
    second = exact.add_existing_relation(
        Relation(
            id="old-2",
            name="Bakkerij de Vries B.V.",
            roles=frozenset({RelationRole.CUSTOMER}),
            coc_number="30000001",
            email="<script>alert(1)</script>@x.nl",
        )
    )
    engine = SyncEngine(store=SQLiteStore(":memory:"), backends=[exact])
    crm = Relation(
        id="crm-1",
        name="Bakkerij De Vries B.V.",
        roles=frozenset({RelationRole.CUSTOMER}),
        coc_number="30000001",
        email="info@devries.nl",
    )
    engine.sync_relations([crm])
    (item,) = engine.store.reviews()
    records = {c["remote_id"]: c.get("record") for c in item.candidates}
    assert set(records) == {first, second}
    record = records[first]
    assert record is not None
    assert record["name"] == "Bakkerij De Vries"

    rows = {row.field: row for row in side_by_side(item.payload, record)}
    assert rows["name"].differs
    assert (rows["name"].crm, rows["name"].candidate) == (
        "Bakkerij De Vries B.V.",
        "Bakkerij De Vries",
    )
    assert not rows["coc_number"].differs
    assert rows["email"].differs
    assert rows["email"].candidate is None
    # Both empty is no difference.
    assert not rows["phone"].differs


def test_nested_fields_are_flattened_and_a_missing_record_marks_nothing() -> None:
    crm = {"name": "A", "visiting_address": {"city": "Utrecht", "postcode": "3511 AB"}}
    other = {
        "name": "A",
        "visiting_address": {"city": "Zeist", "postcode": "3511 AB"},
        "iban": "NL1",
    }
    rows = side_by_side(crm, other)
    assert [(r.field, r.differs) for r in rows] == [
        ("name", False),
        ("visiting_address.city", True),
        ("visiting_address.postcode", False),
        ("iban", True),
    ]
    assert [r.differs for r in side_by_side(crm, None)] == [False, False, False]
