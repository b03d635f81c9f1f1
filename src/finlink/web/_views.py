"""What the pages show, worked out from the engine's records: flat field lists and diffs.

Pure functions over plain data, so the templates only lay out what these return.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from finlink._errors import Problem
from finlink.sync.conflicts import is_conflict
from finlink.sync.engine import AdministrationStatus, _status_warnings
from finlink.sync.explain import explain_error, explain_evidence, explain_review, field_label
from finlink.sync.report import Operation
from finlink.sync.store import ErrorEntry, Review

__all__ = [
    "FieldRow",
    "compare",
    "field_name",
    "flatten",
    "moment",
    "plain",
    "plan_details",
    "review_kind",
    "status_warnings",
]

#: Fields that are bookkeeping of the record itself, not something to compare.
_NOT_COMPARED = frozenset({"id", "updated_at", "extra", "fingerprint"})


@attrs.frozen(kw_only=True)
class FieldRow:
    """One field shown side by side.

    Attributes:
        field: The field's path, ``visiting_address.city`` or ``contacts[0].email``.
        crm: The CRM's value as text.
        others: Each candidate's value as text, in the order of the candidates.
        differs: For each candidate, whether its value differs from the CRM's.
    """

    field: str
    crm: str
    others: tuple[str, ...]
    differs: tuple[bool, ...]


def plain(value: object) -> str:
    """A value as a bookkeeper reads it: empty for nothing, lists joined by commas."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(plain(v) for v in value)
    return str(value)


def field_name(path: str, language: str) -> str:
    """A field path as a row label: "E-mail address of contact 2", without the article."""
    label = field_label(path, language)
    for article in ("the ", "de ", "het "):
        if label.startswith(article):
            label = label[len(article) :]
            break
    return label[:1].upper() + label[1:]


def status_warnings(status: AdministrationStatus) -> list[tuple[str, dict[str, object]]]:
    """The status's warnings as ``(message key, values)``, so both languages can say them.

    Said from the structured fields (``credentials_refused``, ``pending_intents``,
    ``rate_budget_low``), never by reading the English sentences; a warning in ``warnings``
    that is not the engine's wording of those fields is shown as it is (key ``""``).
    """
    said: list[tuple[str, dict[str, object]]] = []
    if status.credentials_refused is not None:
        said.append(("status.warn_credentials", {"detail": status.credentials_refused}))
    if status.pending_intents:
        said.append(("status.warn_pending", {"count": status.pending_intents}))
    known = set(
        _status_warnings(status.credentials_refused, status.pending_intents, status.rate_budget_low)
    )
    said.extend(("", {"text": warning}) for warning in status.warnings if warning not in known)
    for budget in status.rate_budget_low:
        said.append(
            (
                "status.warn_budget",
                {
                    "remaining": f"{budget.remaining:,}",
                    "limit": f"{budget.window.limit:,}",
                    "window": budget.window.label(),
                    "resets": moment(budget.resets_at) or "—",
                },
            )
        )
    return said


def moment(value: str | datetime | None) -> str:
    """A moment as ``2026-01-05 09:00 UTC`` (an ISO text or an aware datetime); empty for None."""
    if value is None:
        return ""
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def flatten(record: Mapping[str, Any] | None, prefix: str = "") -> dict[str, str]:
    """A nested record as ``path → text``, skipping empty values and bookkeeping fields."""
    flat: dict[str, str] = {}
    for key, value in (record or {}).items():
        if not prefix and key in _NOT_COMPARED:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, path + "."))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for index, item in enumerate(value):
                flat.update(flatten(item, f"{path}[{index}]."))
        else:
            text = plain(value)
            if text:
                flat[path] = text
    return {k.removesuffix("."): v for k, v in flat.items()}


def _same(left: str, right: str) -> bool:
    # Case and spacing differences are not what a bookkeeper is asked to judge here; the
    # matcher normalises far more, but a highlight on "B.V." vs "b.v." would only distract.
    return " ".join(left.casefold().split()) == " ".join(right.casefold().split())


def compare(
    crm: Mapping[str, Any] | None, candidates: Sequence[Mapping[str, Any] | None]
) -> list[FieldRow]:
    """The CRM record and each candidate, field by field, differences marked.

    A field is listed when any side has a value; a candidate that could not be read (None)
    shows nothing and is never marked as differing.
    """
    left = flatten(crm)
    rights = [flatten(c) if c is not None else None for c in candidates]
    fields = list(left)
    for right in rights:
        fields.extend(f for f in (right or {}) if f not in fields)
    rows = []
    for field in fields:
        mine = left.get(field, "")
        others = tuple((r or {}).get(field, "") for r in rights)
        differs = tuple(
            r is not None and not _same(mine, o) for r, o in zip(rights, others, strict=True)
        )
        rows.append(FieldRow(field=field, crm=mine, others=others, differs=differs))
    return rows


