"""Projects (cost centres) and bookings into one administration."""

from __future__ import annotations

from typing import Any

import attrs

from finlink._errors import FinlinkError, OutcomeUnknownError, Problem, ValidationError
from finlink.backends.capabilities import Feature
from finlink.backends.records import RemoteRecord
from finlink.model.booking import Booking, Project
from finlink.model.validation import check
from finlink.sync._relations import RELATION, SUPPLIER_HALF, halves, sync_relation
from finlink.sync._run import AdministrationRun, Run, latest_review
from finlink.sync.payloads import booking_payload, payload_hash, project_payload
from finlink.sync.report import Operation, OperationKind, Outcome, OutcomeStatus
from finlink.sync.store import ReviewResolution

__all__ = ["BOOKING", "DOCUMENT", "PROJECT", "sync_booking", "sync_project"]

PROJECT = "project"
BOOKING = "booking"
DOCUMENT = "document"


def _op(name: str, entity: str, key: str, kind: OperationKind, **extra: Any) -> Operation:
    return Operation(administration=name, entity=entity, crm_key=key, kind=kind, **extra)


# -- projects -------------------------------------------------------------------------------


def sync_project(run: Run, name: str, project: Project) -> Outcome:
    """Plan and (unless dry-run) carry out one project as a cost centre."""
    adm = run.administrations[name]
    payload = project_payload(project)
    link = run.get_link(name, PROJECT, project.id)
    if link is not None and link.snapshot == payload:
        op = _op(name, PROJECT, project.id, OperationKind.SKIP, remote_id=link.remote_id)
        return run.add(
            Outcome(operation=op, status=OutcomeStatus.SKIPPED, remote_id=link.remote_id)
        )
    if adm.down:
        op = _op(name, PROJECT, project.id, OperationKind.UPDATE if link else OperationKind.CREATE)
        return run.add(Outcome(operation=op, status=OutcomeStatus.FAILED, error=adm.down))
    try:
        if link is not None:
            changes = {
                k: (link.snapshot.get(k) if link.snapshot else None, v)
                for k, v in payload.items()
                if not link.snapshot or link.snapshot.get(k) != v
            }
            op = _op(
                name,
                PROJECT,
                project.id,
                OperationKind.UPDATE,
                remote_id=link.remote_id,
                changes=changes,
            )
            if run.dry_run:
                return run.add(Outcome(operation=op, status=OutcomeStatus.SKIPPED))
            record = adm.backend.update_project(link.remote_id, project)
            if not project.active:
                adm.backend.deactivate_project(link.remote_id)
            return _project_done(run, name, project, record, payload=payload, op=op)
        return _new_project(run, name, adm, project, payload)
    except FinlinkError as error:
        return run.fail(_op(name, PROJECT, project.id, OperationKind.CREATE), error)


def _project_done(
    run: Run,
    name: str,
    project: Project,
    record: RemoteRecord[Project],
    *,
    payload: dict[str, Any],
    op: Operation,
) -> Outcome:
    """Record a project's link and snapshot, and report it done."""
    run.store.record_outcome(
        name, PROJECT, project.id, remote_id=record.remote_id, snapshot=payload
    )
    return run.add(Outcome(operation=op, status=OutcomeStatus.DONE, remote_id=record.remote_id))


