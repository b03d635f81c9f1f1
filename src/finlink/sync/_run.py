"""The state of one engine run: per administration, what is known and what happened."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs

from finlink._errors import (
    AuthenticationError,
    BackendError,
    FinlinkError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RemoteValidationError,
    StoreUnavailableError,
    ValidationError,
)
from finlink.backends.protocol import Backend
from finlink.backends.records import RemoteRecord
from finlink.clock import Clock
from finlink.model.enums import RelationRole
from finlink.model.relation import Relation
from finlink.sync.candidates import CandidateIndex
from finlink.sync.conflicts import ConflictPolicy
from finlink.sync.matching import MatchPipeline
from finlink.sync.report import InboundChange, Operation, Outcome, OutcomeStatus, SyncReport
from finlink.sync.settings import AdministrationSettings, CrmLookup, EngineHooks
from finlink.sync.store import (
    Intent,
    Link,
    OutcomeRequest,
    Review,
    ReviewReads,
    StateStore,
    record_outcomes,
)

__all__ = ["AdministrationRun", "Run", "describe_error", "latest_review"]

_log = logging.getLogger("finlink.sync")
T = TypeVar("T")
Key = tuple[str, str, str]


def describe_error(error: FinlinkError) -> tuple[str, str | None, str | None, str | None]:
    """(plain-words message, field path, rule, vendor code) of an error."""
    if isinstance(error, ValidationError):
        first = error.problems[0]
        text = "; ".join(str(p) for p in error.problems)
        return text, first.path or None, first.rule, None
    if isinstance(error, RemoteValidationError):
        field = error.fields[0] if error.fields else None
        code = f" [{error.vendor_code}]" if error.vendor_code else ""
        text = error.vendor_message or error.message
        return f"refused by the administration{code}: {text}", field, None, error.vendor_code
    if isinstance(error, BackendError):
        return error.message, None, None, error.vendor_code
    return str(error), None, None, None


@attrs.define
class AdministrationRun:
    """What one run knows about one administration.

    Attributes:
        backend: The administration's backend.
        settings: Its mapping settings.
        remote_changes: Remote relations changed since the stored cursor, by remote id (read
            once per run).
        deleted: Remote ids deleted since the cursor.
        candidates: Every remote relation (for matching), read lazily once per run.
        down: Why the administration cannot be reached in this run (credentials refused...);
            further records fail at once without calls.
    """

    backend: Backend
    settings: AdministrationSettings
    remote_changes: dict[str, RemoteRecord[Relation]] = attrs.field(factory=dict)
    deleted: set[str] = attrs.field(factory=set)
    refreshed: bool = False
    candidates: list[RemoteRecord[Relation]] | None = None
    index: CandidateIndex | None = None
    records: dict[str, RemoteRecord[Relation]] | None = None
    role_indexes: dict[RelationRole, CandidateIndex] = attrs.field(factory=dict)
    reviews: dict[tuple[str, str], Review] | None = None
    #: Records whose review item this run read one at a time (see ``latest_review``).
    review_lookups: int = 0
    down: str | None = None


#: How many records' review items a run reads one at a time (from a store with
#: ``latest_review``) before it reads the administration's whole review history once instead.
#: A worker handling one outbox entry, or a retry, looks at a record or two: reading every
#: item ever raised (settled ones too) for each of them made a long history cost every entry.
#: A batch run looks at many: past this many, one read of the history is cheaper.
REVIEW_LOOKUPS_PER_RUN = 64


def latest_review(run: Run, name: str, entity: str, crm_key: str) -> Review | None:
    """The latest review item of a record in an administration.

    One indexed read per record for the first :data:`REVIEW_LOOKUPS_PER_RUN` records of a run
    (where the store offers ``latest_review``), then the administration's history read once.
    """
    adm = run.administrations[name]
    if adm.reviews is None:
        if isinstance(run.store, ReviewReads) and adm.review_lookups < REVIEW_LOOKUPS_PER_RUN:
            adm.review_lookups += 1
            return run.store.latest_review(name, entity, crm_key)
        # Oldest first, so a later item of the same record replaces an earlier one.
        adm.reviews = {(r.entity, r.crm_key): r for r in run.store.reviews(name, open_only=False)}
    return adm.reviews.get((entity, crm_key))


@attrs.define
class Run:
    """One engine run: the store, the per-administration state, the report being built."""

    store: StateStore
    administrations: dict[str, AdministrationRun]
    policy: ConflictPolicy
    matcher: MatchPipeline
    lookup: CrmLookup
    hooks: EngineHooks
    clock: Clock
    dry_run: bool = False
    outbox_entry: int | None = None
    worker: str | None = None
    unlinked: int = 0
    #: Whether the report keeps the keys of unchanged records (not only their count).
    unchanged_keys: bool = False
    #: Records found unchanged so far in this run (all administrations together).
    skipped: int = 0
    #: (administration, entity) → CRM key → (remote id, remote version, fingerprint), or None
    #: for no link: read for the chunk at hand (or, from a store that cannot, for the whole
    #: administration once).
    fingerprints: dict[tuple[str, str], dict[str, tuple[str, str | None, str | None] | None]] = (
        attrs.field(factory=dict)
    )
    #: (administration, entity) whose table above holds every link (a key missing: no link).
    whole_tables: set[tuple[str, str]] = attrs.field(factory=set)
    #: With whole tables: (administration, CRM key) of the relations looked at so far, whose
    #: table entry may be stale (a record twice in a batch is then compared in full).
    seen: set[tuple[str, str]] = attrs.field(factory=set)
    report: SyncReport = attrs.field(factory=SyncReport)
    operations: list[Operation] = attrs.field(factory=list)
    #: Store writes put off until the next commit, in order: outcomes of writes whose intent
    #: is already durable, and (as bare keys) clears of reserved intents nothing used; None
    #: where a later outcome superseded one. Safe because the intent stays until the outcome
    #: commits (docs/explanation/exactly-once.md).
    deferred: list[OutcomeRequest | Key | None] = attrs.field(factory=list)
    #: (administration, entity, CRM key) of every deferred write, so a read sees it.
    deferred_keys: set[Key] = attrs.field(factory=set)
    #: Where each record's deferred outcome stands in ``deferred``: a later outcome of the
    #: same record (the fingerprint added once the contacts went) supersedes it.
    deferred_outcomes: dict[Key, int] = attrs.field(factory=dict)
    #: Intents this run made durable ahead of a batch (attempt 1) and has not used yet.
    reserved: set[Key] = attrs.field(factory=set)
    #: The links of the current chunk's reserved contacts, read in one go in the transaction
    #: that reserved their intents (None: no link). Each answers one :meth:`get_link` and
    #: is dropped when this run writes the record's link; the next chunk replaces them.
    known_links: dict[Key, Link | None] = attrs.field(factory=dict)

    # -- deferred writes ---------------------------------------------------------------------

    def defer_outcome(
        self,
        name: str,
        entity: str,
        crm_key: str,
        *,
        remote_id: str,
        snapshot: dict[str, Any] | None,
        remote_version: str | None = None,
    ) -> None:
        """Record a successful write at the next commit instead of in a commit of its own.

        Only for writes whose intent is durable (a create) or that are safe to repeat (an
        update of a linked record): until the outcome commits, a crash leaves the intent, and
        the next run probes by the reference before writing again.
        """
        key = (name, entity, crm_key)
        self.reserved.discard(key)
        self.known_links.pop(key, None)
        position = self.deferred_outcomes.get(key)
        if position is not None:
            # Only the latest outcome of a record matters: one write instead of two. It moves
            # to the end, after the writes it follows (the contacts before the fingerprint).
            self.deferred[position] = None
        self.deferred_outcomes[key] = len(self.deferred)
        self.deferred.append(
            OutcomeRequest(
                administration=name,
                entity=entity,
                crm_key=crm_key,
                remote_id=remote_id,
                snapshot=snapshot,
                remote_version=remote_version,
            )
        )
        self.deferred_keys.add(key)

    def release_reserved(self, name: str, entity: str, crm_key: str) -> None:
        """Drop an intent reserved for this record that nothing used (at the next commit)."""
        key = (name, entity, crm_key)
        if key not in self.reserved:
            return
        self.reserved.discard(key)
        self.deferred.append(key)
        self.deferred_keys.add(key)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One store transaction that first commits the deferred writes, then the caller's.

        The deferred outcomes go to the store as batches (:func:`record_outcomes`: a few
        statements for a whole chunk). A batch the store refuses (it cannot happen for a
        fresh remote id, but a store may fail) is undone and applied again one write at a
        time up to the refused one, which is logged and dropped with those after it: their
        intents stay, so the next run probes for them.
        """
        with self.store.transaction():
            writes, self.deferred = self.deferred, []
            self.deferred_keys.clear()
            self.deferred_outcomes.clear()
            if writes:
                try:
                    with self.store.transaction():  # nested: a failure undoes only these
                        self._apply(writes)
                except FinlinkError:
                    self._apply_until_refused(writes)
            yield

    def _apply(self, writes: list[OutcomeRequest | Key | None]) -> None:
        """Apply deferred writes in order: each run of outcomes as one batch."""
        batch: list[OutcomeRequest] = []
        for write in writes:
            if isinstance(write, OutcomeRequest):
                batch.append(write)
            elif write is not None:
                record_outcomes(self.store, batch)
                batch = []
                self.store.clear_intent(*write)
        record_outcomes(self.store, batch)

    def _apply_until_refused(self, writes: list[OutcomeRequest | Key | None]) -> None:
        """Apply deferred writes one by one, up to the first the store refuses.

        The rest are dropped, never applied out of order: a fingerprint must not be recorded
        when an outcome before it was not. What is dropped leaves its intent, so the next run
        probes for it; nothing is created twice.
        """
        for number, write in enumerate(writes):
            try:
                with self.store.transaction():
                    self._apply([write])
            except FinlinkError as error:
                _log.warning(
                    "a deferred outcome was refused (%s); %d later one(s) are left for the "
                    "next run to find by their intents",
                    error,
                    len(writes) - number - 1,
                )
                return

    def flush(self) -> None:
        """Commit the deferred writes now (before a read that must see them, or the end)."""
        if self.deferred:
            with self.writing():
                pass

    def get_link(self, name: str, entity: str, crm_key: str) -> Link | None:
        """The store's link, after committing a deferred write of the same record.

        A link read with the chunk's reservation answers once, without a call to the store.
        """
        key = (name, entity, crm_key)
        if key in self.deferred_keys:
            self.flush()
        elif key in self.known_links:
            return self.known_links.pop(key)
        return self.store.get_link(name, entity, crm_key)

    def forget_link(self, name: str, entity: str, crm_key: str) -> None:
        """Drop a link read ahead for a record whose link this run is about to write."""
        self.known_links.pop((name, entity, crm_key), None)

    def get_intent(self, name: str, entity: str, crm_key: str) -> Intent | None:
        """The store's pending intent, after committing a deferred write of the same record."""
        if (name, entity, crm_key) in self.deferred_keys:
            self.flush()
        return self.store.get_intent(name, entity, crm_key)

    def add(self, outcome: Outcome) -> Outcome:
        """Record an outcome in the report (and tell the failure hook)."""
        self.report.outcomes.append(outcome)
        if outcome.status is OutcomeStatus.FAILED and self.hooks.on_failure is not None:
            _safe(self.hooks.on_failure, outcome)
        return outcome

    def inbound(self, change: InboundChange) -> None:
        """Record a change made in an administration (and tell the hook)."""
        self.report.inbound.append(change)
        if self.hooks.on_inbound_change is not None:
            _safe(self.hooks.on_inbound_change, change)

    def fail(
        self,
        operation: Operation,
        error: FinlinkError,
        *,
        entity: str | None = None,
        crm_key: str | None = None,
    ) -> Outcome:
        """Log a failure in the store (keeping the record retryable) and in the report.

        Raises:
            StoreUnavailableError: ``error`` itself, when it is the state store that went
                away. The run stops there: no further vendor write may go out that the store
                could not record. Every create already sent has its durable intent, so the
                next run probes for it by reference and nothing is created twice; recording
                this as an ordinary failure would drop that intent (a refused write has none
                to keep), although the vendor may hold the record.
        """
        if isinstance(error, StoreUnavailableError):
            raise error
        message, field, rule, code = describe_error(error)
        adm = self.administrations.get(operation.administration)
        if adm is not None and isinstance(error, AuthenticationError | PermissionDeniedError):
            adm.down = message  # no more calls to an administration that refuses us
        if not self.dry_run:
            key = (
                operation.administration,
                entity or operation.entity,
                crm_key or operation.crm_key,
            )
            self.reserved.discard(key)
            with self.writing():
                self.store.record_failure(
                    operation.administration,
                    entity or operation.entity,
                    crm_key or operation.crm_key,
                    kind=type(error).__name__,
                    message=message,
                    retriable=error.retriable or isinstance(error, OutcomeUnknownError),
                    field_path=field,
                    rule=rule,
                    vendor_code=code,
                    outcome_unknown=isinstance(error, OutcomeUnknownError),
                )
        _log.info(
            "%s %s in %s failed: %s",
            operation.entity,
            operation.crm_key,
            operation.administration,
            message,
        )
        return self.add(
            Outcome(
                operation=operation,
                status=OutcomeStatus.FAILED,
                error=message,
                retriable=error.retriable or isinstance(error, OutcomeUnknownError),
            )
        )


def _safe(hook: Callable[[T], None], value: T) -> None:
    try:
        hook(value)
    except Exception:  # noqa: BLE001 - a host's hook must never break a sync
        _log.exception("an engine hook raised; the sync goes on")


def route_all(names: Sequence[str], routed: Sequence[str]) -> list[str]:
    """Keep the routed administrations in the engine's order."""
    wanted = set(routed)
    return [name for name in names if name in wanted]


def by_name(backends: Sequence[Backend] | Mapping[str, Backend]) -> dict[str, Backend]:
    """Index backends by administration id, refusing duplicates."""
    if isinstance(backends, Mapping):
        return dict(backends)
    result: dict[str, Backend] = {}
    for backend in backends:
        if backend.administration in result:
            raise ValueError(f"two backends serve administration {backend.administration!r}")
        result[backend.administration] = backend
    return result