def review_kind(review: Review) -> str:
    """``match``, ``conflict``, ``duplicate`` or ``other``: which page settles the item."""
    reason = review.reason
    if is_conflict(review):
        return "conflict"
    if reason.startswith("possible match"):
        return "match"
    if "already linked" in reason:
        return "duplicate"
    return "other"


def record_name(payload: Mapping[str, Any]) -> str:
    """The record's name for a list, from what the CRM sent (its name, number or id)."""
    for key in ("name", "description", "invoice_number", "number", "booking", "id"):
        value = payload.get(key)
        if value:
            return str(value)
    return ""


#: Notes the engine writes in the plan without values, said again in either language.
_NOTE_KEYS: Mapping[str, str] = {
    "dismissed in the review queue": "plan.note_dismissed",
    "changed in the CRM after it was booked; finlink does not change booked invoices: book "
    "a credit note and a new invoice": "plan.note_booked",
}
_WAITING = "waiting for review: "
#: A review reason of a possible match (``possible match (rule, score): evidence``).
_POSSIBLE = re.compile(r"^possible match \([^)]*\): (?P<why>.+)$", re.S)
#: How a field conflict can be decided (``ConflictDecision.resolution``), each with its text.
_RESOLUTIONS = frozenset({"crm", "accounting", "manual"})


def _reason(reason: str, language: str) -> str:
    """A review reason (the engine's English) in plain words, as the review queue says it."""
    now = datetime.now(UTC)
    item = Review(
        review_id=0,
        administration="",
        entity="",
        crm_key="",
        reason=reason,
        candidates=(),
        payload={},
        created_at=now,
        updated_at=now,
        resolution=None,
        remote_id=None,
        resolved_at=None,
    )
    return explain_review(item, language)


def _problem(problem: Problem, language: str) -> str:
    """A validation problem in plain words, as the error log says the same rule."""
    now = datetime.now(UTC)
    entry = ErrorEntry(
        administration="",
        entity="",
        crm_key="",
        kind="ValidationError",
        message=str(problem),
        field_path=problem.path or None,
        rule=problem.rule,
        vendor_code=None,
        retriable=False,
        attempts=0,
        first_seen=now,
        last_seen=now,
    )
    return explain_error(entry, language)


def plan_details(
    operation: Operation, language: str = "en"
) -> Iterable[tuple[str, dict[str, object]]]:
    """The lines under one planned operation, each said once (see :func:`_plan_lines`).

    A review operation carries its match's evidence and, in its note, the same evidence
    again; a bookkeeper reads each phrase once.
    """
    seen: set[str] = set()
    for key, values in _plan_lines(operation, language):
        text = str(values.get("text", "")) if not key else ""
        if text:
            if text in seen:
                continue
            seen.add(text)
        yield key, values


def _plan_lines(operation: Operation, language: str) -> Iterable[tuple[str, dict[str, object]]]:
    """The lines under one planned operation as ``(message key, values)`` pairs.

    Field changes first (old is the administration's value, new the CRM's), then the match
    with its evidence, the conflicts, the problems and the notes, each in ``language`` where
    finlink knows the words (:mod:`finlink.sync.explain`); a custom matcher's phrase or an
    unknown note is kept as it was written (key ``""``).
    """
    for field, (old, new) in sorted(operation.changes.items()):
        yield (
            "plan.change",
            {
                "field": field_name(field, language),
                "old": plain(old) or "∅",
                "new": plain(new) or "∅",
            },
        )
    if operation.match:
        for line in explain_evidence(operation.match, language):
            yield "", {"text": line}
    for conflict in operation.conflicts:
        resolution = conflict.resolution if conflict.resolution in _RESOLUTIONS else "other"
        yield (
            f"plan.conflict_{resolution}",
            {
                "field": field_name(conflict.field, language),
                "crm": plain(conflict.crm_value) or "∅",
                "accounting": plain(conflict.accounting_value) or "∅",
                "resolution": conflict.resolution,
            },
        )
    for problem in operation.problems:
        yield "", {"text": _problem(problem, language)}
    for note in operation.notes:
        if note in _NOTE_KEYS:
            yield _NOTE_KEYS[note], {}
        else:
            waiting = note.startswith(_WAITING)
            reason = note.removeprefix(_WAITING)
            if waiting:
                yield "plan.note_waiting", {"reason": _reason(reason, language)}
            else:
                yield "", {"text": _reason(reason, language)}
            # A possible match's evidence, phrase by phrase, as the review page shows it: the
            # sentence above names only the score and the rule.
            possible = _POSSIBLE.match(reason)
            if possible:
                for line in explain_evidence({"evidence": possible["why"]}, language):
                    yield "", {"text": line}