def _new_project(
    run: Run, name: str, adm: AdministrationRun, project: Project, payload: dict[str, Any]
) -> Outcome:
    # The cost-centre number is its own reference: finding it first both links a cost centre the
    # bookkeeper made and makes a retry after a lost response safe.
    existing = adm.backend.find_project(project.number)
    if existing is not None:
        op = _op(
            name,
            PROJECT,
            project.id,
            OperationKind.LINK,
            remote_id=existing.remote_id,
            match={
                "rule": "number",
                "score": 1.0,
                "evidence": f"cost centre {project.number} exists",
            },
        )
        if run.dry_run:
            return run.add(Outcome(operation=op, status=OutcomeStatus.SKIPPED))
        record = existing
        if existing.data.description != project.description or existing.active != project.active:
            record = adm.backend.update_project(existing.remote_id, project)
        return _project_done(run, name, project, record, payload=payload, op=op)
    op = _op(name, PROJECT, project.id, OperationKind.CREATE)
    if run.dry_run:
        return run.add(Outcome(operation=op, status=OutcomeStatus.SKIPPED))
    run.store.begin_intent(
        name,
        PROJECT,
        project.id,
        reference=project.number,
        operation="create",
        payload_hash=payload_hash(payload),
    )
    try:
        record = adm.backend.create_project(project)
    except OutcomeUnknownError as unknown:
        found = adm.backend.find_project(project.number)
        if found is None:
            return run.fail(op, unknown)
        record = found
    return _project_done(run, name, project, record, payload=payload, op=op)


# -- bookings -------------------------------------------------------------------------------


def _relation_remote_id(run: Run, name: str, adm: AdministrationRun, booking: Booking) -> str:
    """The remote key of the booking's relation in this administration, creating it if needed.

    Raises:
        ValidationError: The relation is unknown, or the administration refused it (the booking
            must not go where its relation was refused).
    """
    entity = RELATION
    if not adm.backend.capabilities.customer_and_supplier and not booking.kind.is_sales:
        entity = SUPPLIER_HALF
    for candidate in (entity, RELATION):
        link = run.get_link(name, candidate, booking.relation_id)
        if link is not None and _half_fits(run, name, adm, candidate, booking):
            return link.remote_id
    error = run.store.get_error(name, entity, booking.relation_id) or run.store.get_error(
        name, RELATION, booking.relation_id
    )
    if error is not None:
        raise _problem(
            "relation_id",
            "relation_refused",
            f"relation {booking.relation_id!r} was refused by {adm.backend.name}: {error.message}; "
            "the booking waits until the relation is fixed",
        )
    relation = run.lookup.relation(booking.relation_id)
    if relation is None:
        raise _problem(
            "relation_id",
            "relation_unknown",
            f"relation {booking.relation_id!r} is not in {adm.backend.name} and finlink was not "
            "given its data; sync the relation first or give the engine a CrmLookup",
        )
    outcomes = sync_relation(run, name, relation)
    wanted = {e for e, _, _ in halves(relation, adm)}
    for outcome in outcomes:
        if outcome.operation.entity in wanted and outcome.status is OutcomeStatus.FAILED:
            raise _problem(
                "relation_id", "relation_refused", f"relation {relation.id!r}: {outcome.error}"
            )
    link = run.get_link(name, entity, booking.relation_id) or run.get_link(
        name, RELATION, booking.relation_id
    )
    if link is None:
        raise _WaitingError(f"waits for its relation {relation.id!r}, which is in the review queue")
    return link.remote_id


class _WaitingError(Exception):
    """The booking cannot go yet: something it needs waits for a person."""


def _half_fits(run: Run, name: str, adm: AdministrationRun, entity: str, booking: Booking) -> bool:
    if entity == SUPPLIER_HALF or adm.backend.capabilities.customer_and_supplier:
        return True
    relation = run.lookup.relation(booking.relation_id)
    # A plain "relation" link of a split administration is the customer half, unless the CRM
    # relation is supplier-only.
    if booking.kind.is_sales:
        return True
    return relation is None or not relation.is_customer


def _project_numbers(
    run: Run, name: str, adm: AdministrationRun, booking: Booking
) -> dict[str, str]:
    numbers: dict[str, str] = {}
    for project_id in {line.project_id for line in booking.lines if line.project_id is not None}:
        link = run.get_link(name, PROJECT, project_id)
        if link is None:
            project = run.lookup.project(project_id)
            if project is None:
                raise _problem(
                    "lines",
                    "project_unknown",
                    f"project {project_id!r} is not in {adm.backend.name} and its data is unknown",
                )
            outcome = sync_project(run, name, project)
            if outcome.status is OutcomeStatus.FAILED:
                raise _problem(
                    "lines", "project_refused", f"project {project_id!r}: {outcome.error}"
                )
            link = run.get_link(name, PROJECT, project_id)
            if link is None:  # pragma: no cover - a done project always has a link
                raise _problem("lines", "project_pending", f"project {project_id!r} is not linked")
        snapshot = link.snapshot or {}
        numbers[project_id] = str(snapshot.get("number", project_id))
    return numbers


