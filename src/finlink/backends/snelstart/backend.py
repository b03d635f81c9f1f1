"""``SnelStartBackend``: one SnelStart administration behind the ``Backend`` protocol.

It is assembled from the parts of this package: :mod:`.auth` (koppelsleutel → token),
:mod:`.limits` (budgets and capabilities), :mod:`.mapping` and :mod:`.relations`,
:mod:`.projects`, :mod:`.bookings`, :mod:`.readback`, and the shared HTTP plumbing
(:class:`~finlink.http.ApiClient`, a :class:`~finlink.http.RateLimiter` built from the
capabilities, :class:`~finlink.http.RetryPolicy`, :func:`~finlink.http.parse_snelstart_error`).

**Concurrency.** Every method is one logical operation and safe to call from several threads
(the caches and the token are locked; the limiter holds the administration's budget and at most
``max_concurrency`` calls in flight). The engine calls one method at a time, which works as is;
at 100 ms a call that is ~600 calls a minute at best and less in practice, so to reach
SnelStart's 500 calls a minute at real-world latency the bulk methods
(:meth:`SnelStartBackend.create_relations`, :meth:`SnelStartBackend.create_bookings`) run
calls in a thread pool of up to ``max_concurrency`` workers; the limiter keeps them within
the minute and hour windows, so they never earn a 429.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, timedelta, tzinfo
from typing import TypeVar

import attrs
import httpx

from finlink._errors import FinlinkError
from finlink.backends.capabilities import Capabilities
from finlink.backends.protocol import ChangeSet, RelationKeys
from finlink.backends.records import RemoteRecord
from finlink.backends.reference import ReferenceData
from finlink.backends.snelstart.auth import KoppelsleutelAuth
from finlink.backends.snelstart.bookings import Bookings
from finlink.backends.snelstart.context import Context
from finlink.backends.snelstart.limits import limiter_for, snelstart_capabilities
from finlink.backends.snelstart.projects import Projects
from finlink.backends.snelstart.readback import ReadBack
from finlink.backends.snelstart.refdata import DEFAULT_BTW_SOORTEN, ReferenceCache
from finlink.backends.snelstart.relations import Relations
from finlink.clock import Clock, SystemClock
from finlink.http import (
    ApiClient,
    MemoryTokenStore,
    RateLimiter,
    RateLimitState,
    RetryPolicy,
    Secret,
    TokenStore,
    parse_snelstart_error,
)
from finlink.model.booking import Attachment, Booking, Project
from finlink.model.enums import BookingKind, VatCategory
from finlink.model.readback import OpenItem, ProjectCost
from finlink.model.relation import Contact, Relation
from finlink.model.vat import VatRates

__all__ = ["API_URL", "BookingRequest", "SnelStartBackend"]

logger = logging.getLogger("finlink.backends.snelstart")

#: SnelStart's API root (§2.1).
API_URL = "https://b2bapi.snelstart.nl/v2"

_T = TypeVar("_T")
_R = TypeVar("_R")


@attrs.frozen(kw_only=True)
class BookingRequest:
    """One booking for :meth:`SnelStartBackend.create_bookings`, with its PDF if any.

    Attributes:
        booking: The booking; its ``attachment`` is attached after the boeking is made.
        relation_remote_id: The klant's or leverancier's GUID.
        project_numbers: CRM project id → kostenplaats number.
        reference: The factuurnummer (normally the invoice number).
    """

    booking: Booking
    relation_remote_id: str
    project_numbers: Mapping[str, str] = attrs.field(factory=dict)
    reference: str


class SnelStartBackend:
    """One SnelStart administration, reached with its koppelsleutel and a subscription key.

    Args:
        administration: A stable id for the administration, unique across backends, e.g.
            ``"snelstart:bakkerij"`` (the koppelsleutel is a secret, so no id is derived
            from it).
        koppelsleutel: The administration's koppelsleutel (customer's key; a secret).
        subscription_key: The partner's subscription key (a secret).
        name: A display name (default from ``administration``).
        client: The ``httpx.Client`` to send with; by default the backend creates (and
            :meth:`close` closes) one for ``https://b2bapi.snelstart.nl/v2``. Tests pass
            ``SnelStartSandbox.client()``.
        clock: For the token's expiry, the limiter and retries (tests: the sandbox's clock).
        test_key: True on the Ontwikkeling & Test product (100/min, 1,000/h, 5 at once),
            False on Maatwerk/Productie (500/min, 5,000/h, 50 at once).
        retry: The retry policy (default :class:`~finlink.http.RetryPolicy`).
        rate_limit_state: A shared limiter state when several processes use one administration.
        token_store: Where the token is kept (default: in memory, per backend).
        vat_rates: A VAT table to use instead of the administration's ``/btwtarieven``.
        btw_soorten: VAT category → SnelStart line btw-soort (``Hoog``, ``Laag``, ``Overig``,
            ``Geen``), instead of :data:`~finlink.backends.snelstart.refdata.DEFAULT_BTW_SOORTEN`.
        zone: The time zone of SnelStart's offset-less date-times (UNVERIFIED, §2.1). UTC is
            the safe default: incremental reads move their mark to "now" in this zone, and
            Dutch local time is never behind UTC, so a wrong UTC only re-reads a little more,
            where a wrong ``Europe/Amsterdam`` could skip an hour of changes.
        change_overlap: How far before its cursor an incremental read looks again.
        supplier_code_offset: Added to the CRM number for the relatiecode of the supplier
            half of a customer-and-supplier relation (codes are unique, REL-0008); None
            leaves that code to SnelStart.

    Raises:
        ValueError: On an empty administration id or key.
    """

    def __init__(
        self,
        *,
        administration: str,
        koppelsleutel: str | Secret,
        subscription_key: str | Secret,
        name: str | None = None,
        client: httpx.Client | None = None,
        clock: Clock | None = None,
        test_key: bool = False,
        retry: RetryPolicy | None = None,
        rate_limit_state: RateLimitState | None = None,
        token_store: TokenStore | None = None,
        vat_rates: VatRates | None = None,
        btw_soorten: Mapping[VatCategory, str] | None = None,
        zone: tzinfo = UTC,
        change_overlap: timedelta = timedelta(minutes=1),
        supplier_code_offset: int | None = 1_000_000_000,
    ) -> None:
        key = Secret.of(koppelsleutel)
        subscription = Secret.of(subscription_key)
        if not administration or not key.reveal() or not subscription.reveal():
            raise ValueError("administration, koppelsleutel and subscription_key are required")
        self._administration = administration
        self._name = name or f"SnelStart administration {administration}"
        self._owns_client = client is None
        self._http = client if client is not None else httpx.Client(base_url=API_URL)
        self._clock = clock or SystemClock()
        self._capabilities = snelstart_capabilities(test_key=test_key)
        self.limiter: RateLimiter = limiter_for(
            self._capabilities, clock=self._clock, key=administration, state=rate_limit_state
        )
        self.auth = KoppelsleutelAuth(
            self._http,
            koppelsleutel=key,
            subscription_key=subscription,
            clock=self._clock,
            store=token_store or MemoryTokenStore(),
            key=administration,
            retry=retry,
        )
        api = ApiClient(
            self._http,
            clock=self._clock,
            retry=retry,
            limiter=self.limiter,
            error_parser=parse_snelstart_error,
            auth=self.auth,
            on_unauthorized=self.auth.on_unauthorized,
            vendor="SnelStart",
            administration=administration,
        )
        soorten = {**DEFAULT_BTW_SOORTEN, **(btw_soorten or {})}
        refs = ReferenceCache(
            api, btw_soorten=soorten, vat_rates=vat_rates, today=lambda: self._clock.now().date()
        )
        self._ctx = Context(
            api=api,
            administration=administration,
            clock=self._clock,
            zone=zone,
            refs=refs,
            overlap=change_overlap,
        )
        self._relations = Relations(self._ctx, supplier_code_offset=supplier_code_offset)
        self._projects = Projects(self._ctx)
        self._bookings = Bookings(self._ctx, soorten=soorten, projects=self._projects)
        self._readback = ReadBack(self._ctx, self._projects)

    # -- identity ---------------------------------------------------------------------------

    @property
    def administration(self) -> str:
        """The administration id given at construction."""
        return self._administration

    @property
    def name(self) -> str:
        """The display name."""
        return self._name

    @property
    def capabilities(self) -> Capabilities:
        """One soort per relatie, one contact, the product's budgets (see :mod:`.limits`)."""
        return self._capabilities

    @property
    def api(self) -> ApiClient:
        """The client every call goes through (for tests and benchmarks)."""
        return self._ctx.api

    def close(self) -> None:
        """Close the HTTP client if the backend created it."""
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> SnelStartBackend:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SnelStartBackend(administration={self._administration!r})"

    # -- relations -------------------------------------------------------------------------

    def find_relations(self, keys: RelationKeys) -> Sequence[RemoteRecord[Relation]]:
        """Relaties matching any key, in one ``$filter`` (the reference via ``Memo``)."""
        return self._relations.find(keys)

    def get_relation(self, remote_id: str) -> RemoteRecord[Relation]:
        """One relatie; ``NotFoundError`` when it is gone (or is the own company)."""
        return self._relations.get(remote_id)

    def read_relations(self, cursor: str | None = None) -> ChangeSet[Relation]:
        """All relaties, or those whose ``modifiedOn`` moved since ``cursor``."""
        return self._relations.read(cursor)

    def create_relation(self, relation: Relation, *, reference: str) -> RemoteRecord[Relation]:
        """Create one relatie (one call once the countries are cached).

        Raises:
            ValidationError: Both roles (REL-0065), an incomplete address (REL-0060), an
                unknown country, or a field longer than SnelStart holds.
        """
        return self._relations.create(relation, reference)

    def update_relation(
        self, remote_id: str, relation: Relation, *, fields: frozenset[str]
    ) -> RemoteRecord[Relation]:
        """GET, write the named fields, PUT; a soort change is refused (REL-0064)."""
        return self._relations.update(remote_id, relation, fields)

    def deactivate_relation(self, remote_id: str) -> None:
        """Set the relatie ``nonactief``."""
        self._relations.deactivate(remote_id)

    def create_relations(
        self, items: Iterable[tuple[Relation, str]], *, max_workers: int | None = None
    ) -> list[RemoteRecord[Relation] | FinlinkError]:
        """Create many relaties concurrently; returns a record or the error, per item, in order.

        Args:
            items: (relation, reference) pairs.
            max_workers: Threads (default: the product's concurrency, 5 or 50).
        """
        return self._bulk(
            lambda item: self._relations.create(item[0], item[1]), list(items), max_workers
        )

    # -- contacts --------------------------------------------------------------------------

    def list_contacts(self, relation_remote_id: str) -> Sequence[RemoteRecord[Contact]]:
        """The relatie's contact person (at most one)."""
        return self._relations.list_contacts(relation_remote_id)

    def create_contact(
        self, relation_remote_id: str, contact: Contact, *, reference: str
    ) -> RemoteRecord[Contact]:
        """Set the contact person; ``ValidationError`` (``max_contacts``) for a second one."""
        return self._relations.create_contact(relation_remote_id, contact, reference)

    def update_contact(
        self, relation_remote_id: str, remote_id: str, contact: Contact
    ) -> RemoteRecord[Contact]:
        """Overwrite the contact person."""
        return self._relations.update_contact(relation_remote_id, remote_id, contact)

    # -- projects ----------------------------------------------------------------------------

    def find_project(self, number: str) -> RemoteRecord[Project] | None:
        """The kostenplaats with ``number`` (``ValidationError`` if no valid number)."""
        return self._projects.find(number)

    def create_project(self, project: Project) -> RemoteRecord[Project]:
        """Create the kostenplaats (active first, KPL-0009)."""
        return self._projects.create(project)

    def update_project(self, remote_id: str, project: Project) -> RemoteRecord[Project]:
        """Update number, description and active flag."""
        return self._projects.update(remote_id, project)

    def deactivate_project(self, remote_id: str) -> None:
        """Set the kostenplaats ``nonactief``."""
        self._projects.deactivate(remote_id)

    # -- bookings -------------------------------------------------------------------------

    def create_booking(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> RemoteRecord[Booking]:
        """Book a verkoop- or inkoopboeking whose factuurnummer is ``reference``."""
        return self._bookings.create(
            booking,
            relation_remote_id=relation_remote_id,
            project_numbers=project_numbers,
            reference=reference,
        )

    def attach_document(self, booking_remote_id: str, attachment: Attachment) -> str:
        """Attach the PDF via ``/documenten/{Verkoopboekingen|Inkoopboekingen}``."""
        return self._bookings.attach(booking_remote_id, attachment)

    def find_booking(self, kind: BookingKind, reference: str) -> RemoteRecord[Booking] | None:
        """The boeking of ``kind`` with factuurnummer ``reference``."""
        return self._bookings.find(kind, reference)

    def create_bookings(
        self, requests: Iterable[BookingRequest], *, max_workers: int | None = None
    ) -> list[RemoteRecord[Booking] | FinlinkError]:
        """Book many boekingen concurrently, each with its PDF (two calls per booking).

        Returns, per request and in order, the booking's record or the error that stopped it.
        A booking whose PDF failed is returned as the error, with the boeking made: retry
        :meth:`attach_document` for it.
        """

        def one(request: BookingRequest) -> RemoteRecord[Booking]:
            record = self.create_booking(
                request.booking,
                relation_remote_id=request.relation_remote_id,
                project_numbers=request.project_numbers,
                reference=request.reference,
            )
            if request.booking.attachment is not None:
                self.attach_document(record.remote_id, request.booking.attachment)
            return record

        return self._bulk(one, list(requests), max_workers)

    # -- read back --------------------------------------------------------------------------

    def read_open_items(
        self, cursor: str | None = None, *, relation_remote_id: str | None = None
    ) -> ChangeSet[OpenItem]:
        """Open invoices, or every invoice changed since ``cursor`` (paid ones once)."""
        return self._readback.open_items(cursor, relation_remote_id)

    def read_project_costs(
        self, project_number: str, *, since: date | None = None
    ) -> Sequence[ProjectCost]:
        """Cost mutations on the kostenplaats ``project_number``."""
        return self._readback.project_costs(project_number, since)

    def reference_data(self, *, refresh: bool = False) -> ReferenceData:
        """Grootboeken, btw-soorten and landen (cached; ``refresh`` re-reads)."""
        return self._ctx.refs.get(refresh=refresh).data

    # -- concurrency ------------------------------------------------------------------------

    def _bulk(
        self, work: Callable[[_T], _R], items: list[_T], max_workers: int | None
    ) -> list[_R | FinlinkError]:
        # Warm the caches first so the workers do not all read /landen at once.
        self._ctx.refs.get()
        workers = max(1, min(max_workers or self._capabilities.max_concurrency or 1, len(items)))

        def guarded(item: _T) -> _R | FinlinkError:
            try:
                return work(item)
            except FinlinkError as error:
                return error

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="snelstart") as pool:
            return list(pool.map(guarded, items))
