"""``BackendContract``: the conformance suite every backend runs.

A backend author writes::

    from finlink.testing import BackendContract

    class TestMyBackend(BackendContract):
        def make_backend(self):
            return MyBackend(client=sandbox.client(), ...)

and pytest collects every ``test_*`` below against that backend: create → find → update →
read-changed round trips for each feature the backend's capabilities claim, cursors,
pagination, truthful capabilities, error translation and retries that never duplicate. A
feature the capabilities leave out is skipped, not failed; a feature they claim must work.

Faults and payments need the backend's test side (a sandbox); override :meth:`inject_fault`
and :meth:`record_payment` to enable those tests (they skip otherwise).
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import date
from decimal import Decimal

import attrs

from finlink._errors import (
    AuthenticationError,
    BackendError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RemoteValidationError,
    ServerError,
    ValidationError,
)
from finlink.backends.capabilities import Feature
from finlink.backends.protocol import Backend, RelationKeys
from finlink.backends.records import RemoteRecord
from finlink.model.booking import Attachment, Booking, BookingLine, Project
from finlink.model.enums import BookingKind, OpenItemKind, RelationRole, VatCategory
from finlink.model.relation import Address, Contact, Relation
from finlink.testing._contract_fault import ContractFault
from finlink.testing._pytest import pytest

__all__ = ["BackendContract", "ContractFault"]

#: Valid identifiers the samples use (checksums verified with python-stdnum).
_VAT_NUMBERS = ("NL004495445B01", "NL123456789B13", "NL000099998B57")
_IBANS = ("NL91ABNA0417164300", "NL02ABNA0123456789", "NL20INGB0001234567")


class BackendContract:
    """Subclass as ``Test…`` and implement :meth:`make_backend` to run the suite.

    Override the ``sample_*`` methods when the vendor needs other data (e.g. other ledger codes);
    the defaults read ledger codes from the backend's reference data.
    """

    _counter = itertools.count(1)

    # -- hooks for the backend author ------------------------------------------------------

    def make_backend(self) -> Backend:
        """Return a fresh backend for one test (an empty administration is easiest)."""
        raise NotImplementedError("implement make_backend() in your BackendContract subclass")

    def inject_fault(self, backend: Backend, operation: str, fault: ContractFault) -> bool:
        """Make the next call of ``operation`` on ``backend`` meet ``fault``.

        Return False (the default) when the backend's test side cannot; those tests skip.
        """
        return False

    def record_payment(self, backend: Backend, booking_remote_id: str, amount: Decimal) -> bool:
        """Record a payment against a booking in the administration; False when unsupported."""
        return False

    # -- sample data -------------------------------------------------------------------------

    def unique(self) -> int:
        """A number unique within this test process (for keys and invoice numbers)."""
        return next(self._counter)

    def sample_relation(
        self, n: int, roles: frozenset[RelationRole] = frozenset({RelationRole.CUSTOMER})
    ) -> Relation:
        """A valid, normalised relation, distinct for each ``n``."""
        return Relation(
            id=f"crm-{n}",
            name=f"Contract Test {n} B.V.",
            roles=roles,
            number=str(100000 + n),
            visiting_address=Address(
                line1=f"Hoofdstraat {n % 200 + 1}", postcode="3511 AB", city="Utrecht", country="NL"
            ),
            email=f"info{n}@example.nl",
            phone="030 123 4567",
            vat_number=_VAT_NUMBERS[n % len(_VAT_NUMBERS)],
            coc_number=f"{10000000 + n}",
            iban=_IBANS[n % len(_IBANS)],
            payment_term_days=30,
        )

    def sample_contact(self, n: int) -> Contact:
        """A valid contact, distinct for each ``n``."""
        return Contact(
            id=f"contact-{n}",
            first_name="Jan",
            last_name=f"Tester {n}",
            email=f"jan{n}@example.nl",
            phone="06 12345678",
        )

    def sample_project(self, n: int) -> Project:
        """A valid project whose number fits every vendor (digits, at most 8)."""
        return Project(id=f"project-{n}", number=str(n % 10**8), description=f"Project {n}")

    def ledger_code(self, backend: Backend, *, sales: bool) -> str:
        """A ledger code to book on: a revenue (8xxx) or a cost (4xxx) account of the backend."""
        prefix = "8" if sales else "4"
        ledgers = backend.reference_data().ledger_accounts
        usable = [acc for acc in ledgers if acc.active and not acc.requires_cost_centre]
        for account in usable:
            if account.code.startswith(prefix):
                return account.code
        if not usable:
            pytest.fail("reference_data() lists no usable ledger account to book on")
        return usable[0].code

    def sample_booking(
        self,
        backend: Backend,
        n: int,
        relation_id: str,
        kind: BookingKind = BookingKind.SALES_INVOICE,
        project_id: str | None = None,
    ) -> Booking:
        """A valid booking of ``kind`` with two lines (high and low VAT)."""
        ledger = self.ledger_code(backend, sales=kind.is_sales)
        return Booking(
            id=f"booking-{n}",
            kind=kind,
            relation_id=relation_id,
            invoice_number=f"CT{n:06d}",
            invoice_date=date(2026, 3, 2),
            payment_term_days=30,
            description=f"Contract booking {n}",
            lines=(
                BookingLine(
                    description="Brood",
                    ledger_account=ledger,
                    amount=Decimal("100.00"),
                    vat_category=VatCategory.HIGH,
                    project_id=project_id,
                ),
                BookingLine(
                    description="Koek",
                    ledger_account=ledger,
                    amount=Decimal("33.33"),
                    vat_category=VatCategory.LOW,
                ),
            ),
        )

    # -- fixtures and helpers --------------------------------------------------------------

    @pytest.fixture
    def backend(self) -> Backend:
        """A fresh backend from :meth:`make_backend`."""
        return self.make_backend()

    def require(self, backend: Backend, *features: str) -> None:
        """Skip the test unless the backend claims every one of ``features``."""
        for feature in features:
            if not backend.capabilities.supports(feature):
                pytest.skip(f"{backend.name} does not claim {feature}")

    def create_relation(
        self,
        backend: Backend,
        roles: frozenset[RelationRole] = frozenset({RelationRole.CUSTOMER}),
    ) -> tuple[Relation, RemoteRecord[Relation]]:
        """Create a sample relation; returns it and what the backend returned."""
        relation = self.sample_relation(self.unique(), roles)
        record = backend.create_relation(relation, reference=relation.id)
        return relation, record

    def book(
        self,
        backend: Backend,
        booking: Booking,
        relation: RemoteRecord[Relation],
        project_numbers: dict[str, str] | None = None,
    ) -> RemoteRecord[Booking]:
        """Create ``booking`` for ``relation`` with its invoice number as reference."""
        return backend.create_booking(
            booking,
            relation_remote_id=relation.remote_id,
            project_numbers=project_numbers or {},
            reference=booking.invoice_number,
        )

    # -- identity and capabilities ---------------------------------------------------------

    def test_backend_satisfies_the_protocol(self, backend: Backend) -> None:
        """Every protocol member is present."""
        assert isinstance(backend, Backend), "the backend lacks methods of the Backend protocol"

    def test_identity_is_stable_and_named(self, backend: Backend) -> None:
        """``administration`` and ``name`` are non-empty and do not change."""
        assert isinstance(backend.administration, str)
        assert backend.administration, "administration must be a non-empty id"
        assert backend.administration == backend.administration
        assert backend.name, "name must be a non-empty display name"

    def test_capabilities_are_sane(self, backend: Backend) -> None:
        """Limits are positive where given, features are known names."""
        caps = backend.capabilities
        assert caps.features <= Feature.ALL, f"unknown features {caps.features - Feature.ALL}"
        for name in ("max_contacts_per_relation", "max_attachment_bytes", "max_concurrency"):
            value = getattr(caps, name)
            assert value is None or value > 0, f"capabilities.{name} must be positive or None"
        for limit in caps.rate_limits:
            assert limit.calls > 0, "a rate limit allows at least one call"
            assert limit.period_seconds > 0, "a rate limit has a positive period"

    # -- relations --------------------------------------------------------------------------

    def test_created_relation_is_found_by_its_reference(self, backend: Backend) -> None:
        """A created relation is found again by the reference it was created with."""
        self.require(backend, Feature.RELATIONS)
        relation, record = self.create_relation(backend)
        assert record.remote_id, "create_relation must return the remote id"
        found = backend.find_relations(RelationKeys(reference=relation.id))
        assert [r.remote_id for r in found] == [record.remote_id], (
            "find_relations(RelationKeys(reference=...)) must find exactly the created relation"
        )
        assert found[0].crm_key == relation.id, "the remote record must carry the CRM key back"

    def test_created_relation_keeps_its_fields(self, backend: Backend) -> None:
        """Name, e-mail, VAT number, IBAN and address come back as they were sent."""
        self.require(backend, Feature.RELATIONS)
        relation, record = self.create_relation(backend)
        stored = backend.get_relation(record.remote_id).data
        for field in ("name", "email", "vat_number", "iban", "coc_number"):
            assert getattr(stored, field) == getattr(relation, field), f"{field} did not round-trip"
        assert stored.address is not None, "the address was lost"
        assert relation.address is not None
        assert (stored.address.postcode, stored.address.city, stored.address.country) == (
            relation.address.postcode,
            relation.address.city,
            relation.address.country,
        ), "the address did not round-trip"
        assert stored.roles == relation.roles, "roles did not round-trip"

    def test_relations_are_found_by_identifying_keys(self, backend: Backend) -> None:
        """VAT number, KvK and IBAN each find the relation."""
        self.require(backend, Feature.RELATIONS)
        relation, record = self.create_relation(backend)
        for key in ("vat_number", "coc_number", "iban"):
            keys = RelationKeys(**{key: getattr(relation, key)})
            found = {r.remote_id for r in backend.find_relations(keys)}
            assert record.remote_id in found, f"find_relations by {key} missed the relation"

    def test_unknown_relation_is_not_found(self, backend: Backend) -> None:
        """``get_relation`` of an id that does not exist raises ``NotFoundError``."""
        self.require(backend, Feature.RELATIONS)
        with pytest.raises(NotFoundError):
            backend.get_relation("00000000-0000-0000-0000-000000000000")

    def test_update_writes_only_the_named_fields(self, backend: Backend) -> None:
        """Fields not named in ``fields`` keep their remote value."""
        self.require(backend, Feature.RELATIONS)
        relation, record = self.create_relation(backend)
        changed = attrs.evolve(relation, email="changed@example.nl", phone="020 765 4321")
        backend.update_relation(record.remote_id, changed, fields=frozenset({"email"}))
        stored = backend.get_relation(record.remote_id).data
        assert stored.email == "changed@example.nl", "the named field was not written"
        assert stored.phone == relation.phone, "a field that was not named was overwritten"

    def test_full_read_returns_every_relation_once(self, backend: Backend) -> None:
        """A read without cursor lists every relation exactly once, across pages."""
        self.require(backend, Feature.RELATIONS)
        page = backend.capabilities.max_page_size or 60
        count = min(page + 5, 130)
        created = {self.create_relation(backend)[1].remote_id for _ in range(count)}
        seen = [r.remote_id for r in backend.read_relations().records]
        missing = created - set(seen)
        assert not missing, f"a full read missed {len(missing)} of {count} relations (paging?)"
        assert len(seen) == len(set(seen)), "a full read returned a relation twice"

    def test_read_since_cursor_returns_the_changes(self, backend: Backend) -> None:
        """After a cursor, an update and a new relation are read back; the cursor moves on."""
        self.require(backend, Feature.RELATIONS)
        if not backend.capabilities.incremental_reads:
            pytest.skip("the backend claims no incremental reads")
        relation, record = self.create_relation(backend)
        first = backend.read_relations()
        assert first.cursor is not None, "an incremental backend must return a cursor"
        changed = attrs.evolve(relation, email="new@example.nl")
        backend.update_relation(record.remote_id, changed, fields=frozenset({"email"}))
        _, added = self.create_relation(backend)
        second = backend.read_relations(first.cursor)
        ids = {r.remote_id for r in second.records}
        assert record.remote_id in ids, "the updated relation was not in the incremental read"
        assert added.remote_id in ids, "the new relation was not in the incremental read"
        assert not second.full, "a read with a cursor must not claim to be a full read"
        assert second.cursor is not None, "an incremental read must return the next cursor"

    def test_deactivated_relation_reads_back_inactive(self, backend: Backend) -> None:
        """``deactivate_relation`` leaves the relation, marked inactive."""
        self.require(backend, Feature.RELATIONS)
        _, record = self.create_relation(backend)
        backend.deactivate_relation(record.remote_id)
        assert not backend.get_relation(record.remote_id).active, "the relation is still active"

    def test_customer_and_supplier_capability_is_true(self, backend: Backend) -> None:
        """A relation with both roles is held if and only if the capabilities say so."""
        self.require(backend, Feature.RELATIONS)
        both = frozenset(RelationRole)
        if backend.capabilities.customer_and_supplier:
            _, record = self.create_relation(backend, both)
            stored = backend.get_relation(record.remote_id).data
            assert stored.roles == both, "capabilities allow both roles, but they were not kept"
        else:
            with pytest.raises((RemoteValidationError, ValidationError)):
                self.create_relation(backend, both)

    # -- contacts --------------------------------------------------------------------------

    def test_contacts_are_created_and_listed_up_to_the_limit(self, backend: Backend) -> None:
        """As many contacts as allowed (2 when unlimited) are kept; one more is refused."""
        self.require(backend, Feature.RELATIONS, Feature.CONTACTS)
        _, record = self.create_relation(backend)
        limit = backend.capabilities.max_contacts_per_relation
        made = [self.sample_contact(self.unique()) for _ in range(limit or 2)]
        for contact in made:
            backend.create_contact(record.remote_id, contact, reference=contact.id)
        listed = backend.list_contacts(record.remote_id)
        assert {c.data.last_name for c in listed} >= {c.last_name for c in made}, (
            "created contacts are missing from list_contacts"
        )
        if limit is not None:
            extra = self.sample_contact(self.unique())
            with pytest.raises((RemoteValidationError, ValidationError)):
                backend.create_contact(record.remote_id, extra, reference=extra.id)

    def test_contact_update_round_trips(self, backend: Backend) -> None:
        """An updated contact reads back with the new values."""
        self.require(backend, Feature.RELATIONS, Feature.CONTACTS)
        _, record = self.create_relation(backend)
        contact = self.sample_contact(self.unique())
        made = backend.create_contact(record.remote_id, contact, reference=contact.id)
        changed = attrs.evolve(contact, email="nieuw@example.nl", job_title="Inkoper")
        backend.update_contact(record.remote_id, made.remote_id, changed)
        listed = {c.remote_id: c.data for c in backend.list_contacts(record.remote_id)}
        assert listed[made.remote_id].email == "nieuw@example.nl", "contact update was lost"

    # -- projects ----------------------------------------------------------------------------

    def test_project_round_trip(self, backend: Backend) -> None:
        """Create, find by number, update the description, deactivate."""
        self.require(backend, Feature.PROJECTS)
        project = self.sample_project(self.unique())
        made = backend.create_project(project)
        found = backend.find_project(project.number)
        assert found is not None, "find_project did not find the created cost centre"
        assert found.remote_id == made.remote_id
        assert found.data.description == project.description
        backend.update_project(made.remote_id, attrs.evolve(project, description="Nieuw"))
        again = backend.find_project(project.number)
        assert again is not None
        assert again.data.description == "Nieuw", "the description update was lost"
        backend.deactivate_project(made.remote_id)
        closed = backend.find_project(project.number)
        assert closed is not None, "a deactivated cost centre must still be found"
        assert not closed.active, "the cost centre is still active"

    def test_unknown_project_is_none(self, backend: Backend) -> None:
        """``find_project`` of an unknown number returns None."""
        self.require(backend, Feature.PROJECTS)
        assert backend.find_project("99999998") is None

    # -- bookings -------------------------------------------------------------------------

    def test_booking_is_found_by_its_reference(self, backend: Backend) -> None:
        """A created sales invoice is found by kind and reference; another kind does not match."""
        self.require(backend, Feature.RELATIONS, Feature.BOOKINGS)
        relation, record = self.create_relation(backend)
        booking = self.sample_booking(backend, self.unique(), relation.id)
        made = self.book(backend, booking, record)
        found = backend.find_booking(BookingKind.SALES_INVOICE, booking.invoice_number)
        assert found is not None, "find_booking did not find the created booking"
        assert found.remote_id == made.remote_id
        assert backend.find_booking(BookingKind.SALES_INVOICE, "NOPE-000") is None

    def test_booking_for_a_relation_without_the_role_is_refused(self, backend: Backend) -> None:
        """A sales invoice to a supplier-only relation is refused with a clear error."""
        self.require(backend, Feature.RELATIONS, Feature.BOOKINGS)
        relation, record = self.create_relation(backend, frozenset({RelationRole.SUPPLIER}))
        booking = self.sample_booking(backend, self.unique(), relation.id)
        with pytest.raises(BackendError):
            self.book(backend, booking, record)
        assert backend.find_booking(booking.kind, booking.invoice_number) is None, (
            "a refused booking must not be stored"
        )

    def test_document_is_attached(self, backend: Backend) -> None:
        """A PDF is attached to a booking and gets an id."""
        self.require(backend, Feature.RELATIONS, Feature.BOOKINGS, Feature.ATTACHMENTS)
        relation, record = self.create_relation(backend)
        booking = self.sample_booking(backend, self.unique(), relation.id)
        made = self.book(backend, booking, record)
        pdf = Attachment(file_name=f"{booking.invoice_number}.pdf", content=b"%PDF-1.4\n%%EOF\n")
        document_id = backend.attach_document(made.remote_id, pdf)
        assert document_id, "attach_document must return the document's id"

    def test_open_item_appears_for_a_new_invoice(self, backend: Backend) -> None:
        """An invoice shows up as an open item for its full amount including VAT."""
        self.require(backend, Feature.RELATIONS, Feature.BOOKINGS, Feature.OPEN_ITEMS)
        relation, record = self.create_relation(backend)
        booking = self.sample_booking(backend, self.unique(), relation.id)
        self.book(backend, booking, record)
        items = {i.data.invoice_number: i.data for i in backend.read_open_items().records}
        item = items.get(booking.invoice_number)
        assert item is not None, "the new invoice is not among the open items"
        assert item.amount == booking.totals().incl_vat, (
            f"open item amount {item.amount} differs from the invoice total "
            f"{booking.totals().incl_vat}"
        )
        assert item.open_amount == item.amount
        assert item.kind is OpenItemKind.RECEIVABLE
        assert item.remote_relation_id == record.remote_id

    def test_payment_shows_in_the_open_items(self, backend: Backend) -> None:
        """A partial payment lowers the open amount; reading since a cursor reports it."""
        self.require(backend, Feature.RELATIONS, Feature.BOOKINGS, Feature.OPEN_ITEMS)
        relation, record = self.create_relation(backend)
        booking = self.sample_booking(backend, self.unique(), relation.id)
        made = self.book(backend, booking, record)
        before = backend.read_open_items()
        if not self.record_payment(backend, made.remote_id, Decimal("50.00")):
            pytest.skip("record_payment() is not provided for this backend")
        after = backend.read_open_items(
            before.cursor if backend.capabilities.incremental_reads else None
        )
        items = {i.data.invoice_number: i.data for i in after.records}
        assert booking.invoice_number in items, "the paid invoice was not reported"
        item = items[booking.invoice_number]
        assert item.open_amount == item.amount - Decimal("50.00"), "the payment is not reflected"

    def test_project_costs_are_read_per_cost_centre(self, backend: Backend) -> None:
        """A purchase line on a cost centre is read back as a project cost."""
        self.require(
            backend, Feature.RELATIONS, Feature.PROJECTS, Feature.BOOKINGS, Feature.PROJECT_COSTS
        )
        relation, record = self.create_relation(backend, frozenset({RelationRole.SUPPLIER}))
        project = self.sample_project(self.unique())
        backend.create_project(project)
        booking = self.sample_booking(
            backend, self.unique(), relation.id, BookingKind.PURCHASE_INVOICE, project.id
        )
        self.book(backend, booking, record, {project.id: project.number})
        costs = backend.read_project_costs(project.number)
        assert [c.amount for c in costs] == [Decimal("100.00")], (
            "read_project_costs must return exactly the line booked on the cost centre"
        )

    def test_reference_data_lists_ledgers_and_vat_codes(self, backend: Backend) -> None:
        """Reference data has ledger accounts and VAT codes, and is stable across calls."""
        self.require(backend, Feature.REFERENCE_DATA)
        data = backend.reference_data()
        assert data.ledger_accounts, "reference_data() lists no ledger accounts"
        assert data.vat_codes, "reference_data() lists no VAT codes"
        assert backend.reference_data() == data, "reference data changed between two calls"

    # -- errors and retries -----------------------------------------------------------------

    def _fault(self, backend: Backend, operation: str, fault: ContractFault) -> None:
        if not self.inject_fault(backend, operation, fault):
            pytest.skip(f"inject_fault() does not provide {fault.value} for this backend")

    def test_lost_create_response_never_duplicates(self, backend: Backend) -> None:
        """After a create whose response was lost, the reference finds exactly one relation."""
        self.require(backend, Feature.RELATIONS)
        relation = self.sample_relation(self.unique())
        self._fault(backend, "create_relation", ContractFault.LOSE_RESPONSE)
        # OutcomeUnknownError is the honest answer: the engine probes next, as this test does.
        with contextlib.suppress(OutcomeUnknownError):
            backend.create_relation(relation, reference=relation.id)
        found = backend.find_relations(RelationKeys(reference=relation.id))
        assert len(found) == 1, (
            f"expected exactly one relation after a lost response, got {len(found)}"
        )

    def test_lost_booking_response_never_duplicates(self, backend: Backend) -> None:
        """After a booking whose response was lost, find_booking finds it and a retry is refused."""
        self.require(backend, Feature.RELATIONS, Feature.BOOKINGS)
        relation, record = self.create_relation(backend)
        booking = self.sample_booking(backend, self.unique(), relation.id)
        self._fault(backend, "create_booking", ContractFault.LOSE_RESPONSE)
        with contextlib.suppress(OutcomeUnknownError):
            self.book(backend, booking, record)
        assert backend.find_booking(booking.kind, booking.invoice_number) is not None, (
            "the committed booking is not found by its reference"
        )

    def test_unauthorized_becomes_authentication_error(self, backend: Backend) -> None:
        """A 401 the backend cannot cure is raised as ``AuthenticationError``."""
        self.require(backend, Feature.RELATIONS)
        self._fault(backend, "read_relations", ContractFault.UNAUTHORIZED)
        with pytest.raises(AuthenticationError):
            backend.read_relations()

    def test_rate_limit_is_waited_out_or_reported(self, backend: Backend) -> None:
        """A 429 is either waited out (the call succeeds) or raised as ``RateLimitError``."""
        self.require(backend, Feature.RELATIONS)
        self._fault(backend, "read_relations", ContractFault.RATE_LIMITED)
        with contextlib.suppress(RateLimitError):
            backend.read_relations()

    def test_server_error_is_retried_or_reported(self, backend: Backend) -> None:
        """A 5xx on a read is either retried (the call succeeds) or raised as ``ServerError``."""
        self.require(backend, Feature.RELATIONS)
        self._fault(backend, "read_relations", ContractFault.SERVER_ERROR)
        with contextlib.suppress(ServerError):
            backend.read_relations()

    def test_duplicate_reference_is_refused(self, backend: Backend) -> None:
        """A second booking with the same kind and reference is refused, not stored twice."""
        self.require(backend, Feature.RELATIONS, Feature.BOOKINGS)
        relation, record = self.create_relation(backend)
        booking = self.sample_booking(backend, self.unique(), relation.id)
        self.book(backend, booking, record)
        with pytest.raises((ConflictError, RemoteValidationError)):
            self.book(backend, booking, record)