def _problem(path: str, rule: str, message: str) -> ValidationError:
    return ValidationError([Problem(path=path, rule=rule, message=message)])


def sync_booking(run: Run, name: str, booking: Booking) -> Outcome:
    """Plan and (unless dry-run) carry out one booking, its relation and projects first."""
    adm = run.administrations[name]
    booking = adm.settings.map_booking(booking)
    payload = booking_payload(booking)
    link = run.get_link(name, BOOKING, booking.id)
    if link is not None:
        return _booked(run, name, adm, booking, link.remote_id, changed=link.snapshot != payload)
    problems = check(booking, rates=adm.settings.vat_rates)
    if problems:
        op = _op(name, BOOKING, booking.id, OperationKind.INVALID, problems=problems)
        error = "; ".join(str(p) for p in problems)
        return run.add(Outcome(operation=op, status=OutcomeStatus.INVALID, error=error))
    op = _op(name, BOOKING, booking.id, OperationKind.CREATE)
    if adm.down or run.dry_run:
        status = OutcomeStatus.SKIPPED if run.dry_run else OutcomeStatus.FAILED
        return run.add(Outcome(operation=op, status=status, error=adm.down))
    try:
        record = _create_booking(run, name, adm, booking, payload=payload)
    except _WaitingError as waiting:
        op = _op(name, BOOKING, booking.id, OperationKind.REVIEW, notes=(str(waiting),))
        return run.add(Outcome(operation=op, status=OutcomeStatus.REVIEW))
    except FinlinkError as error:
        return run.fail(op, error)
    outcome = run.add(Outcome(operation=op, status=OutcomeStatus.DONE, remote_id=record.remote_id))
    _attach(run, name, adm, booking, record.remote_id)
    return outcome


def _booked(
    run: Run, name: str, adm: AdministrationRun, booking: Booking, remote_id: str, *, changed: bool
) -> Outcome:
    """A booking already in the administration: never changed again, its PDF still attached."""
    notes: tuple[str, ...] = ()
    if changed:
        notes = (
            "changed in the CRM after it was booked; finlink does not change booked "
            "invoices: book a credit note and a new invoice",
        )
    op = _op(name, BOOKING, booking.id, OperationKind.SKIP, remote_id=remote_id, notes=notes)
    outcome = run.add(Outcome(operation=op, status=OutcomeStatus.SKIPPED, remote_id=remote_id))
    _attach(run, name, adm, booking, remote_id)
    return outcome


def _create_booking(
    run: Run,
    name: str,
    adm: AdministrationRun,
    booking: Booking,
    *,
    payload: dict[str, Any],
) -> RemoteRecord[Booking]:
    """Create the booking exactly once: probe after an earlier attempt, intent, write, outcome.

    Raises:
        _WaitingError: Its relation waits for review.
        FinlinkError: Its relation or a project was refused, or the vendor refused it.
    """
    relation_remote_id = _relation_remote_id(run, name, adm, booking)
    reference = booking.invoice_number
    numbers = _project_numbers(run, name, adm, booking)
    record = None
    if run.get_intent(name, BOOKING, booking.id) is not None:
        record = adm.backend.find_booking(booking.kind, reference)
    if record is None:
        run.store.begin_intent(
            name,
            BOOKING,
            booking.id,
            reference=reference,
            operation="create",
            payload_hash=payload_hash(payload),
        )
        try:
            record = adm.backend.create_booking(
                booking,
                relation_remote_id=relation_remote_id,
                project_numbers=numbers,
                reference=reference,
            )
        except OutcomeUnknownError as unknown:
            record = adm.backend.find_booking(booking.kind, reference)
            if record is None:
                raise unknown from None
    run.store.record_outcome(
        name,
        BOOKING,
        booking.id,
        remote_id=record.remote_id,
        snapshot=payload,
        remote_version=record.version,
    )
    return record


