"""``SyncEngine``: the shell around the pure core, the only place that mixes I/O and state.

One engine serves a one-off script and a long-running worker alike::

    engine = SyncEngine(store=SQLiteStore("finlink.db"), backends=[exact, snelstart])
    report = engine.sync_relations(crm_relations)        # batch
    engine.notify(changed_relation)                       # real time: durable outbox ...
    engine.process_outbox()                               # ... drained by a worker

Every record goes through the same steps in every administration the router sends it to:
validate, compare with the last-synced snapshot (unchanged: no API call), merge with what the
administration changed (three-way, the conflict policy deciding), match before any create (so
no duplicate debtor is made), record an intent, write, record the outcome with its link in one
store transaction. One failing administration never blocks another.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import islice

import attrs

from finlink._errors import (
    ConfigurationError,
    FinlinkError,
    StoreUnavailableError,
    SyncError,
    ValidationError,
)
from finlink.backends.protocol import Backend
from finlink.clock import Clock, SystemClock
from finlink.http import WindowBudget, rate_budget
from finlink.model.booking import Booking, Project
from finlink.model.readback import OpenItem, ProjectCost
from finlink.model.relation import Relation
from finlink.model.validation import check
from finlink.serialization import from_dict, to_dict
from finlink.sync._bookings import BOOKING, PROJECT, sync_booking, sync_project
from finlink.sync._intents import INTENT_BATCH, reserve_intents
from finlink.sync._relations import RELATION, SUPPLIER_HALF, refresh_remote, sync_relation
from finlink.sync._run import AdministrationRun, Run, by_name, describe_error, route_all
from finlink.sync._unchanged import (
    PRELOAD_THRESHOLD,
    can_look_up_chunks,
    is_linked,
    is_unchanged,
    load_chunk,
    preload,
)
from finlink.sync.candidates import CandidateIndex
from finlink.sync.conflicts import (
    ConflictPolicy,
    conflict_remote_id,
    conflict_versions,
    crm_wins,
    is_conflict,
)
from finlink.sync.matching import DuplicateGroup, MatchPipeline, find_duplicates
from finlink.sync.payloads import record_fingerprint
from finlink.sync.readback import pull_open_items, read_project_costs
from finlink.sync.report import (
    Operation,
    OperationKind,
    Outcome,
    OutcomeStatus,
    Plan,
    SyncReport,
)
from finlink.sync.routing import DefaultRouter, Router
from finlink.sync.settings import AdministrationSettings, CrmLookup, EngineHooks
from finlink.sync.store import OutboxEntry, ReviewResolution, StateStore

__all__ = ["AdministrationStatus", "SyncEngine"]

_log = logging.getLogger("finlink.sync")

Record = Relation | Project | Booking
_ENTITY_TYPES: dict[str, type[Relation] | type[Project] | type[Booking]] = {
    RELATION: Relation,
    PROJECT: Project,
    BOOKING: Booking,
}


@attrs.frozen(kw_only=True)
class AdministrationStatus:
    """How one administration is doing, for a dashboard or ``finlink status``.

    Attributes:
        administration: The administration id.
        name: Its display name.
        outbox_depth: Changes waiting to be sent.
        failed: Records whose last attempt failed (see the error log).
        review_open: Records waiting for a person (ambiguous matches, manual conflicts).
        pending_intents: Writes whose outcome is not known yet (probed on the next run).
        last_successful_run: When a run last finished without failures.
        warnings: Plain-words warnings in English (credentials refused, writes with an
            unknown outcome, rate budget nearly spent), for a log or ``finlink status``. The
            same facts are in the structured fields below, for a screen that words them itself.
        rate_budget: The backend's rate budget now, window by window (``()`` for a backend
            without a limiter). Counted across every process when the limiter's state is
            shared (:class:`~finlink.http.PostgresRateLimitState`), else this process's alone.
        credentials_refused: The administration's message when it refused finlink's
            credentials (an ``AuthenticationError`` or ``PermissionDeniedError`` in the error
            log): the customer must consent again, or the key was revoked. None otherwise.
        rate_budget_low: The windows of an hour or more with less than a tenth of their calls
            left (each also in ``rate_budget``); changes wait for their reset.
    """

    administration: str
    name: str
    outbox_depth: int
    failed: int
    review_open: int
    pending_intents: int
    last_successful_run: str | None
    warnings: tuple[str, ...] = ()
    rate_budget: tuple[WindowBudget, ...] = ()
    credentials_refused: str | None = None
    rate_budget_low: tuple[WindowBudget, ...] = ()


class SyncEngine:
    """Keeps CRM records in step with one or more administrations.

    Args:
        store: Where links, snapshots, cursors, the outbox, errors and reviews live.
        backends: One backend per administration (a sequence, or a mapping by id).
        router: Which administrations a record goes to (default :class:`DefaultRouter`).
        matcher: Decides whether an unlinked relation already exists remotely (default
            :class:`~finlink.sync.matching.MatchPipeline` with the built-in tiers).
        conflict_policy: Decides fields both sides changed (default ``crm_wins``).
        settings: Per-administration mapping settings (ledger map, VAT table, reference field).
        lookup: Where to find relations and projects a booking depends on.
        hooks: Callbacks for failures, inbound changes and payment-status changes.
        clock: For timestamps and backoff.
        worker_id: This process's name in the outbox (default host and pid).

    Raises:
        ConfigurationError: No backend, or settings for an administration that has none.
    """

    def __init__(
        self,
        *,
        store: StateStore,
        backends: Sequence[Backend] | Mapping[str, Backend],
        router: Router | None = None,
        matcher: MatchPipeline | None = None,
        conflict_policy: ConflictPolicy = crm_wins,
        settings: Mapping[str, AdministrationSettings] | None = None,
        lookup: CrmLookup | None = None,
        hooks: EngineHooks | None = None,
        clock: Clock | None = None,
        worker_id: str | None = None,
    ) -> None:
        try:
            self._backends = by_name(backends)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from exc
        if not self._backends:
            raise ConfigurationError("the engine needs at least one backend")
        unknown = set(settings or {}) - set(self._backends)
        if unknown:
            raise ConfigurationError(
                f"settings for unknown administrations: {', '.join(sorted(unknown))}"
            )
        self.store = store
        self.router: Router = router or DefaultRouter()
        self.matcher = matcher or MatchPipeline()
        self.conflict_policy = conflict_policy
        self.settings = {
            name: (settings or {}).get(name, AdministrationSettings()) for name in self._backends
        }
        self.lookup = lookup or CrmLookup()
        self.hooks = hooks or EngineHooks()
        self.clock = clock or SystemClock()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"

    @property
    def administrations(self) -> tuple[str, ...]:
        """The administration ids, in the order the backends were given."""
        return tuple(self._backends)

    def backend(self, administration: str) -> Backend:
        """The backend of one administration.

        Raises:
            ConfigurationError: There is no such administration.
        """
        try:
            return self._backends[administration]
        except KeyError:
            known = ", ".join(self._backends)
            raise ConfigurationError(
                f"no administration {administration!r}; configured: {known}"
            ) from None

    # -- runs ---------------------------------------------------------------------------------

    def _run(
        self,
        *,
        dry_run: bool = False,
        only: Iterable[str] | None = None,
        unchanged_keys: bool = False,
    ) -> Run:
        names = list(only) if only is not None else list(self._backends)
        return Run(
            store=self.store,
            administrations={
                name: AdministrationRun(backend=self._backends[name], settings=self.settings[name])
                for name in names
            },
            policy=self.conflict_policy,
            matcher=self.matcher,
            lookup=self.lookup,
            hooks=self.hooks,
            clock=self.clock,
            dry_run=dry_run,
            worker=self.worker_id,
            unchanged_keys=unchanged_keys,
        )

    def _route(self, run: Run, record: Record) -> list[str]:
        return route_all(list(run.administrations), self.router(record, list(run.administrations)))

    def _invalid(
        self, run: Run, entity: str, crm_key: str, error: ValidationError, names: Sequence[str]
    ) -> None:
        for name in names or list(run.administrations):
            op = Operation(
                administration=name,
                entity=entity,
                crm_key=crm_key,
                kind=OperationKind.INVALID,
                problems=error.problems,
            )
            run.add(Outcome(operation=op, status=OutcomeStatus.INVALID, error=str(error)))

    def _each(self, run: Run, entity: str, records: Iterable[Record], kind: str) -> None:
        """Validate, route and sync every record; one record's failure never stops the rest.

        Records stream through in chunks of :data:`INTENT_BATCH`: only the chunk at hand and
        the next one are held, so memory stays flat however long the batch. Each chunk's
        create intents are made durable in one commit, with the outcomes of the chunk before.
        """
        source = iter(records)
        chunk = list(islice(source, INTENT_BATCH))
        following = list(islice(source, INTENT_BATCH)) if len(chunk) == INTENT_BATCH else []
        chunked = entity == RELATION and can_look_up_chunks(run)
        if entity == RELATION and not chunked and len(chunk) + len(following) >= PRELOAD_THRESHOLD:
            preload(run)  # a store without chunk look-ups: every fingerprint at once
        for name in run.administrations:
            if entity == RELATION:
                self._refresh(run, name)
        started = self.clock.now()
        try:
            while chunk:
                if chunked:
                    load_chunk(run, [r for r in chunk if isinstance(r, Relation)])
                self._chunk(run, entity, chunk)
                chunk = following
                following = list(islice(source, INTENT_BATCH)) if following else []
        finally:
            run.flush()
        if not run.dry_run:
            self._finish(run, kind, started)

    def _chunk(self, run: Run, entity: str, chunk: Sequence[Record]) -> None:
        ready: list[tuple[Record, list[str], str | None]] = []
        for record in chunk:
            skipped = run.skipped
            prepared = self._prepare(run, entity, record)
            if isinstance(record, Project) or (
                isinstance(record, Relation) and prepared is None and run.skipped == skipped
            ):
                # A relation to send is kept for bookings' look-ups only if it does not end up
                # linked everywhere (below); an unchanged one is linked wherever it goes. A
                # long batch then costs no memory here.
                self.lookup.remember(record)
            if prepared is not None:
                ready.append((record, *prepared))
        # How many records need matching decides between look-ups by identifier (a few) and
        # one full read of the administration (many): count them as they come, before any of
        # the chunk is matched. An unchanged record is linked: only those to send can count.
        run.unlinked += sum(
            1
            for record, _, _ in ready
            if isinstance(record, Relation)
            and not all(is_linked(run, name, record.id) for name in run.administrations)
        )
        if entity == RELATION and not run.dry_run:
            # One commit makes the whole chunk's create intents durable (and the outcomes of
            # the chunk before it): see docs/explanation/exactly-once.md.
            reserve_intents(run, [(r, t, f) for r, t, f in ready if isinstance(r, Relation)])
        for record, targets, fingerprint in ready:
            first = len(run.report.outcomes)
            self._send(run, entity, record, targets, fingerprint)
            if isinstance(record, Relation) and not _linked_everywhere(
                run, targets, run.report.outcomes[first:]
            ):
                self.lookup.remember(record)

    def _refresh(self, run: Run, name: str) -> None:
        try:
            refresh_remote(run, name)
        except StoreUnavailableError:
            raise  # the store, not the administration, is down: stop the run (see Run.fail)
        except FinlinkError as error:
            message, *_ = describe_error(error)
            run.administrations[name].down = f"cannot read {name}: {message}"
            _log.warning("reading remote changes of %s failed: %s", name, message)

    def _one(
        self, run: Run, entity: str, record: Record, names: Sequence[str] | None = None
    ) -> None:
        prepared = self._prepare(run, entity, record, names)
        if prepared is not None:
            self._send(run, entity, record, *prepared)

    def _prepare(
        self, run: Run, entity: str, record: Record, names: Sequence[str] | None = None
    ) -> tuple[list[str], str | None] | None:
        """Route, skip the unchanged, validate: (administrations to send to, fingerprint)."""
        try:
            targets = list(names) if names is not None else self._route(run, record)
        except ValidationError as error:
            self._invalid(run, entity, record.id, error, [])
            return None
        fingerprint = record_fingerprint(record) if isinstance(record, Relation) else None
        if isinstance(record, Relation) and fingerprint is not None:
            targets = [n for n in targets if not is_unchanged(run, n, record, fingerprint)]
            if not targets:
                return None
        problems = check(record) if not isinstance(record, Booking) else ()
        if problems:
            self._invalid(
                run,
                entity,
                record.id,
                ValidationError(problems, subject=f"{entity} {record.id!r}"),
                targets,
            )
            return None
        return targets, fingerprint

    def _send(
        self,
        run: Run,
        entity: str,
        record: Record,
        targets: Sequence[str],
        fingerprint: str | None,
    ) -> None:
        """Sync one valid, changed record into each administration it goes to."""
        retry: list[str] = []
        for name in targets:
            first = len(run.report.outcomes)
            if isinstance(record, Relation):
                sync_relation(run, name, record, fingerprint)
            elif isinstance(record, Project):
                sync_project(run, name, record)
            else:
                sync_booking(run, name, record)
            if any(
                o.status is OutcomeStatus.FAILED and o.retriable
                for o in run.report.outcomes[first:]
            ):
                retry.append(name)
        if retry and run.outbox_entry is None and not run.dry_run:
            # A transient failure in a batch: keep the record in the durable outbox, so
            # process_outbox() (or retry_failed()) sends it again without the host's help.
            with run.writing():
                self.store.enqueue(entity, record.id, to_dict(record), administrations=retry)

    def _finish(self, run: Run, kind: str, started: datetime) -> None:
        run.flush()
        for name, adm in run.administrations.items():
            # Read by group, not as a list of every outcome: a long run's report is compact
            # (OutcomeList), and listing it whole here made the run's peak memory.
            ok = adm.down is None and run.report.ok_in(name)
            counts: dict[str, int] = {}
            for label, number in run.report.counts().get(name, {}).items():
                counts[label] = number
            self.store.record_run(
                name, kind, started_at=started, finished_at=self.clock.now(), ok=ok, counts=counts
            )

    # -- push: batch ---------------------------------------------------------------------------

    def sync_relations(
        self, relations: Iterable[Relation], *, unchanged_keys: bool = False
    ) -> SyncReport:
        """Push relations (with their contacts) to every administration they are routed to.

        Unchanged relations are counted in the report, not listed; with ``unchanged_keys``
        the report also keeps their keys (``report.unchanged_keys``).
        """
        run = self._run(unchanged_keys=unchanged_keys)
        self._each(run, RELATION, relations, "relations")
        return run.report

    def sync_projects(self, projects: Iterable[Project]) -> SyncReport:
        """Push projects as cost centres."""
        run = self._run()
        self._each(run, PROJECT, projects, "projects")
        return run.report

    def sync_bookings(self, bookings: Iterable[Booking]) -> SyncReport:
        """Push bookings (relations and projects they need are created first)."""
        run = self._run()
        self._each(run, BOOKING, bookings, "bookings")
        return run.report

    def plan(
        self,
        *,
        relations: Iterable[Relation] = (),
        projects: Iterable[Project] = (),
        bookings: Iterable[Booking] = (),
        unchanged_keys: bool = False,
    ) -> Plan:
        """Every intended operation, without writing anything (remote reads do happen).

        Unchanged relations are counted (``plan.unchanged``), not listed; with
        ``unchanged_keys`` their keys are kept too (``plan.unchanged_keys``).
        """
        run = self._run(dry_run=True, unchanged_keys=unchanged_keys)
        self._each(run, RELATION, relations, "plan")
        self._each(run, PROJECT, projects, "plan")
        self._each(run, BOOKING, bookings, "plan")
        return Plan(
            operations=tuple(o.operation for o in run.report.outcomes),
            unchanged=dict(run.report.unchanged),
            unchanged_keys={k: tuple(v) for k, v in run.report.unchanged_keys.items()},
        )

    # -- push: real time -----------------------------------------------------------------------

    def notify(self, record: Record) -> None:
        """Put a changed record in the durable outbox; rapid edits to one record coalesce.

        Raises:
            ValidationError: A booking cannot be routed (it names no administration).
        """
        entity = (
            RELATION
            if isinstance(record, Relation)
            else PROJECT
            if isinstance(record, Project)
            else BOOKING
        )
        targets = self.router(record, list(self._backends))
        routed = None if list(targets) == list(self._backends) else list(targets)
        self.store.enqueue(entity, record.id, to_dict(record), administrations=routed)

    def process_outbox(self, *, limit: int = 100, lease_seconds: float = 300.0) -> SyncReport:
        """Send what waits in the outbox, up to ``limit`` records; failures are retried later."""
        report = SyncReport()
        entries = self.store.claim(limit, self.worker_id, lease_seconds)
        for entry in entries:
            report.extend(self._process_entry(entry))
        return report

    def _process_entry(self, entry: OutboxEntry) -> SyncReport:
        """Send one claimed outbox entry; release it with a backoff if a write failed."""
        cls = _ENTITY_TYPES.get(entry.entity)
        names = list(entry.administrations) if entry.administrations else list(self._backends)
        run = self._run(only=[n for n in names if n in self._backends])
        run.outbox_entry = entry.entry_id
        if cls is None:
            self.store.release(
                entry.entry_id,
                self.worker_id,
                error=f"unknown entity {entry.entity!r}",
                retry_at=self.clock.now() + timedelta(days=1),
            )
            return run.report
        try:
            record = from_dict(entry.payload, cls)
        except ValidationError as error:
            self._invalid(run, entry.entity, entry.crm_key, error, list(run.administrations))
            self.store.ack(entry.entry_id, self.worker_id)
            return run.report
        if isinstance(record, Relation | Project):
            self.lookup.remember(record)
        run.unlinked = 1
        if isinstance(record, Relation):
            for name in run.administrations:
                self._refresh(run, name)
        self._one(
            run,
            entry.entity,
            record,
            names=list(run.administrations) if isinstance(record, Booking) else None,
        )
        run.flush()  # every outcome durable before the entry is acknowledged
        failures = [o for o in run.report.outcomes if o.status is OutcomeStatus.FAILED]
        if failures:
            attempt = entry.attempts + 1
            delay = min(60.0 * 2 ** (attempt - 1), 3600.0)
            self.store.release(
                entry.entry_id,
                self.worker_id,
                error=failures[0].error,
                retry_at=self.clock.now() + timedelta(seconds=delay),
            )
        else:
            # Outcomes acknowledged the entry where one was written; a skip writes nothing.
            self.store.ack(entry.entry_id, self.worker_id)
        self._finish(run, "outbox", self.clock.now())
        return run.report

    def retry_failed(self, *, limit: int = 1000) -> SyncReport:
        """Send again what failed for a passing reason (the vendor was down, a timeout...).

        Records refused for their data (validation, a vendor refusal) are retried when the host
        sends them again after fixing them; their reason stays in the error log until then.
        """
        return self.process_outbox(limit=limit)

    def retry(self, administration: str, entity: str, crm_key: str) -> SyncReport:
        """Try one failed record again now, as a bookkeeper's "retry" button expects.

        The record's change waiting in the outbox is taken out of its backoff and sent at
        once (to every administration it waits for). On success its error-log entry is
        cleared; on another failure the entry is updated (one attempt more, the new reason)
        and the change waits for its next backoff, as after any failure.

        Args:
            administration: The administration of the error-log entry.
            entity: The entity name (``relation``, ``project``, ``booking``).
            crm_key: The CRM key of the record.

        Returns:
            The report of this one attempt.

        Raises:
            ConfigurationError: There is no such administration.
            SyncError: finlink holds nothing it can send for the record (a record refused for
                its data in a batch sync must come again from the CRM, corrected), or another
                worker is sending it right now.
        """
        self.backend(administration)
        entry = self.store.claim_record(entity, crm_key, self.worker_id, _RETRY_LEASE_SECONDS)
        if entry is None:
            error = self.store.get_error(administration, entity, crm_key)
            if error is None:
                raise SyncError(
                    f"there is nothing to retry for {entity} {crm_key!r} in {administration}: "
                    "it is not in the error log and has no change waiting to be sent"
                )
            raise SyncError(
                f"finlink has nothing it can send again for {entity} {crm_key!r} in "
                f"{administration}: the administration refused it ({error.message}). "
                "Correct the record in the CRM and save it there; the CRM then sends it again."
            )
        _log.info(
            "retrying %s %s now (outbox entry %d, attempt %d)",
            entity,
            crm_key,
            entry.entry_id,
            entry.attempts + 1,
        )
        before = {name: self.store.get_error(name, entity, crm_key) for name in self._backends}
        report = self._process_entry(entry)
        for outcome in report.failed():
            op = outcome.operation
            name = op.administration
            if (op.entity, op.crm_key) != (entity, crm_key) or name not in before:
                continue
            if self.store.get_error(name, entity, crm_key) == before[name]:
                # The administration could not be read, so the record failed before any
                # write and nothing logged it; the person pressing "retry" must see this
                # attempt counted, with its reason. A pending intent stays for probing.
                self.store.record_failure(
                    name,
                    entity,
                    crm_key,
                    kind="BackendError",
                    message=outcome.error or "the administration could not be reached",
                    retriable=True,
                    outcome_unknown=self.store.get_intent(name, entity, crm_key) is not None,
                )
        return report

    def resync(self, administration: str, relations: Iterable[Relation]) -> SyncReport:
        """Re-read an administration in full and bring it in line with ``relations``.

        Every link whose remote record is gone is dropped (the relation is matched again, by
        finlink's reference first, so nothing is duplicated); every linked record is compared
        with what the administration holds now, and differences are merged under the conflict
        policy. Use it after restoring a backup, a division move, or a suspected drift.
        """
        self.backend(administration)
        run = self._run(only=[administration])
        adm = run.administrations[administration]
        adm.refreshed = True
        full = adm.backend.read_relations(None)
        present = {r.remote_id: r for r in full.records}
        adm.candidates = list(full.records)
        adm.records = dict(present)
        adm.remote_changes = dict(present)
        for entity in (RELATION, SUPPLIER_HALF):
            for link in list(self.store.links(administration, entity)):
                if link.remote_id not in present:
                    self.store.delete_link(administration, entity, link.crm_key)
        if full.cursor is not None:
            self.store.set_cursor(administration, RELATION, full.cursor)
        batch = list(relations)
        run.unlinked = len(batch)
        started = self.clock.now()
        for relation in batch:
            self.lookup.remember(relation)
            self._one(run, RELATION, relation, names=[administration])
        self._finish(run, "resync", started)
        return run.report

    # -- read back ----------------------------------------------------------------------------

    def pull_open_items(self) -> list[OpenItem]:
        """Open items of every administration, changed since the last pull, with CRM keys."""
        return pull_open_items(self._run(), self.hooks)

    def project_costs(
        self, project_id: str, *, administration: str | None = None
    ) -> list[ProjectCost]:
        """Purchase lines booked on the project's cost centre, in every administration."""
        return read_project_costs(self._run(), project_id, administration)

    # -- operations ---------------------------------------------------------------------------

    def find_duplicates(
        self, relations: Iterable[Relation] | None = None, *, administration: str | None = None
    ) -> list[DuplicateGroup]:
        """Likely duplicates inside the CRM's relations, or inside one administration.

        Clean up the CRM's file before going live (``find_duplicates(crm_relations)``); look at
        what the accountant already has with ``find_duplicates(administration="exact:1")``
        (one full read of the administration's relations).

        Raises:
            ValueError: Neither or both of ``relations`` and ``administration`` given.
        """
        if (relations is None) == (administration is None):
            raise ValueError("give either the CRM's relations or an administration")
        if administration is not None:
            records = self.backend(administration).read_relations(None).records
            return list(
                find_duplicates(CandidateIndex.from_records(records), pipeline=self.matcher)
            )
        return list(find_duplicates(list(relations or ()), pipeline=self.matcher))

    def resolve_review(
        self,
        review_id: int,
        *,
        link_to: str | None = None,
        create: bool = False,
        dismiss: bool = False,
    ) -> None:
        """Settle a review item; the next sync of the record carries the decision out.

        Args:
            review_id: The item (``store.reviews()`` lists them).
            link_to: Link the record to this remote record.
            create: Create the record after all, without matching.
            dismiss: Leave the record alone until it changes in the CRM.

        Raises:
            ValueError: Not exactly one decision given.
            SyncError: The item is unknown or already settled, or ``link_to`` is already
                linked to another CRM record.
        """
        if [link_to is not None, create, dismiss].count(True) != 1:
            raise ValueError("give exactly one of link_to, create or dismiss")
        if link_to is not None:
            review = self.store.get_review(review_id)
            if review is not None:
                taken = self.store.get_link_by_remote(review.administration, review.entity, link_to)
                if taken is not None and taken.crm_key != review.crm_key:
                    raise SyncError(
                        f"{link_to} is already linked to CRM record {taken.crm_key}; resolve "
                        "that duplicate in the CRM first"
                    )
            self.store.resolve_review(review_id, "link", remote_id=link_to)
        else:
            self.store.resolve_review(review_id, "create" if create else "dismiss")

    def resolve_conflict(self, review_id: int, choices: Mapping[str, str]) -> None:
        """Settle a conflict item field by field; the next sync writes exactly those values.

        For each field both sides changed, ``"crm"`` writes the CRM's value to the
        administration and ``"accounting"`` keeps the administration's (offered to the host as
        an inbound change). The decision is kept with the item and carried out by the next
        sync of the record, as long as the CRM record is still as it was when the item was
        raised; after a later CRM change the record is merged anew.

        Args:
            review_id: The conflict item (:func:`~finlink.sync.is_conflict` tells them apart).
            choices: Field name → ``"crm"`` or ``"accounting"``, one for every conflicting
                field (:func:`~finlink.sync.conflict_versions` lists them).

        Raises:
            ValueError: A conflicting field has no choice, a field is not one of the item's
                conflicting fields, or a choice is not ``"crm"``/``"accounting"``; the message
                names the field.
            SyncError: The item is unknown, already settled, or not a conflict (decide those
                with :meth:`resolve_review`).
        """
        review = self.store.get_review(review_id)
        if review is None:
            raise SyncError(f"there is no review item {review_id}")
        if not review.is_open:
            raise SyncError(
                f"review item {review_id} was already resolved ({review.resolution}); "
                "raise a new one if the record needs another look"
            )
        if not is_conflict(review):
            raise SyncError(
                f"review item {review_id} is not a conflict ({review.reason}); "
                "decide it with resolve_review"
            )
        fields = [v.field for v in conflict_versions(review)]
        for field in fields:
            if field not in choices:
                raise ValueError(
                    f"choices[{field!r}]: missing; every conflicting field needs "
                    "'crm' or 'accounting'"
                )
        for field, side in choices.items():
            if field not in fields:
                raise ValueError(
                    f"choices[{field!r}]: not a conflicting field of review item {review_id} "
                    f"(those are: {', '.join(fields)})"
                )
            if side not in ("crm", "accounting"):
                raise ValueError(f"choices[{field!r}]: must be 'crm' or 'accounting', not {side!r}")
        self.store.resolve_review(
            review_id,
            ReviewResolution.LINK,
            remote_id=conflict_remote_id(review),
            choices={field: choices[field] for field in fields},
        )

    def status(self) -> dict[str, AdministrationStatus]:
        """Per administration: outbox depth, failures, reviews, pending writes, last success."""
        result: dict[str, AdministrationStatus] = {}
        for name, backend in self._backends.items():
            s = self.store.status(name)
            # One entry of those kinds is enough: the store filters, so the status (which a
            # web page asks for on every view) never reads a long error log.
            refused = self.store.errors(name, kinds=_CREDENTIAL_KINDS, limit=1)
            credentials_refused = refused[0].message if refused else None
            budgets = rate_budget(backend)
            low = tuple(_low_budgets(budgets))
            result[name] = AdministrationStatus(
                administration=name,
                name=backend.name,
                outbox_depth=s.outbox_depth,
                failed=s.failed,
                review_open=s.review_open,
                pending_intents=s.pending_intents,
                last_successful_run=s.last_successful_run.isoformat()
                if s.last_successful_run
                else None,
                warnings=_status_warnings(credentials_refused, s.pending_intents, low),
                rate_budget=budgets,
                credentials_refused=credentials_refused,
                rate_budget_low=low,
            )
        return result


#: How long a retry holds the record's outbox entry: as long as process_outbox's default.
_RETRY_LEASE_SECONDS = 300.0


def _linked_everywhere(run: Run, targets: Sequence[str], outcomes: Sequence[Outcome]) -> bool:
    """Whether a relation just sent is linked in every administration of the run.

    Then no booking needs its data from the look-up (a booking finds the link first), so the
    engine does not keep it: memory stays flat over a long batch.
    """
    if run.dry_run or set(targets) != set(run.administrations):
        return False
    linked = set()
    for outcome in outcomes:
        if outcome.operation.entity not in (RELATION, SUPPLIER_HALF):
            continue
        if outcome.status not in (OutcomeStatus.DONE, OutcomeStatus.SKIPPED) or not (
            outcome.remote_id
        ):
            return False  # refused, waiting for review, dismissed: not linked there
        linked.add(outcome.operation.administration)
    return linked == set(targets)


#: Error-log kinds that mean the administration refused finlink's credentials.
_CREDENTIAL_KINDS = ("AuthenticationError", "PermissionDeniedError")

#: Below this share of a window's calls left, ``status()`` warns (Exact: 500 of 5,000 a day).
LOW_BUDGET_SHARE = 0.1


def _low_budgets(budgets: Sequence[WindowBudget]) -> list[WindowBudget]:
    """The windows of an hour or more that are nearly spent.

    A minute window runs low all the time under load and refills within the minute; a day
    that is nearly spent means changes will wait until it resets.
    """
    return [
        budget
        for budget in budgets
        if budget.window.seconds >= 3600
        and budget.remaining < budget.window.limit * LOW_BUDGET_SHARE
    ]


def _status_warnings(
    credentials_refused: str | None, pending_intents: int, low: Sequence[WindowBudget]
) -> tuple[str, ...]:
    """``AdministrationStatus.warnings``: its structured fields in plain English words.

    One function makes them, so a screen that words the structured fields itself can tell
    these from any other warning by equality, never by parsing the sentences.
    """
    warnings = []
    if credentials_refused is not None:
        warnings.append(f"credentials refused: {credentials_refused}")
    if pending_intents:
        warnings.append(
            f"{pending_intents} write(s) with unknown outcome; the next run checks them"
        )
    for budget in low:
        window = budget.window
        resets = f"; it resets at {budget.resets_at:%Y-%m-%d %H:%M} UTC" if budget.resets_at else ""
        warnings.append(
            f"rate budget nearly spent: {budget.remaining:,} of {window.limit:,} calls "
            f"left ({window.label()}){resets}"
        )
    return tuple(warnings)
