"""The go-live plan as CSV for the accountant: one row per field written, safe in Excel."""

from __future__ import annotations

import csv
import io

import attrs
import pytest

from finlink.sync import OperationKind, Plan
from finlink.sync.plan_export import PLAN_CSV_COLUMNS, plan_rows, safe_cell
from finlink.sync.report import ConflictDecision, Operation
from tests.sync.engine_helpers import World, crm_relation


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_creates_updates_and_invalid_records_each_get_their_rows() -> None:
    world = World(single=True)
    world.engine.sync_relations([crm_relation(0)])
    (remote,) = world.exact.stored_relations()
    changed = attrs.evolve(crm_relation(0), email="nieuw@firma0.nl", phone="030 123 4567")
    new = crm_relation(1)
    bad = attrs.evolve(crm_relation(2), iban="NL00BANK0000000000")
    records = [changed, new, bad]
    plan = world.engine.plan(relations=records)

    out = io.StringIO(newline="")
    written = plan.to_csv(out, records=records)
    text = out.getvalue()
    assert text.startswith(",".join(PLAN_CSV_COLUMNS) + "\r\n")
    rows = _read(text)
    assert len(rows) == written

    update = [r for r in rows if r["crm_key"] == "crm-0" and r["entity"] == "relation"]
    assert [(r["kind"], r["field"], r["old_value"], r["new_value"]) for r in update] == [
        ("update", "email", "info@firma0.nl", "nieuw@firma0.nl"),
        ("update", "phone", "", "030 123 4567"),
    ]
    assert {r["remote_id"] for r in update} == {remote.remote_id}

    create = {r["field"]: r for r in rows if r["crm_key"] == "crm-1" and r["entity"] == "relation"}
    assert create["name"]["new_value"] == new.name
    assert create["visiting_address.postcode"]["new_value"] == "3511 AB"
    assert create["coc_number"]["new_value"] == "30000001"
    assert {r["kind"] for r in create.values()} == {"create"}
    assert "no relation in the administration is close enough" in create["name"]["evidence"]
    assert "contacts" not in " ".join(create)  # contacts are operations of their own
    contact = {r["field"]: r["new_value"] for r in rows if r["crm_key"] == "crm-1/c1"}
    assert contact["last_name"] == "Jansen 1"

    (invalid,) = [r for r in rows if r["crm_key"] == "crm-2"]
    assert invalid["kind"] == "invalid"
    assert "iban" in invalid["evidence"]


def test_without_the_records_a_create_is_one_row() -> None:
    world = World(single=True)
    plan = world.engine.plan(relations=[crm_relation(0)])
    rows = list(plan_rows(plan))
    assert [(r.entity, r.kind, r.field) for r in rows] == [
        ("relation", "create", ""),
        ("contact", "create", ""),
        ("contact", "create", ""),
    ]


def test_a_link_carries_its_evidence_and_a_conflict_one_row_per_field() -> None:
    link = Operation(
        administration="exact:1",
        entity="relation",
        crm_key="crm-7",
        kind=OperationKind.LINK,
        remote_id="R-7",
        match={"rule": "kvk", "score": 97, "evidence": "same KvK 12345678"},
    )
    conflict = Operation(
        administration="exact:1",
        entity="relation",
        crm_key="crm-8",
        kind=OperationKind.REVIEW,
        remote_id="R-8",
        conflicts=(
            ConflictDecision(
                field="iban", crm_value="NL1", accounting_value="NL2", resolution="manual"
            ),
        ),
    )
    rows = list(plan_rows(Plan(operations=(link, conflict))))
    assert rows[0].evidence == "rule kvk, score 97: same KvK 12345678"
    assert (rows[0].kind, rows[0].remote_id, rows[0].field) == ("link", "R-7", "")
    assert (rows[1].field, rows[1].old_value, rows[1].new_value, rows[1].evidence) == (
        "iban",
        "NL2",
        "NL1",
        "conflict: manual wins",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+31 30 123", "'+31 30 123"),
        ("-12.50", "'-12.50"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Acme = good", "Acme = good"),
        ("", ""),
    ],
)
def test_a_cell_excel_would_run_as_a_formula_is_shown_as_text(value: str, shown: str) -> None:
    assert safe_cell(value) == shown


def test_a_hostile_relation_name_lands_in_the_csv_as_text() -> None:
    world = World(single=True)
    hostile = attrs.evolve(crm_relation(0), name="=cmd|' /C calc'!A0")
    plan = world.engine.plan(relations=[hostile])
    out = io.StringIO(newline="")
    plan.to_csv(out, records=[hostile])
    (name,) = [r for r in _read(out.getvalue()) if r["field"] == "name"]
    assert name["new_value"] == "'=cmd|' /C calc'!A0"
    for row in _read(out.getvalue()):
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
