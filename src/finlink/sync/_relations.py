"""Relations (and their contacts) into one administration: plan, then carry out."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import attrs

from finlink._errors import FinlinkError, OutcomeUnknownError
from finlink.backends.capabilities import Feature
from finlink.backends.protocol import RelationKeys
from finlink.backends.records import RemoteRecord
from finlink.model.enums import RelationRole
from finlink.model.relation import Contact, Relation
from finlink.sync._match import match_relation, remember_created
from finlink.sync._run import AdministrationRun, Run, latest_review
from finlink.sync.conflicts import (
    ConflictPolicy,
    accounting_wins,
    crm_wins,
    field_ownership,
    manual,
)
from finlink.sync.match_keys import MatchKeys
from finlink.sync.payloads import contact_payload, payload_hash, relation_payload
from finlink.sync.planner import FieldMerge, Snapshot, merge_fields
from finlink.sync.report import InboundChange, Operation, OperationKind, Outcome, OutcomeStatus
from finlink.sync.store import Link, ReviewResolution

__all__ = [
    "CONTACT",
    "RELATION",
    "SUPPLIER_HALF",
    "contact_key",
    "halves",
    "is_split",
    "ordered_contacts",
    "refresh_remote",
    "sends_contacts",
    "sent_contact_keys",
    "sync_relation",
]

RELATION = "relation"
#: The link entity of the supplier half of a relation split in two (SnelStart: one soort each).
SUPPLIER_HALF = "relation.supplier"
CONTACT = "contact"
_BLANK = Snapshot(crm={}, accounting={})


def is_split(relation: Relation, adm: AdministrationRun) -> bool:
    """Whether ``relation`` becomes two remote relations here (customer and supplier halves)."""
    both = relation.is_customer and relation.is_supplier
    return both and not adm.backend.capabilities.customer_and_supplier


def halves(relation: Relation, adm: AdministrationRun) -> list[tuple[str, Relation, str]]:
    """(link entity, relation as sent, reference) for each remote relation it becomes.

    A relation that is both customer and supplier becomes two remote relations where the
    backend cannot hold both roles in one: the customer half keeps the plain reference, the
    supplier half gets ``#supplier`` appended.
    """
    reference = adm.settings.relation_reference(relation) or relation.id
    if is_split(relation, adm):
        customer = attrs.evolve(relation, roles=frozenset({RelationRole.CUSTOMER}))
        supplier = attrs.evolve(relation, roles=frozenset({RelationRole.SUPPLIER}))
        return [(RELATION, customer, reference), (SUPPLIER_HALF, supplier, f"{reference}#supplier")]
    return [(RELATION, relation, reference)]


def refresh_remote(run: Run, name: str) -> None:
    """Read what changed in the administration since the stored cursor (once per run)."""
    adm = run.administrations[name]
    if adm.refreshed or adm.down:
        return
    adm.refreshed = True
    cursor = run.store.get_cursor(name, RELATION)
    incremental = adm.backend.capabilities.incremental_reads
    changes = adm.backend.read_relations(cursor if incremental else None)
    if cursor is not None:
        adm.remote_changes.update({r.remote_id: r for r in changes.records})
        adm.deleted.update(changes.deleted)
    if changes.full:
        adm.candidates = list(changes.records)
        adm.records = {r.remote_id: r for r in changes.records}
    if not run.dry_run and changes.cursor is not None:
        run.store.set_cursor(name, RELATION, changes.cursor)


def sync_relation(
    run: Run, name: str, relation: Relation, fingerprint: str | None = None
) -> list[Outcome]:
    """Plan and (unless dry-run) carry out one relation in one administration.

    With a ``fingerprint`` (see :func:`~finlink.sync.payloads.record_fingerprint`), every link
    written carries it, and it is kept only if everything about the relation — the relation
    and its contacts — reached the administration; so an unchanged relation is recognised
    cheaply next time, and a half-sent one is not.
    """
    adm = run.administrations[name]
    outcomes: list[Outcome] = []
    syncs: list[_HalfSync] = []
    for entity, half, reference in halves(relation, adm):
        sync = _HalfSync(run, name, adm, entity, half, reference, fingerprint=fingerprint)
        syncs.append(sync)
        outcome = sync.execute()
        outcomes.append(outcome)
        remote_id = outcome.remote_id or outcome.operation.remote_id
        if run.dry_run and outcome.operation.kind is OperationKind.CREATE:
            remote_id = "(to be created)"  # a dry run plans the contacts of a new relation too
        sent = outcome.status in (OutcomeStatus.DONE, OutcomeStatus.SKIPPED)
        if sent and adm.settings.sync_contacts and remote_id:
            outcomes.extend(sync.contacts(remote_id))
    if fingerprint is not None and not run.dry_run:
        complete = all(o.status in (OutcomeStatus.DONE, OutcomeStatus.SKIPPED) for o in outcomes)
        for sync in syncs:
            sync.settle(complete=complete)
    if run.reserved:
        for sync in syncs:
            sync.release_reserved()
    return outcomes


@attrs.define
class _HalfSync:
    """One remote relation (a CRM relation, or one half of a split one) in one administration."""

    run: Run
    name: str
    adm: AdministrationRun
    entity: str
    relation: Relation
    reference: str
    fingerprint: str | None = attrs.field(default=None, kw_only=True)
    crm_now: dict[str, Any] = attrs.field(init=False)
    #: The snapshot this run wrote for the link (with the fingerprint, once all was sent).
    written: tuple[str, dict[str, Any], str | None] | None = attrs.field(default=None, init=False)
    #: Whether this run created the remote relation (then it has no contacts yet).
    created: bool = attrs.field(default=False, init=False)
    #: The remote relation's contacts, read once when needed.
    remote_contacts: list[RemoteRecord[Contact]] | None = attrs.field(default=None, init=False)
    #: The link as :meth:`execute` read it, while this half has not written it since (a list:
    #: empty when unknown). :meth:`settle` then need not read it again: on PostgreSQL every
    #: read is a round trip, and a linked relation's settle is one read per record.
    link_read: list[Link | None] = attrs.field(factory=list, init=False)

    def __attrs_post_init__(self) -> None:
        self.crm_now = relation_payload(self.relation)

    # -- helpers ------------------------------------------------------------------------------

    def op(self, kind: OperationKind, **extra: Any) -> Operation:
        return Operation(
            administration=self.name,
            entity=self.entity,
            crm_key=self.relation.id,
            kind=kind,
            **extra,
        )

    def done(self, op: Operation, status: OutcomeStatus, remote_id: str | None = None) -> Outcome:
        return self.run.add(Outcome(operation=op, status=status, remote_id=remote_id))

    def record(
        self, remote_id: str, accounting: dict[str, Any], version: str | None, *, defer: bool
    ) -> None:
        """Record the outcome: ``defer`` puts it off to the next commit (see Run.defer_outcome).

        A link to a record found by matching is written at once: the store refuses a remote id
        already linked to another CRM record, and that refusal belongs to this record.
        """
        snapshot = Snapshot(crm=self.crm_now, accounting=accounting).to_dict()
        # The fingerprint says "all of this record was sent". With contacts still to go, it is
        # written only after them (settle): a crash in between must leave the record changed.
        if self.fingerprint is not None and not self.contacts_to_send():
            snapshot["fingerprint"] = self.fingerprint
        self.written = (remote_id, snapshot, version)
        self.outcome(self.entity, self.relation.id, remote_id, snapshot, version, defer=defer)

    def outcome(
        self,
        entity: str,
        crm_key: str,
        remote_id: str,
        snapshot: dict[str, Any],
        version: str | None = None,
        *,
        defer: bool,
    ) -> None:
        """Record a successful write of this relation or one of its contacts."""
        if entity == self.entity and crm_key == self.relation.id:
            self.link_read.clear()  # written: what execute read is no longer the link
        if defer:
            self.run.defer_outcome(
                self.name,
                entity,
                crm_key,
                remote_id=remote_id,
                snapshot=snapshot,
                remote_version=version,
            )
            return
        self.run.reserved.discard((self.name, entity, crm_key))
        self.run.forget_link(self.name, entity, crm_key)
        with self.run.writing():
            self.run.store.record_outcome(
                self.name,
                entity,
                crm_key,
                remote_id=remote_id,
                snapshot=snapshot,
                remote_version=version,
            )

    def release_reserved(self) -> None:
        """Drop the intents reserved for this half's creates that the run did not use."""
        self.run.release_reserved(self.name, self.entity, self.relation.id)
        for contact in self.relation.contacts:
            self.run.release_reserved(self.name, CONTACT, self.contact_key(contact))

    def contacts_to_send(self) -> bool:
        """Whether this half has contacts the backend takes."""
        return bool(self.relation.contacts) and sends_contacts(self.adm)

    def settle(self, *, complete: bool) -> None:
        """Keep the fingerprint only when everything was sent; add it if nothing was written."""
        if self.fingerprint is None:
            return
        if self.written is not None:
            remote_id, snapshot, version = self.written
            if complete == ("fingerprint" in snapshot):
                return
            if complete:  # the contacts went too: now the record is all sent
                snapshot = {**snapshot, "fingerprint": self.fingerprint}
            else:  # a contact failed: the next run must look at the record again
                snapshot = {k: v for k, v in snapshot.items() if k != "fingerprint"}
            # The same record and remote id as the outcome just recorded: safe to defer.
            self.outcome(self.entity, self.relation.id, remote_id, snapshot, version, defer=True)
            return
        if not complete:
            return
        link = (
            self.link_read[0]
            if self.link_read
            else self.run.get_link(self.name, self.entity, self.relation.id)
        )
        if link is None or (link.snapshot or {}).get("fingerprint") == self.fingerprint:
            return
        self.outcome(
            self.entity,
            self.relation.id,
            link.remote_id,
            {**(link.snapshot or {}), "fingerprint": self.fingerprint},
            link.remote_version,
            defer=True,
        )

    def review(self, op: Operation, reason: str, candidates: list[dict[str, Any]]) -> Outcome:
        op = attrs.evolve(op, notes=(*op.notes, reason))  # the report says why, in plain words
        if not self.run.dry_run:
            with self.run.writing():
                self.run.store.add_review(
                    self.name,
                    self.entity,
                    self.relation.id,
                    reason=reason,
                    candidates=candidates,
                    payload=self.crm_now,
                )
        return self.done(op, OutcomeStatus.REVIEW, op.remote_id)

    # -- the steps ----------------------------------------------------------------------------

    def execute(self) -> Outcome:
        link = self.run.get_link(self.name, self.entity, self.relation.id)
        self.link_read[:] = [link]
        if link is not None:
            snapshot = Snapshot.from_dict(link.snapshot) or _BLANK
            seen = (link.snapshot or {}).get("remote")
            return self.linked(
                link.remote_id,
                snapshot,
                link.remote_version,
                seen=seen if isinstance(seen, dict) else None,
            )
        if self.adm.down:
            op = self.op(OperationKind.CREATE)
            return self.run.add(
                Outcome(operation=op, status=OutcomeStatus.FAILED, error=self.adm.down)
            )
        try:
            return self.unlinked()
        except FinlinkError as error:
            return self.run.fail(self.op(OperationKind.CREATE), error)

    def linked(
        self,
        remote_id: str,
        snapshot: Snapshot,
        version: str | None,
        *,
        seen: dict[str, Any] | None,
    ) -> Outcome:
        """Merge a linked relation three ways and carry the result out.

        ``seen`` is the administration's state read in an earlier run and not merged yet (a
        conflict waiting for a person, or a write that failed): the change cursor has moved
        past it, so it is kept in the snapshot until it is merged.
        """
        if remote_id in self.adm.deleted:
            # The accountant deleted it: not re-created behind their back. The link goes (the
            # deletion is read only once), and the record waits unlinked for a person's decision.
            if not self.run.dry_run:
                self.link_read.clear()
                self.run.forget_link(self.name, self.entity, self.relation.id)
                with self.run.writing():
                    self.run.store.delete_link(self.name, self.entity, self.relation.id)
            op = self.op(OperationKind.REVIEW, remote_id=remote_id)
            return self.review(op, "deleted in the administration: create it again, or dismiss", [])
        remote = self.adm.remote_changes.get(remote_id)
        if remote is not None and version is not None and remote.version == version:
            remote = None  # finlink's own last write, read back: not the accountant's change
        accounting_now = _payload(remote) if remote is not None else seen

        def merged(policy: ConflictPolicy) -> FieldMerge:
            return merge_fields(
                crm_now=self.crm_now,
                snapshot=snapshot,
                accounting_now=accounting_now,
                policy=policy,
                administration=self.name,
                entity=self.entity,
                crm_key=self.relation.id,
                crm_updated_at=self.relation.updated_at,
                accounting_modified_at=remote.modified_at if remote is not None else None,
            )

        merge = merged(self.run.policy)
        if merge.manual:
            decided = self.conflict_decision()
            if decided is not None:
                merge = merged(decided)
        return self.apply(
            remote_id,
            merge,
            snapshot,
            remote,
            kind=OperationKind.UPDATE,
            match=None,
            unmerged=accounting_now,
        )

    def conflict_decision(self) -> ConflictPolicy | None:
        """A person's decision on this record's conflict, if one was taken on it as it is now.

        ``dismiss`` keeps the administration's values; ``link`` (or ``create``) writes the
        CRM's; per-field choices (:meth:`SyncEngine.resolve_conflict`) say it field by field,
        and a field they do not name waits for a person again. A decision taken before the CRM
        record changed again does not count.
        """
        review = latest_review(self.run, self.name, self.entity, self.relation.id)
        if review is None or review.is_open or not review.reason.startswith("conflict"):
            return None
        if dict(review.payload) != self.crm_now:
            return None
        if review.choices is not None:
            return field_ownership(review.choices, default=manual)
        return accounting_wins if review.resolution is ReviewResolution.DISMISS else crm_wins

    def apply(
        self,
        remote_id: str,
        merge: FieldMerge,
        snapshot: Snapshot,
        remote: RemoteRecord[Relation] | None,
        *,
        kind: OperationKind,
        match: Mapping[str, Any] | None,
        unmerged: dict[str, Any] | None = None,
    ) -> Outcome:
        """Carry out a merge: report inbound changes, review, skip or write.

        ``unmerged`` is the administration's state this run saw; where the merge does not end in
        a new snapshot (a conflict for a person, a failed write) it is kept for the next run.
        """
        before = _payload(remote) if remote is not None else dict(snapshot.accounting)
        changes = {f: (before.get(f), value) for f, value in merge.to_write.items()}
        won = {c.field for c in merge.conflicts if c.resolution == "accounting"}
        for reason, fields in (
            ("changed", {f: v for f, v in merge.inbound.items() if f not in won}),
            ("conflict", {f: v for f, v in merge.inbound.items() if f in won}),
        ):
            if fields:
                self.run.inbound(
                    InboundChange(
                        administration=self.name,
                        entity=self.entity,
                        crm_key=self.relation.id,
                        remote_id=remote_id,
                        fields=fields,
                        reason=reason,
                    )
                )
        common = {"remote_id": remote_id, "conflicts": merge.conflicts, "match": match}
        if merge.manual:
            names = ", ".join(c.field for c in merge.conflicts)
            # With the bases (what both sides held at the last sync), so a person sees all
            # three versions (finlink.sync.conflict_versions) without reading the snapshot.
            conflicts = [
                {
                    **attrs.asdict(c),
                    "crm_base": snapshot.crm.get(c.field),
                    "accounting_base": snapshot.accounting.get(c.field),
                }
                for c in merge.conflicts
            ]
            self.keep_unmerged(remote_id, snapshot, unmerged, remote)
            return self.review(
                self.op(OperationKind.REVIEW, **common),
                f"conflict: both the CRM and the administration changed {names}",
                [{"remote_id": remote_id, "conflicts": conflicts}],
            )
        version = remote.version if remote is not None else None
        if not merge.to_write:
            new = Snapshot(crm=self.crm_now, accounting=merge.accounting_after)
            if kind is OperationKind.UPDATE:
                if not self.run.dry_run and new != snapshot:
                    # Remember what both sides hold now, so a difference is reported once.
                    self.record(remote_id, dict(merge.accounting_after), version, defer=True)
                return self.done(
                    self.op(OperationKind.SKIP, **common), OutcomeStatus.SKIPPED, remote_id
                )
        op = self.op(kind, changes=changes, **common)
        if self.run.dry_run:
            return self.done(op, OutcomeStatus.SKIPPED, remote_id)
        if self.adm.down:
            return self.run.add(
                Outcome(operation=op, status=OutcomeStatus.FAILED, error=self.adm.down)
            )
        try:
            accounting = dict(merge.accounting_after)
            if merge.to_write:
                written = self.adm.backend.update_relation(
                    remote_id, self.relation, fields=frozenset(merge.to_write)
                )
                version, accounting = written.version, _payload(written)
            # An update of a linked record is safe to repeat: its outcome can wait for the
            # next commit. A new link cannot (see record).
            self.record(remote_id, accounting, version, defer=kind is OperationKind.UPDATE)
        except FinlinkError as error:
            self.keep_unmerged(remote_id, snapshot, unmerged, remote)
            return self.run.fail(op, error)
        return self.done(op, OutcomeStatus.DONE, remote_id)

    def keep_unmerged(
        self,
        remote_id: str,
        snapshot: Snapshot,
        unmerged: dict[str, Any] | None,
        remote: RemoteRecord[Relation] | None,
    ) -> None:
        """Keep what the administration holds now in the snapshot, unmerged, for the next run."""
        if self.run.dry_run or unmerged is None or unmerged == dict(snapshot.accounting):
            return
        self.outcome(
            self.entity,
            self.relation.id,
            remote_id,
            {**snapshot.to_dict(), "remote": unmerged},
            remote.version if remote is not None else self.link_version(),
            defer=False,
        )

    def link_version(self) -> str | None:
        """The remote version stored with the link."""
        link = self.run.get_link(self.name, self.entity, self.relation.id)
        return link.remote_version if link is not None else None

    def unlinked(self) -> Outcome:
        key = (self.name, self.entity, self.relation.id)
        # An intent this run reserved itself (attempt 1) has no earlier write behind it.
        intent = None if key in self.run.reserved else self.run.get_intent(*key)
        if intent is not None:
            # An earlier create may have landed: look before writing again.
            found = self.adm.backend.find_relations(RelationKeys(reference=intent.reference))
            if found:
                evidence = f"finlink's own reference {intent.reference}"
                return self.link_to(
                    found[0], {"rule": "reference", "score": 100, "evidence": evidence}
                )
            if not self.run.dry_run:
                with self.run.writing():
                    self.run.store.clear_intent(self.name, self.entity, self.relation.id)
        decided = self.reviewed()
        if decided is not None:
            return decided
        result = match_relation(
            self.run,
            self.name,
            self.adm,
            self.relation,
            entity=self.entity,
            reference=self.reference,
        )
        if result.kind is OperationKind.LINK and result.record is not None:
            return self.link_to(result.record, result.match)
        if result.kind is OperationKind.REVIEW:
            return self.review(
                self.op(OperationKind.REVIEW, match=result.match),
                result.reason,
                list(result.candidates),
            )
        return self.create(result.match, keys=result.keys)

    def reviewed(self) -> Outcome | None:
        """Act on a person's review decision, or keep waiting for one; None to match anew.

        While an item is open and the CRM record is as it was when the item was raised, the
        record waits (no matching, no calls). A resolution is carried out once: ``link`` links
        to the chosen record, ``create`` creates without matching, ``dismiss`` leaves the record
        alone until it changes in the CRM.
        """
        review = latest_review(self.run, self.name, self.entity, self.relation.id)
        if review is None:
            return None
        same = dict(review.payload) == self.crm_now
        if review.is_open and same:
            op = self.op(OperationKind.REVIEW, notes=(f"waiting for review: {review.reason}",))
            return self.done(op, OutcomeStatus.REVIEW)
        by_person = "decided by a person in the review queue"
        if review.resolution is ReviewResolution.LINK and review.remote_id:
            record = self.adm.backend.get_relation(review.remote_id)
            return self.link_to(record, {"rule": "review", "score": 100, "evidence": by_person})
        if review.resolution is ReviewResolution.CREATE:
            return self.create({"rule": "review", "score": 0, "evidence": by_person})
        if review.resolution is ReviewResolution.DISMISS and same:
            op = self.op(OperationKind.SKIP, notes=("dismissed in the review queue",))
            return self.done(op, OutcomeStatus.SKIPPED)
        return None

    def link_to(self, record: RemoteRecord[Relation], match: Mapping[str, Any] | None) -> Outcome:
        """Link to an existing remote relation, then bring it in line under the policy.

        Nothing is known about how the two came to differ, so every field both hold
        differently is a conflict for the policy: with ``crm_wins`` the CRM's values are
        written, with ``accounting_wins`` they are offered to the host instead.
        """
        merge = merge_fields(
            crm_now=self.crm_now,
            snapshot=_BLANK,
            accounting_now=_payload(record),
            policy=self.run.policy,
            administration=self.name,
            entity=self.entity,
            crm_key=self.relation.id,
            crm_updated_at=self.relation.updated_at,
            accounting_modified_at=record.modified_at,
        )
        return self.apply(
            record.remote_id, merge, _BLANK, record, kind=OperationKind.LINK, match=match
        )

    def create(self, match: Mapping[str, Any] | None, *, keys: MatchKeys | None = None) -> Outcome:
        op = self.op(OperationKind.CREATE, match=match)
        if self.run.dry_run:
            return self.done(op, OutcomeStatus.SKIPPED)
        key = (self.name, self.entity, self.relation.id)
        if key in self.run.reserved:
            self.run.reserved.discard(key)  # made durable with its batch: use it
        else:
            with self.run.writing():
                self.run.store.begin_intent(
                    *key,
                    reference=self.reference,
                    operation="create",
                    payload_hash=payload_hash(self.crm_now),
                )
        try:
            record = self.adm.backend.create_relation(self.relation, reference=self.reference)
        except OutcomeUnknownError as unknown:
            # Probe once right away; if that fails too, the intent stays and the next run probes.
            found: list[RemoteRecord[Relation]] = []
            with contextlib.suppress(FinlinkError):
                found = list(
                    self.adm.backend.find_relations(RelationKeys(reference=self.reference))
                )
            if not found:
                return self.run.fail(op, unknown)
            record = found[0]
        # The intent is durable and names the reference: the outcome may wait for the next commit.
        self.record(record.remote_id, _payload(record), record.version, defer=True)
        remember_created(self.adm, record, like=keys)
        self.created = True
        return self.done(op, OutcomeStatus.DONE, record.remote_id)

    # -- contacts -----------------------------------------------------------------------------

    def contacts(self, remote_id: str) -> list[Outcome]:
        """Send the contacts the backend can hold; report the others as not transferred."""
        caps = self.adm.backend.capabilities
        if not caps.supports(Feature.CONTACTS) or not self.relation.contacts:
            return []
        contacts = ordered_contacts(self.relation)
        limit = caps.max_contacts_per_relation
        sent, left = (contacts, []) if limit is None else (contacts[:limit], contacts[limit:])
        outcomes = [self.contact(contact, remote_id) for contact in sent]
        for contact in left:
            kept = sent[0].full_name or sent[0].id if sent else "none"
            note = (
                f"contact {contact.full_name or contact.id} not transferred: "
                f"{self.adm.backend.name} holds at most {limit} contact(s) per relation "
                f"({kept} was sent)"
            )
            op = Operation(
                administration=self.name,
                entity=CONTACT,
                crm_key=self.contact_key(contact),
                kind=OperationKind.SKIP,
                notes=(note,),
            )
            outcomes.append(self.run.add(Outcome(operation=op, status=OutcomeStatus.SKIPPED)))
        return outcomes

    def contact_key(self, contact: Contact) -> str:
        return contact_key(self.relation.id, contact, self.entity)

    def contact(self, contact: Contact, relation_remote_id: str) -> Outcome:
        key = self.contact_key(contact)
        payload = contact_payload(contact)
        link = self.run.get_link(self.name, CONTACT, key)

        def contact_op(kind: OperationKind, remote_id: str | None) -> Operation:
            return Operation(
                administration=self.name,
                entity=CONTACT,
                crm_key=key,
                kind=kind,
                remote_id=remote_id,
            )

        if link is not None and link.snapshot == {"crm": payload}:
            op = contact_op(OperationKind.SKIP, link.remote_id)
            return self.run.add(
                Outcome(operation=op, status=OutcomeStatus.SKIPPED, remote_id=link.remote_id)
            )
        kind = OperationKind.UPDATE if link else OperationKind.CREATE
        op = contact_op(kind, link.remote_id if link else None)
        if self.run.dry_run:
            return self.run.add(Outcome(operation=op, status=OutcomeStatus.SKIPPED))
        try:
            made = True
            if link is not None:
                record = self.adm.backend.update_contact(
                    relation_remote_id, link.remote_id, contact
                )
            else:
                record, made = self.create_contact(key, contact, relation_remote_id, payload)
                if not made and contact_payload(record.data) != payload:
                    # An existing contact was linked: bring it in line with the CRM.
                    record = self.adm.backend.update_contact(
                        relation_remote_id, record.remote_id, contact
                    )
            # A contact created (its intent durable) or updated can wait for the next commit;
            # linking one found on the relation cannot (the store may refuse the remote id).
            self.outcome(CONTACT, key, record.remote_id, {"crm": payload}, defer=made)
        except FinlinkError as error:
            return self.run.fail(op, error)
        return self.run.add(
            Outcome(operation=op, status=OutcomeStatus.DONE, remote_id=record.remote_id)
        )

    def create_contact(
        self, key: str, contact: Contact, relation_remote_id: str, payload: dict[str, Any]
    ) -> tuple[RemoteRecord[Contact], bool]:
        """Create a contact exactly once, or link the one the relation already has.

        A relation finlink did not just create (it was linked to the accountant's record, or
        created in an earlier run that crashed) may already hold this person: its contacts are
        read once, and one carrying finlink's reference, the same e-mail address or the same
        name is linked instead of created again. Returns the record and whether it was made
        now (as sent) rather than found.
        """
        reserved = (self.name, CONTACT, key) in self.run.reserved
        if not self.created or (
            not reserved and self.run.get_intent(self.name, CONTACT, key) is not None
        ):
            found = self.existing_contact(key, contact, relation_remote_id)
            if found is not None:
                return found, found.crm_key == key
        if reserved:
            self.run.reserved.discard((self.name, CONTACT, key))
        else:
            with self.run.writing():
                self.run.store.begin_intent(
                    self.name,
                    CONTACT,
                    key,
                    reference=key,
                    operation="create",
                    payload_hash=payload_hash(payload),
                )
        try:
            return self.adm.backend.create_contact(relation_remote_id, contact, reference=key), True
        except OutcomeUnknownError:
            found = None
            self.remote_contacts = None  # read again: the lost create may be there now
            with contextlib.suppress(FinlinkError):
                found = self.existing_contact(key, contact, relation_remote_id)
            if found is None:
                raise
            return found, True

    def existing_contact(
        self, key: str, contact: Contact, relation_remote_id: str
    ) -> RemoteRecord[Contact] | None:
        """The relation's contact that is this person: finlink's reference, e-mail, or name."""
        if self.remote_contacts is None:
            self.remote_contacts = list(self.adm.backend.list_contacts(relation_remote_id))
        email = (contact.email or "").strip().lower()
        name = contact.full_name.strip().lower()
        for record in self.remote_contacts:
            if record.crm_key == key:
                return record
        for record in self.remote_contacts:
            other = record.data
            if email and (other.email or "").strip().lower() == email:
                return record
            if name and other.full_name.strip().lower() == name:
                return record
        return None


