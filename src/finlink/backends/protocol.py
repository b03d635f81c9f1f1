"""The ``Backend`` protocol: what the sync engine asks of one accounting administration.

A backend maps the domain model to one vendor's wire format and back, and nothing else: it
never decides *whether* to write (the engine does). One instance serves one administration
(an Exact division, a SnelStart administration). Custom backends need no finlink base class:
anything with these methods is a backend. Parts a vendor lacks are left out of
``capabilities.features`` and raise ``NotImplementedError``.

Every write takes a ``reference``: a deterministic key the backend stores with the record
(Exact ``YourRef``/a code field, SnelStart ``factuurnummer``...) and can find the record by.
After a crash or an :class:`~finlink.OutcomeUnknownError`, the engine looks the reference up
(``find_relations(RelationKeys(reference=...))``, ``find_booking(...)``) before writing again,
so nothing is ever created twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Generic, Protocol, TypeVar, runtime_checkable

import attrs

from finlink.backends.capabilities import Capabilities
from finlink.backends.records import RemoteRecord
from finlink.backends.reference import ReferenceData
from finlink.model.booking import Attachment, Booking, Project
from finlink.model.enums import BookingKind
from finlink.model.readback import OpenItem, ProjectCost
from finlink.model.relation import Contact, Relation

__all__ = ["Backend", "ChangeSet", "LookupKeys", "RelationKeys"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class LookupKeys:
    """What to look a relation up by; a remote relation matching *any* given key is returned.

    These are the values a backend searches by (``find_relations``). Matching has its own,
    richer view of a relation, :class:`finlink.sync.matching.MatchKeys`; the old name
    ``RelationKeys`` stays as an alias of this class.

    Attributes:
        reference: The reference finlink wrote when it created the relation (normally the CRM
            key, or a code derived from it).
        code: The relation number (debtor/creditor code) as the administration shows it.
        vat_number: Normalised VAT number.
        coc_number: KvK / enterprise number, digits only.
        iban: Normalised IBAN.
        email: E-mail address (compared case-insensitively).
        name: Name (compared case-insensitively, trimmed).
        postcode: Postcode, to narrow a name lookup (compared without spaces).
    """

    reference: str | None = None
    code: str | None = None
    vat_number: str | None = None
    coc_number: str | None = None
    iban: str | None = None
    email: str | None = None
    name: str | None = None
    postcode: str | None = None

    def is_empty(self) -> bool:
        """True when no key is given."""
        return all(value is None for value in attrs.astuple(self))


#: The former name of :class:`LookupKeys`, kept so existing backends and hosts keep working.
RelationKeys = LookupKeys


@attrs.frozen(kw_only=True)
class ChangeSet(Generic[T]):
    """What changed on the remote side since a cursor.

    Attributes:
        records: Records created or changed since the cursor (all records for a full read).
        deleted: Remote ids of records deleted since the cursor, where the vendor reports them.
        cursor: The opaque cursor to pass to the next read; None when the backend cannot read
            incrementally.
        full: True when this was a full read (no cursor given, or the cursor expired and the
            backend fell back to reading everything).
    """

    records: tuple[RemoteRecord[T], ...]
    deleted: tuple[str, ...] = ()
    cursor: str | None = None
    full: bool = False


@runtime_checkable
class Backend(Protocol):
    """One accounting administration, as the sync engine sees it.

    Raises (every method): the :class:`~finlink.BackendError` subclasses, translated from the
    vendor's errors, e.g. :class:`~finlink.RemoteValidationError` when the vendor refuses a
    payload (with its code), :class:`~finlink.OutcomeUnknownError` when a write may or may not
    have landed, ``NotImplementedError`` for a feature ``capabilities`` leaves out.
    """

    @property
    def administration(self) -> str:
        """A stable id of the administration, unique across backends (``exact:1234567``)."""
        ...

    @property
    def name(self) -> str:
        """A name a bookkeeper recognises (``Bakkerij De Vries B.V. (Exact 1234567)``)."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What this backend can do; must be true (the conformance suite checks)."""
        ...

    # -- relations -------------------------------------------------------------------------

    def find_relations(self, keys: RelationKeys) -> Sequence[RemoteRecord[Relation]]:
        """Remote relations matching any of ``keys`` (candidates for matching and probing)."""
        ...

    def get_relation(self, remote_id: str) -> RemoteRecord[Relation]:
        """One remote relation by its key; :class:`~finlink.NotFoundError` if it is gone."""
        ...

    def read_relations(self, cursor: str | None = None) -> ChangeSet[Relation]:
        """All relations (``cursor=None``) or those changed since ``cursor``."""
        ...

    def create_relation(self, relation: Relation, *, reference: str) -> RemoteRecord[Relation]:
        """Create ``relation`` (normalised, contacts excluded) storing ``reference`` with it.

        Roles the vendor cannot combine (see ``capabilities.customer_and_supplier``) are the
        engine's to split; a backend refuses a relation it cannot hold.
        """
        ...

    def update_relation(
        self, remote_id: str, relation: Relation, *, fields: frozenset[str]
    ) -> RemoteRecord[Relation]:
        """Write the ``fields`` (attribute names of :class:`~finlink.Relation`) that changed."""
        ...

    def deactivate_relation(self, remote_id: str) -> None:
        """Block or archive the remote relation (it stays for the history)."""
        ...

    # -- contacts --------------------------------------------------------------------------

    def list_contacts(self, relation_remote_id: str) -> Sequence[RemoteRecord[Contact]]:
        """The contacts of a remote relation."""
        ...

    def create_contact(
        self, relation_remote_id: str, contact: Contact, *, reference: str
    ) -> RemoteRecord[Contact]:
        """Add a contact to a remote relation."""
        ...

    def update_contact(
        self, relation_remote_id: str, remote_id: str, contact: Contact
    ) -> RemoteRecord[Contact]:
        """Overwrite a contact of a remote relation."""
        ...

    # -- projects (cost centres) ------------------------------------------------------------

    def find_project(self, number: str) -> RemoteRecord[Project] | None:
        """The cost centre with code ``number``, if it exists."""
        ...

    def create_project(self, project: Project) -> RemoteRecord[Project]:
        """Create the cost centre (its number is its reference)."""
        ...

    def update_project(self, remote_id: str, project: Project) -> RemoteRecord[Project]:
        """Update the cost centre's description and active flag."""
        ...

    def deactivate_project(self, remote_id: str) -> None:
        """Mark the cost centre inactive."""
        ...

    # -- bookings -------------------------------------------------------------------------

    def create_booking(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> RemoteRecord[Booking]:
        """Book an invoice or credit note with its lines (ledger, VAT, cost centre).

        Args:
            booking: The booking; its attachment is sent by :meth:`attach_document`.
            relation_remote_id: The remote key of its customer or supplier.
            project_numbers: CRM project id → cost-centre number, for the lines' ``project_id``.
            reference: Stored with the booking so :meth:`find_booking` finds it (normally the
                invoice number).
        """
        ...

    def attach_document(self, booking_remote_id: str, attachment: Attachment) -> str:
        """Attach a document (the invoice PDF) to a booking; returns the document's key."""
        ...

    def find_booking(self, kind: BookingKind, reference: str) -> RemoteRecord[Booking] | None:
        """The booking of ``kind`` carrying ``reference``, if it exists."""
        ...

    # -- read back --------------------------------------------------------------------------

    def read_open_items(
        self, cursor: str | None = None, *, relation_remote_id: str | None = None
    ) -> ChangeSet[OpenItem]:
        """Open items (receivables and payables): all, changed since ``cursor``, or one relation's.

        An item that was fully paid since the cursor is returned once more with
        ``open_amount == 0`` so the host sees the payment.
        """
        ...

    def read_project_costs(
        self, project_number: str, *, since: date | None = None
    ) -> Sequence[ProjectCost]:
        """Purchase lines booked on the cost centre ``project_number`` (from ``since`` on)."""
        ...

    def reference_data(self, *, refresh: bool = False) -> ReferenceData:
        """Ledger accounts, VAT codes, journals and countries (cached; ``refresh`` re-reads)."""
        ...
