"""The go-live plan as rows for the accountant: one per field written, safe to open in Excel.

:meth:`finlink.sync.Plan.to_csv` writes these rows; :func:`plan_rows` gives them to a host
that renders them otherwise (a web page, a spreadsheet library)::

    plan = engine.plan(relations=crm_relations)
    with open("plan.csv", "w", encoding="utf-8-sig", newline="") as file:
        plan.to_csv(file, records=crm_relations)

Each operation gives one row, except updates (one row per changed field: the
administration's value and the CRM's), field conflicts (one row per field) and, when the CRM
records are passed, creates (one row per field the new record gets). A cell that Excel would
read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
prefixed with ``'`` so it shows as the text it is (CSV injection).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from finlink.model.booking import Booking, Project
from finlink.model.relation import Relation
from finlink.serialization import to_dict

if TYPE_CHECKING:
    from finlink.sync.report import Operation, Plan

__all__ = ["PLAN_CSV_COLUMNS", "PlanRow", "plan_rows", "safe_cell", "write_plan_csv"]

#: The CSV's header, in column order.
PLAN_CSV_COLUMNS = (
    "administration",
    "entity",
    "crm_key",
    "kind",
    "remote_id",
    "field",
    "old_value",
    "new_value",
    "evidence",
)

# Characters that make Excel (and LibreOffice, Google Sheets) read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@attrs.frozen(kw_only=True)
class PlanRow:
    """One line of the plan for the accountant.

    Attributes:
        administration: The administration written to.
        entity: ``relation``, ``contact``, ``project`` or ``booking``.
        crm_key: The CRM key of the record.
        kind: ``create``, ``update``, ``link``, ``review``, ``skip`` or ``invalid``.
        remote_id: The remote record concerned, where known.
        field: The field this row is about (``visiting_address.city``), empty for the whole
            record.
        old_value: The administration's value now (updates, conflicts).
        new_value: The value finlink writes (creates, updates) or the CRM's (conflicts).
        evidence: Why: the match rule, score and evidence; the conflict decision; the
            validation problems; notes.
    """

    administration: str
    entity: str
    crm_key: str
    kind: str
    remote_id: str = ""
    field: str = ""
    old_value: str = ""
    new_value: str = ""
    evidence: str = ""

    def cells(self) -> tuple[str, ...]:
        """The row's cells in :data:`PLAN_CSV_COLUMNS` order, each made safe for Excel."""
        return tuple(safe_cell(getattr(self, column)) for column in PLAN_CSV_COLUMNS)


def safe_cell(value: str) -> str:
    """Return ``value`` so a spreadsheet shows it as text, never runs it as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    ``'`` (OWASP's advice against CSV injection). A negative amount then shows as ``'-12.50``:
    text, exactly as finlink has it, which is what an accountant's check needs.
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


def _text(value: Any) -> str:
    """A value as one cell: text as it is, numbers exactly, structures as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(field path, scalar) of a record's JSON form: ``visiting_address.city``, ``lines[0].x``."""
    if isinstance(value, Mapping):
        for key in sorted(value):
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple) and value and isinstance(value[0], Mapping):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    elif value not in (None, "", [], {}):
        yield prefix, value


def _evidence(op: Operation) -> str:
    parts: list[str] = []
    if op.match:
        rule, score, why = op.match.get("rule"), op.match.get("score"), op.match.get("evidence")
        head = f"rule {rule}, score {score}" if rule is not None else ""
        parts.append(f"{head}: {why}" if head and why else head or str(why or ""))
    parts.extend(str(problem) for problem in op.problems)
    parts.extend(op.notes)
    return "; ".join(p for p in parts if p)


def _record_fields(
    op: Operation, records: Mapping[tuple[str, str], dict[str, Any]]
) -> list[tuple[str, Any]]:
    """The fields a create writes, from the CRM record the plan was made of (if given)."""
    if op.entity == "contact" and "/" in op.crm_key:
        # A contact's key is "<relation key>/<contact id>"; it lives inside its relation.
        relation_key, contact_id = op.crm_key.rsplit("/", 1)
        relation = records.get(("relation", relation_key))
        for contact in (relation or {}).get("contacts") or ():
            if isinstance(contact, Mapping) and str(contact.get("id")) == contact_id:
                return [(f, v) for f, v in _flatten(contact) if f != "id"]
        return []
    payload = records.get((op.entity, op.crm_key))
    if payload is None:
        return []
    skip = {"id", "contacts"} if op.entity == "relation" else {"id"}
    return [(f, v) for f, v in _flatten({k: v for k, v in payload.items() if k not in skip})]


def _entity(record: Relation | Project | Booking) -> str:
    if isinstance(record, Relation):
        return "relation"
    return "project" if isinstance(record, Project) else "booking"


def plan_rows(
    plan: Plan, *, records: Iterable[Relation | Project | Booking] = ()
) -> Iterator[PlanRow]:
    """The plan's rows, in the plan's order (see the module's description).

    Args:
        plan: A plan from :meth:`~finlink.sync.SyncEngine.plan`.
        records: The CRM records the plan was made of; with them a create lists the fields
            it writes, one row each. Without, a create is one row.
    """
    by_key = {(_entity(r), r.id): to_dict(r) for r in records}
    for op in plan.operations:
        base = {
            "administration": op.administration,
            "entity": op.entity,
            "crm_key": op.crm_key,
            "kind": op.kind.value,
            "remote_id": op.remote_id or "",
            "evidence": _evidence(op),
        }
        rows: list[PlanRow] = []
        for field in sorted(op.changes):
            old, new = op.changes[field]
            rows.append(PlanRow(**base, field=field, old_value=_text(old), new_value=_text(new)))
        for conflict in op.conflicts:
            rows.append(
                PlanRow(
                    **{**base, "evidence": f"conflict: {conflict.resolution} wins"},
                    field=conflict.field,
                    old_value=_text(conflict.accounting_value),
                    new_value=_text(conflict.crm_value),
                )
            )
        if op.kind.value == "create" and not op.changes:
            rows.extend(
                PlanRow(**base, field=field, new_value=_text(value))
                for field, value in _record_fields(op, by_key)
            )
        yield from rows or [PlanRow(**base)]


def write_plan_csv(
    plan: Plan, file: TextIO, *, records: Iterable[Relation | Project | Booking] = ()
) -> int:
    """Write the plan as CSV (header first, Excel-safe cells) to ``file``; return the rows.

    Open ``file`` with ``newline=""`` (the csv module writes the line ends itself) and, for Excel
    to read accents right, ``encoding="utf-8-sig"``.
    """
    writer = csv.writer(file, lineterminator="\r\n")
    writer.writerow(PLAN_CSV_COLUMNS)
    count = 0
    for row in plan_rows(plan, records=records):
        writer.writerow(row.cells())
        count += 1
    return count