def _payload(record: RemoteRecord[Relation]) -> dict[str, Any]:
    return relation_payload(record.data, normalized=True)


def sends_contacts(adm: AdministrationRun) -> bool:
    """Whether contacts go to this administration (its settings and its backend both say yes)."""
    caps = adm.backend.capabilities
    return (
        adm.settings.sync_contacts
        and caps.supports(Feature.CONTACTS)
        and caps.max_contacts_per_relation != 0
    )


def contact_key(crm_key: str, contact: Contact, entity: str) -> str:
    """The link key of a contact of one relation half (``crm-1/c1``; ``crm-1/c1#supplier``)."""
    suffix = "" if entity == RELATION else "#supplier"
    return f"{crm_key}/{contact.id}{suffix}"


def sent_contact_keys(
    crm_key: str, entity: str, half: Relation, adm: AdministrationRun
) -> list[str]:
    """The link keys of the contacts of ``half`` the backend holds, in the order they are sent."""
    limit = adm.backend.capabilities.max_contacts_per_relation
    return [contact_key(crm_key, contact, entity) for contact in ordered_contacts(half)[:limit]]


def ordered_contacts(relation: Relation) -> list[Contact]:
    """The primary contact first (the one a single-contact backend gets), then the others."""
    primary = relation.primary_contact
    rest = [c for c in relation.contacts if c is not primary]
    return ([primary] if primary else []) + rest
