"""``InMemoryBackend``: the reference backend, and the test double the engine's tests run on.

It implements every part of the :class:`~finlink.backends.Backend` protocol against dicts, with
the rules a real administration enforces (unique references, roles a booking needs, known
ledger accounts and cost centres, field lengths and contact limits from its capabilities), so a
host's tests see the same refusals they would see in production. On top of the protocol it has
a test-facing side: accountant edits, payments, deletions, call counting and fault injection.

``InMemoryBackend()`` with no arguments is a ready backend with default capabilities. To behave
like SnelStart::

    InMemoryBackend(capabilities=Capabilities(max_contacts_per_relation=1,
                                              customer_and_supplier=False))
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import attrs

from finlink._errors import (
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RemoteValidationError,
)
from finlink.backends.capabilities import Capabilities, Feature
from finlink.backends.faults import Delay, FailWith, Fault, FaultPlan, LoseResponse
from finlink.backends.memory.data import DEFAULT_REFERENCE_DATA, open_item_of, project_costs_of
from finlink.backends.memory.rows import (
    BookingRow,
    ProjectRow,
    RelationRow,
    Row,
    contact_texts,
    matches,
    parse_cursor,
    relation_texts,
)
from finlink.backends.protocol import ChangeSet, RelationKeys
from finlink.backends.records import RemoteRecord
from finlink.backends.reference import ReferenceData
from finlink.clock import Clock, SystemClock
from finlink.model.booking import Attachment, Booking, Project
from finlink.model.enums import BookingKind, RelationRole
from finlink.model.normalize import normalize_relation
from finlink.model.readback import OpenItem, ProjectCost
from finlink.model.relation import Contact, Relation

__all__ = ["InMemoryBackend"]

_RELATION_FIELDS = frozenset(a.name for a in attrs.fields(Relation)) - {"id", "contacts"}


class InMemoryBackend:
    """A complete backend that keeps one administration in memory.

    Args:
        administration: The administration id (default ``"memory"``).
        name: A display name (default derived from ``administration``).
        capabilities: What it may hold (default: everything, no limits).
        reference_data: Ledgers, VAT codes, journals and countries (default: a Dutch chart of
            accounts). Bookings on ledger codes it lacks are refused.
        clock: For ``modified_at`` stamps and simulated latency.
        latency: Seconds every call sleeps on ``clock`` (simulated latency).
    """

    def __init__(
        self,
        *,
        administration: str = "memory",
        name: str | None = None,
        capabilities: Capabilities | None = None,
        reference_data: ReferenceData | None = None,
        clock: Clock | None = None,
        latency: float = 0.0,
    ) -> None:
        self._administration = administration
        self._name = name or f"In-memory administration {administration!r}"
        self._capabilities = capabilities or Capabilities()
        self._reference = reference_data or DEFAULT_REFERENCE_DATA
        self._clock = clock or SystemClock()
        self._latency = latency
        self._lock = threading.RLock()
        self._last_seq = 0
        self._ids: Counter[str] = Counter()
        self._relations: dict[str, RelationRow] = {}
        self._relation_refs: dict[str, str] = {}  # reference → remote id, for O(1) duplicates
        self._projects: dict[str, ProjectRow] = {}
        self._bookings: dict[str, BookingRow] = {}
        self._documents: dict[str, tuple[str, Attachment]] = {}
        self._deleted: list[tuple[int, str]] = []
        self._oi_seq: dict[str, int] = {}
        #: Calls made, per operation name (``calls["create_relation"]``).
        self.calls: Counter[str] = Counter()
        #: Scheduled faults; see :meth:`inject`.
        self.faults = FaultPlan()

    # -- identity ---------------------------------------------------------------------------

    @property
    def administration(self) -> str:
        """The administration id."""
        return self._administration

    @property
    def name(self) -> str:
        """The display name."""
        return self._name

    @property
    def capabilities(self) -> Capabilities:
        """The capabilities it was created with."""
        return self._capabilities

    def __repr__(self) -> str:
        return f"InMemoryBackend(administration={self._administration!r})"

    # -- test-facing side ---------------------------------------------------------------------

    def inject(
        self, operation: str, fault: Fault, *, on_call: int | None = None, times: int = 1
    ) -> None:
        """Schedule a fault for ``operation`` (see :class:`~finlink.backends.faults.FaultPlan`)."""
        self.faults.add(operation, fault, on_call=on_call, times=times)

    @property
    def total_calls(self) -> int:
        """All calls made so far."""
        return sum(self.calls.values())

    def add_existing_relation(self, relation: Relation, *, reference: str | None = None) -> str:
        """Put a relation in the administration as if a bookkeeper had made it; returns its id.

        No call is counted and no capability is checked: this is the state before finlink.
        """
        with self._lock:
            row = RelationRow(
                self._new_id("rel"),
                reference,
                self._next_seq(),
                modified_at=self._clock.now(),
                relation=relation,
            )
            for contact in relation.contacts:
                row.contacts[self._new_id("con")] = (contact, contact.id)
            self._relations[row.remote_id] = row
            if reference is not None:
                self._relation_refs[reference] = row.remote_id
            return row.remote_id

    def edit_relation(self, remote_id: str, **changes: object) -> None:
        """Change a relation as the accountant would (bumps its version and the change cursor)."""
        with self._lock:
            row = self._relation_row(remote_id)
            row.relation = attrs.evolve(row.relation, **changes)  # type: ignore[arg-type]
            self._touch(row)

    def delete_relation(self, remote_id: str) -> None:
        """Delete a relation as the accountant would; reads since a cursor report it."""
        with self._lock:
            row = self._relation_row(remote_id)
            del self._relations[remote_id]
            if row.reference is not None:
                self._relation_refs.pop(row.reference, None)
            self._deleted.append((self._next_seq(), remote_id))

    def record_payment(self, booking_remote_id: str, amount: Decimal) -> None:
        """Record a payment (or settlement) of ``amount`` against a booking's open item."""
        with self._lock:
            row = self._bookings.get(booking_remote_id)
            if row is None:
                raise NotFoundError(f"no booking {booking_remote_id}", status_code=404)
            row.paid += amount
            self._oi_seq[booking_remote_id] = self._next_seq()

    def stored_relations(self) -> list[RemoteRecord[Relation]]:
        """Every relation stored (no call counted)."""
        with self._lock:
            return [self._relation_record(row) for row in self._relations.values()]

    def stored_bookings(self) -> list[RemoteRecord[Booking]]:
        """Every booking stored (no call counted)."""
        with self._lock:
            return [self._booking_record(row) for row in self._bookings.values()]

    def stored_documents(self) -> dict[str, tuple[str, Attachment]]:
        """Document id → (booking remote id, attachment), for every attached document."""
        with self._lock:
            return dict(self._documents)

    # -- plumbing --------------------------------------------------------------------------

    def _new_id(self, kind: str) -> str:
        self._ids[kind] += 1
        return f"{kind}-{self._ids[kind]:06d}"

    def _next_seq(self) -> int:
        # One sequence over every change: the change cursor is simply the newest number seen.
        self._last_seq += 1
        return self._last_seq

    def _touch(self, row: Row) -> None:
        row.version += 1
        row.seq = self._next_seq()
        row.modified_at = self._clock.now()

    @contextmanager
    def _call(
        self, operation: str, feature: str, *, reference: str | None = None
    ) -> Iterator[None]:
        """Count the call, apply faults, check the feature, and serialise access."""
        if not self._capabilities.supports(feature):
            raise NotImplementedError(f"{self._name} does not support {feature}")
        faults = self.faults.next_faults(operation)
        with self._lock:
            self.calls[operation] += 1
            if self._latency:
                self._clock.sleep(self._latency)
            for fault in faults:
                if isinstance(fault, Delay):
                    self._clock.sleep(fault.seconds)
                elif isinstance(fault, FailWith):
                    raise fault.error
            yield
            if any(isinstance(fault, LoseResponse) for fault in faults):
                raise OutcomeUnknownError(
                    f"the response to {operation} was lost after the write was committed",
                    reference=reference,
                    administration=self._administration,
                )

    def _refuse(self, message: str, code: str, *fields: str) -> RemoteValidationError:
        return RemoteValidationError(
            message,
            vendor_code=code,
            vendor_message=message,
            fields=fields,
            status_code=400,
            administration=self._administration,
        )

    def _duplicate(self, message: str) -> ConflictError:
        return ConflictError(
            message,
            status_code=409,
            vendor_code="MEM-DUPLICATE",
            administration=self._administration,
        )

    def _check_lengths(self, entity: str, values: Mapping[str, str | None]) -> None:
        for field, value in values.items():
            limit = self._capabilities.max_length(f"{entity}.{field}")
            if value is not None and limit is not None and len(value) > limit:
                raise self._refuse(
                    f"{entity} {field} is longer than {limit} characters", "MEM-LENGTH", field
                )

    def _relation_row(self, remote_id: str) -> RelationRow:
        row = self._relations.get(remote_id)
        if row is None:
            raise NotFoundError(
                f"no relation {remote_id}", status_code=404, administration=self._administration
            )
        return row

    def _relation_record(self, row: RelationRow) -> RemoteRecord[Relation]:
        contacts = tuple(attrs.evolve(c, id=ref) for c, ref in row.contacts.values())
        data = attrs.evolve(row.relation, id=row.reference or row.remote_id, contacts=contacts)
        return RemoteRecord(
            administration=self._administration,
            remote_id=row.remote_id,
            data=data,
            crm_key=row.reference,
            version=str(row.version),
            modified_at=row.modified_at,
            active=row.active,
        )

    def _booking_record(self, row: BookingRow) -> RemoteRecord[Booking]:
        return RemoteRecord(
            administration=self._administration,
            remote_id=row.remote_id,
            data=row.booking,
            crm_key=row.reference,
            version=str(row.version),
        )

    # -- relations -------------------------------------------------------------------------

    def find_relations(self, keys: RelationKeys) -> Sequence[RemoteRecord[Relation]]:
        """Relations matching any of ``keys``."""
        with self._call("find_relations", Feature.RELATIONS):
            if keys == RelationKeys(reference=keys.reference) and keys.reference is not None:
                found = self._relation_refs.get(keys.reference)
                return [self._relation_record(self._relations[found])] if found else []
            return [self._relation_record(r) for r in self._relations.values() if matches(r, keys)]

    def get_relation(self, remote_id: str) -> RemoteRecord[Relation]:
        """One relation by id."""
        with self._call("get_relation", Feature.RELATIONS):
            return self._relation_record(self._relation_row(remote_id))

    def read_relations(self, cursor: str | None = None) -> ChangeSet[Relation]:
        """All relations, or those changed (and deleted) since ``cursor``."""
        with self._call("read_relations", Feature.RELATIONS):
            if not self._capabilities.incremental_reads:
                cursor = None  # told to behave like a vendor without change tracking
            since = parse_cursor(cursor)
            rows = sorted(self._relations.values(), key=lambda r: r.seq)
            records = tuple(self._relation_record(r) for r in rows if r.seq > since)
            deleted = tuple(rid for seq, rid in self._deleted if seq > since) if cursor else ()
            return ChangeSet(
                records=records,
                deleted=deleted,
                cursor=self._cursor() if self._capabilities.incremental_reads else None,
                full=cursor is None,
            )

    def _cursor(self) -> str:
        return str(self._last_seq)

    def create_relation(self, relation: Relation, *, reference: str) -> RemoteRecord[Relation]:
        """Create a relation (contacts are created separately)."""
        with self._call("create_relation", Feature.RELATIONS, reference=reference):
            relation = normalize_relation(relation)
            if not relation.name.strip():
                raise self._refuse("a relation needs a name", "MEM-REQUIRED", "name")
            if len(relation.roles) > 1 and not self._capabilities.customer_and_supplier:
                raise self._refuse(
                    "a relation is either a customer or a supplier here, not both",
                    "MEM-ROLES",
                    "roles",
                )
            self._check_lengths("relation", relation_texts(relation))
            if reference in self._relation_refs:
                raise self._duplicate(f"a relation with reference {reference!r} already exists")
            row = RelationRow(
                self._new_id("rel"),
                reference,
                self._next_seq(),
                modified_at=self._clock.now(),
                relation=attrs.evolve(relation, contacts=()),
            )
            self._relations[row.remote_id] = row
            self._relation_refs[reference] = row.remote_id
            return self._relation_record(row)

    def update_relation(
        self, remote_id: str, relation: Relation, *, fields: frozenset[str]
    ) -> RemoteRecord[Relation]:
        """Write only ``fields`` of ``relation``."""
        unknown = fields - _RELATION_FIELDS
        if unknown:
            raise ValueError(f"not updatable relation fields: {', '.join(sorted(unknown))}")
        with self._call("update_relation", Feature.RELATIONS):
            row = self._relation_row(remote_id)
            relation = normalize_relation(relation)
            changes = {name: getattr(relation, name) for name in fields}
            updated = attrs.evolve(row.relation, **changes)
            if len(updated.roles) > 1 and not self._capabilities.customer_and_supplier:
                raise self._refuse(
                    "a relation cannot become both customer and supplier", "MEM-ROLES", "roles"
                )
            self._check_lengths("relation", relation_texts(updated))
            row.relation = updated
            if "active" in fields:
                row.active = updated.active
            self._touch(row)
            return self._relation_record(row)

    def deactivate_relation(self, remote_id: str) -> None:
        """Mark the relation inactive."""
        with self._call("deactivate_relation", Feature.RELATIONS):
            row = self._relation_row(remote_id)
            row.active = False
            row.relation = attrs.evolve(row.relation, active=False)
            self._touch(row)

    # -- contacts --------------------------------------------------------------------------

    def list_contacts(self, relation_remote_id: str) -> Sequence[RemoteRecord[Contact]]:
        """The relation's contacts."""
        with self._call("list_contacts", Feature.CONTACTS):
            row = self._relation_row(relation_remote_id)
            return [self._contact_record(cid, c, ref) for cid, (c, ref) in row.contacts.items()]

    def _contact_record(
        self, remote_id: str, contact: Contact, reference: str
    ) -> RemoteRecord[Contact]:
        return RemoteRecord(
            administration=self._administration,
            remote_id=remote_id,
            data=attrs.evolve(contact, id=reference),
            crm_key=reference,
        )

    def create_contact(
        self, relation_remote_id: str, contact: Contact, *, reference: str
    ) -> RemoteRecord[Contact]:
        """Add a contact, within ``max_contacts_per_relation``."""
        with self._call("create_contact", Feature.CONTACTS, reference=reference):
            row = self._relation_row(relation_remote_id)
            limit = self._capabilities.max_contacts_per_relation
            if limit is not None and len(row.contacts) >= limit:
                raise self._refuse(
                    f"a relation holds at most {limit} contact(s) here", "MEM-CONTACTS", "contacts"
                )
            if any(ref == reference for _, ref in row.contacts.values()):
                raise self._duplicate(f"contact {reference!r} already exists")
            self._check_lengths("contact", contact_texts(contact))
            contact_id = self._new_id("con")
            row.contacts[contact_id] = (contact, reference)
            self._touch(row)
            return self._contact_record(contact_id, contact, reference)

    def update_contact(
        self, relation_remote_id: str, remote_id: str, contact: Contact
    ) -> RemoteRecord[Contact]:
        """Overwrite a contact."""
        with self._call("update_contact", Feature.CONTACTS):
            row = self._relation_row(relation_remote_id)
            if remote_id not in row.contacts:
                raise NotFoundError(f"no contact {remote_id}", status_code=404)
            self._check_lengths("contact", contact_texts(contact))
            reference = row.contacts[remote_id][1]
            row.contacts[remote_id] = (contact, reference)
            self._touch(row)
            return self._contact_record(remote_id, contact, reference)

    # -- projects ----------------------------------------------------------------------------

    def _project_record(self, row: ProjectRow) -> RemoteRecord[Project]:
        return RemoteRecord(
            administration=self._administration,
            remote_id=row.remote_id,
            data=attrs.evolve(row.project, active=row.active),
            crm_key=row.reference,
            version=str(row.version),
            active=row.active,
        )

    def find_project(self, number: str) -> RemoteRecord[Project] | None:
        """The cost centre with ``number``."""
        with self._call("find_project", Feature.PROJECTS):
            row = next((r for r in self._projects.values() if r.project.number == number), None)
            return self._project_record(row) if row else None

    def create_project(self, project: Project) -> RemoteRecord[Project]:
        """Create a cost centre; numbers are unique."""
        with self._call("create_project", Feature.PROJECTS, reference=project.number):
            self._check_lengths(
                "project", {"number": project.number, "description": project.description}
            )
            if any(r.project.number == project.number for r in self._projects.values()):
                raise self._duplicate(f"cost centre {project.number!r} already exists")
            row = ProjectRow(
                self._new_id("prj"),
                project.id,
                self._next_seq(),
                active=project.active,
                modified_at=self._clock.now(),
                project=project,
            )
            self._projects[row.remote_id] = row
            return self._project_record(row)

    def _project_row(self, remote_id: str) -> ProjectRow:
        row = self._projects.get(remote_id)
        if row is None:
            raise NotFoundError(f"no cost centre {remote_id}", status_code=404)
        return row

    def update_project(self, remote_id: str, project: Project) -> RemoteRecord[Project]:
        """Update description and active flag (the number is the key and stays)."""
        with self._call("update_project", Feature.PROJECTS):
            row = self._project_row(remote_id)
            self._check_lengths("project", {"description": project.description})
            row.project = attrs.evolve(row.project, description=project.description)
            row.active = project.active
            self._touch(row)
            return self._project_record(row)

    def deactivate_project(self, remote_id: str) -> None:
        """Mark the cost centre inactive."""
        with self._call("deactivate_project", Feature.PROJECTS):
            row = self._project_row(remote_id)
            row.active = False
            self._touch(row)

    # -- bookings ----------------------------------------------------------------------------

    def create_booking(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> RemoteRecord[Booking]:
        """Book an invoice or credit note, with the checks an administration makes."""
        with self._call("create_booking", Feature.BOOKINGS, reference=reference):
            relation = self._relation_row(relation_remote_id).relation
            role = booking.kind.required_role
            if role not in relation.roles:
                noun = "customer" if role is RelationRole.CUSTOMER else "supplier"
                raise self._refuse(f"the relation is not a {noun}", "MEM-ROLE", "relation")
            self._check_lengths("booking", {"invoice_number": booking.invoice_number})
            self._check_booking_lines(booking, project_numbers)
            if any(
                r.reference == reference and r.booking.kind is booking.kind
                for r in self._bookings.values()
            ):
                raise self._duplicate(
                    f"a {booking.kind.value} with reference {reference!r} already exists"
                )
            row = BookingRow(
                self._new_id("bkg"),
                reference,
                self._next_seq(),
                modified_at=self._clock.now(),
                booking=attrs.evolve(booking, attachment=None),
                relation_remote_id=relation_remote_id,
                project_numbers=dict(project_numbers),
            )
            self._bookings[row.remote_id] = row
            self._oi_seq[row.remote_id] = row.seq
            return self._booking_record(row)

    def _check_booking_lines(self, booking: Booking, project_numbers: Mapping[str, str]) -> None:
        known_numbers = {r.project.number for r in self._projects.values()}
        for index, line in enumerate(booking.lines):
            ledger = self._reference.ledger(line.ledger_account)
            where = f"lines[{index}]"
            if ledger is None:
                raise self._refuse(
                    f"{where}: ledger account {line.ledger_account!r} does not exist",
                    "MEM-LEDGER",
                    f"{where}.ledger_account",
                )
            if (
                self._reference.vat_codes
                and self._reference.vat_code_for(line.vat_category) is None
            ):
                raise self._refuse(
                    f"{where}: no VAT code for category {line.vat_category.value!r}",
                    "MEM-VAT",
                    f"{where}.vat_category",
                )
            if line.project_id is not None:
                number = project_numbers.get(line.project_id)
                if number is None or number not in known_numbers:
                    raise self._refuse(
                        f"{where}: cost centre for project {line.project_id!r} does not exist",
                        "MEM-COSTCENTRE",
                        f"{where}.project_id",
                    )
            elif ledger.requires_cost_centre:
                raise self._refuse(
                    f"{where}: ledger account {ledger.code} requires a cost centre",
                    "MEM-COSTCENTRE-REQUIRED",
                    f"{where}.project_id",
                )

    def attach_document(self, booking_remote_id: str, attachment: Attachment) -> str:
        """Attach a document to a booking."""
        with self._call("attach_document", Feature.ATTACHMENTS):
            row = self._bookings.get(booking_remote_id)
            if row is None:
                raise NotFoundError(f"no booking {booking_remote_id}", status_code=404)
            limit = self._capabilities.max_attachment_bytes
            if limit is not None and len(attachment.content) > limit:
                raise self._refuse(
                    f"the attachment is larger than {limit} bytes", "MEM-SIZE", "attachment"
                )
            types = self._capabilities.attachment_media_types
            if types and attachment.media_type not in types:
                raise self._refuse(
                    f"attachments of type {attachment.media_type} are not accepted",
                    "MEM-TYPE",
                    "attachment",
                )
            doc_id = self._new_id("doc")
            self._documents[doc_id] = (booking_remote_id, attachment)
            row.documents.append(doc_id)
            return doc_id

    def find_booking(self, kind: BookingKind, reference: str) -> RemoteRecord[Booking] | None:
        """The booking of ``kind`` with ``reference``."""
        with self._call("find_booking", Feature.BOOKINGS):
            for row in self._bookings.values():
                if row.reference == reference and row.booking.kind is kind:
                    return self._booking_record(row)
            return None

    # -- read back ----------------------------------------------------------------------------

    def read_open_items(
        self, cursor: str | None = None, *, relation_remote_id: str | None = None
    ) -> ChangeSet[OpenItem]:
        """Open items of every booking (changed since ``cursor``, or of one relation)."""
        with self._call("read_open_items", Feature.OPEN_ITEMS):
            since = parse_cursor(cursor)
            items = []
            for row in self._bookings.values():
                if relation_remote_id is not None and row.relation_remote_id != relation_remote_id:
                    continue
                changed = self._oi_seq[row.remote_id] > since
                item = open_item_of(
                    administration=self._administration,
                    remote_id=row.remote_id,
                    booking=row.booking,
                    relation_remote_id=row.relation_remote_id,
                    paid=row.paid,
                )
                # A full read lists what is open; an incremental read also reports what was
                # paid off since the cursor, once, so the host sees the payment.
                if (cursor is None and item.open_amount != 0) or (cursor is not None and changed):
                    items.append(
                        RemoteRecord(
                            administration=self._administration,
                            remote_id=row.remote_id,
                            data=item,
                            version=str(self._oi_seq[row.remote_id]),
                        )
                    )
            return ChangeSet(records=tuple(items), cursor=self._cursor(), full=cursor is None)

    def read_project_costs(
        self, project_number: str, *, since: date | None = None
    ) -> Sequence[ProjectCost]:
        """Purchase lines booked on the cost centre ``project_number``."""
        with self._call("read_project_costs", Feature.PROJECT_COSTS):
            costs: list[ProjectCost] = []
            for row in self._bookings.values():
                if row.booking.kind.is_sales:
                    continue
                if since is not None and row.booking.invoice_date < since:
                    continue
                costs.extend(
                    project_costs_of(
                        administration=self._administration,
                        remote_id=row.remote_id,
                        booking=row.booking,
                        relation_remote_id=row.relation_remote_id,
                        project_numbers=row.project_numbers,
                        project_number=project_number,
                    )
                )
            return costs

    def reference_data(self, *, refresh: bool = False) -> ReferenceData:
        """The administration's reference data."""
        with self._call("reference_data", Feature.REFERENCE_DATA):
            return self._reference