def _attach(run: Run, name: str, adm: AdministrationRun, booking: Booking, remote_id: str) -> None:
    """Attach the booking's document once (tracked as its own link, retried on its own)."""
    attachment = booking.attachment
    if attachment is None or run.dry_run or run.get_link(name, DOCUMENT, booking.id):
        return
    op = _op(name, DOCUMENT, booking.id, OperationKind.CREATE, remote_id=remote_id)
    caps = adm.backend.capabilities
    limit = caps.max_attachment_bytes
    if not caps.supports(Feature.ATTACHMENTS):
        note = f"{adm.backend.name} takes no documents; the PDF was not sent"
        skip = _op(name, DOCUMENT, booking.id, OperationKind.SKIP, notes=(note,))
        run.add(Outcome(operation=skip, status=OutcomeStatus.SKIPPED))
    elif limit is not None and len(attachment.content) > limit:
        size = len(attachment.content)
        message = f"is {size} bytes; {adm.backend.name} takes at most {limit}"
        run.fail(op, _problem("attachment.content", "max_size", message))
    elif adm.down:
        run.add(Outcome(operation=op, status=OutcomeStatus.FAILED, error=adm.down))
    elif _may_attach(run, name, booking, op):
        try:
            run.store.begin_intent(
                name,
                DOCUMENT,
                booking.id,
                reference=f"{booking.invoice_number}/{attachment.file_name}",
                operation="attach",
                payload_hash=payload_hash({"file": attachment.file_name}),
            )
            document_id = adm.backend.attach_document(remote_id, attachment)
            run.store.record_outcome(
                name, DOCUMENT, booking.id, remote_id=document_id, snapshot=None
            )
        except FinlinkError as error:
            run.fail(op, error)
            return
        run.add(Outcome(operation=op, status=OutcomeStatus.DONE, remote_id=document_id))


def _may_attach(run: Run, name: str, booking: Booking, op: Operation) -> bool:
    """Whether to send the document now; never twice after an answer was lost.

    Backends cannot look an attachment up, so after an attach whose answer was lost (the
    intent is still there) a person checks the booking: ``create`` attaches it again,
    ``dismiss`` records it as attached.
    """
    intent = run.get_intent(name, DOCUMENT, booking.id)
    if intent is None:
        return True
    review = latest_review(run, name, DOCUMENT, booking.id)
    if (
        review is not None
        and review.resolved_at is not None
        and review.resolved_at < intent.created_at
    ):
        review = None  # a decision on an earlier lost upload does not answer this one
    if review is not None and review.resolution is ReviewResolution.CREATE:
        run.store.clear_intent(name, DOCUMENT, booking.id)
        return True
    if review is not None and review.resolution is ReviewResolution.DISMISS:
        run.store.record_outcome(
            name,
            DOCUMENT,
            booking.id,
            remote_id=review.remote_id or "(checked by a person)",
            snapshot=None,
        )
        run.add(Outcome(operation=op, status=OutcomeStatus.DONE))
        return False
    reason = (
        "the PDF may already be attached (the answer to the upload was lost): check the "
        "booking in the administration, then create to attach it again, or dismiss"
    )
    if review is None or not review.is_open:
        run.store.add_review(
            name,
            DOCUMENT,
            booking.id,
            reason=reason,
            candidates=[],
            payload={"booking": booking.id},
        )
    waiting = attrs.evolve(op, kind=OperationKind.REVIEW, notes=(reason,))
    run.add(Outcome(operation=waiting, status=OutcomeStatus.REVIEW))
    return False
