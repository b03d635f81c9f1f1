"""``ExactBackend``: one Exact Online division as a finlink :class:`~finlink.backends.Backend`.

The pieces live beside it: :mod:`.auth` (OAuth, the 570 s rule, token rotation),
:mod:`.connection` (limits, retries, errors), :mod:`.mapping` and :mod:`.relations`
(accounts, contacts, bank accounts), :mod:`.ledger` (G/L accounts, VAT codes, journals),
:mod:`.bookings` (cost centres, entries, documents), :mod:`.readback` (open items, project
costs) and :mod:`.webhooks`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType

import httpx

from finlink.backends.capabilities import Capabilities, Feature, RateLimit
from finlink.backends.exact.auth import ExactAuth, ExactOAuth
from finlink.backends.exact.bookings import ATTACHMENT_LIMIT, Bookings
from finlink.backends.exact.connection import ExactConnection
from finlink.backends.exact.divisions import ExactDivision, discover_divisions
from finlink.backends.exact.ledger import DivisionReference, load_reference
from finlink.backends.exact.mapping import FIELD_MAX_LENGTHS
from finlink.backends.exact.readback import OpenItems, read_project_costs
from finlink.backends.exact.relations import Relations
from finlink.backends.exact.settings import ExactSettings
from finlink.backends.exact.webhooks import subscribe, unsubscribe
from finlink.backends.protocol import ChangeSet, RelationKeys
from finlink.backends.records import RemoteRecord
from finlink.backends.reference import ReferenceData
from finlink.clock import Clock, SystemClock
from finlink.http import (
    ApiClient,
    RateLimiter,
    RateLimitState,
    RetryPolicy,
    TokenSet,
    TokenStore,
    parse_exact_error,
)
from finlink.model.booking import Attachment, Booking, Project
from finlink.model.enums import BookingKind
from finlink.model.readback import OpenItem, ProjectCost
from finlink.model.relation import Contact, Relation

__all__ = ["ExactBackend", "exact_capabilities"]


def exact_capabilities(*, daily_limit: int = 5000) -> Capabilities:
    """What Exact Online can do (reference ``exact-online.md``).

    No contact limit (``crm/Contacts``, many per account), customer and supplier in one
    account (``Status`` "C" plus ``IsSupplier``, §5.1), attachments up to 10 MB (§3), the
    field lengths the reference knows (§5.3), 60 calls a clock minute and ``daily_limit`` a
    day per division (§3; 30,000 with a Premium licence), one call in flight (§6 quirk 4),
    incremental reads through ``/sync/`` (§4.7), webhooks (§5.2), 60 rows a page (§4.2).
    """
    return Capabilities(
        features=Feature.ALL,
        max_contacts_per_relation=None,
        customer_and_supplier=True,
        max_attachment_bytes=ATTACHMENT_LIMIT,
        incremental_reads=True,
        webhooks=True,
        field_max_lengths=MappingProxyType(dict(FIELD_MAX_LENGTHS)),
        rate_limits=(
            RateLimit(calls=60, period_seconds=60.0),
            RateLimit(calls=daily_limit, period_seconds=86400.0),
        ),
        max_concurrency=1,
        max_page_size=60,
    )


class ExactBackend:
    """One Exact Online division.

    Args:
        oauth: The app registration and its country host.
        division: The division number (the user must have consented to it, §1.2).
        token_store: Where this connection's tokens live; share one (a
            :class:`~finlink.http.FileTokenStore` or a database store) between processes.
        token_key: The key of this connection's tokens in ``token_store``.
        http: An ``httpx.Client`` to use (its ``base_url`` is ignored); default: a new one
            on ``transport``, closed by :meth:`close`.
        transport: The transport for the default client (tests pass a sandbox's).
        clock: Time for tokens, limits and retries (tests pass a ``SimulatedClock``).
        retry: The retry policy (default: 5 attempts, 5 minutes of waiting at most).
        rate_limit_state: A shared :class:`~finlink.http.RateLimitState` for several
            processes on one division.
        daily_limit: Calls a day (5,000; 30,000 with a Premium licence, §3).
        max_rate_wait: The longest wait for the rate limit before a call; past it a call
            raises :class:`~finlink.RateLimitError` (retriable) instead of blocking, e.g. until
            midnight when the day's budget is spent. None (default) waits as long as needed.
        settings: Journals, VAT overrides, document types.
        name: The display name (default ``Exact Online division {division}``).

    Raises (every method): :class:`~finlink.ValidationError` for data Exact would refuse,
    checked before sending (field lengths, a non-numeric code, an unknown ledger code, a file
    over 10 MB); :class:`~finlink.AuthenticationError` when the user must consent again;
    :class:`~finlink.PermissionDeniedError` for a division not consented to;
    :class:`~finlink.OutcomeUnknownError` when a POST's answer got lost;
    :class:`~finlink.RemoteValidationError` for Exact's refusals (including its HTTP 500
    business-rule errors); :class:`~finlink.RateLimitError`, :class:`~finlink.ServerError`
    and :class:`~finlink.TransportError` when retries ran out.
    """

    def __init__(
        self,
        *,
        oauth: ExactOAuth,
        division: int,
        token_store: TokenStore,
        token_key: str = "exact",  # noqa: S107 - a store key, not a secret
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        rate_limit_state: RateLimitState | None = None,
        daily_limit: int = 5000,
        max_rate_wait: float | None = None,
        settings: ExactSettings | None = None,
        name: str | None = None,
    ) -> None:
        self.oauth = oauth
        self.division = int(division)
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or ExactSettings()
        self._owns_http = http is None
        self.http = http or httpx.Client(
            transport=transport, headers={"Accept": "application/json"}
        )
        self._administration = f"exact:{self.division}"
        self._name = name or f"Exact Online division {self.division}"
        self._capabilities = exact_capabilities(daily_limit=daily_limit)
        self.auth = ExactAuth(oauth, token_store, token_key, http=self.http, clock=self.clock)
        self.limiter = RateLimiter.for_exact_online(
            clock=self.clock,
            key=self._administration,
            daily_limit=daily_limit,
            state=rate_limit_state,
            max_wait=max_rate_wait,
        )
        self.api = ApiClient(
            self.http,
            clock=self.clock,
            retry=retry,
            limiter=self.limiter,
            error_parser=parse_exact_error,
            auth=self.auth,
            on_unauthorized=self.auth.on_unauthorized,
            vendor="Exact Online",
            administration=self._administration,
        )
        self.conn = ExactConnection(self.api, host=oauth.host, division=self.division)
        self._reference: DivisionReference | None = None
        self._reference_lock = threading.Lock()
        self.relations = Relations(
            self.conn,
            administration=self._administration,
            clock=self.clock,
            deleted_interval=self.settings.deleted_interval,
        )
        self.bookings = Bookings(
            self.conn,
            administration=self._administration,
            settings=self.settings,
            reference=self._division_reference,
            clock=self.clock,
        )
        self.open_items = OpenItems(self.conn, administration=self._administration)

    # -- identity and life cycle --------------------------------------------------------------

    @property
    def administration(self) -> str:
        """``exact:{division}``."""
        return self._administration

    @property
    def name(self) -> str:
        """The display name."""
        return self._name

    @property
    def capabilities(self) -> Capabilities:
        """See :func:`exact_capabilities`."""
        return self._capabilities

    def connect(self, code: str) -> TokenSet:
        """Exchange the consent screen's code and store the first tokens.

        Raises:
            AuthenticationError: Exact refused the code or the client credentials.
        """
        tokens = self.oauth.exchange_code(code, http=self.http, clock=self.clock)
        self.auth.save(tokens)
        return tokens

    def divisions(self) -> list[ExactDivision]:
        """The divisions the signed-in user can reach (see :func:`discover_divisions`).

        Tries ``hrm/Divisions``, then ``system/Divisions`` (some licences get 404 on the
        first, reference §6 quirk 18), then falls back to ``current/Me``'s division.

        Raises:
            BackendError: As :func:`discover_divisions`.
        """
        return discover_divisions(self.api, self.oauth.host)

    def close(self) -> None:
        """Close the HTTP client, when the backend created it."""
        if self._owns_http:
            self.http.close()

    def __repr__(self) -> str:
        return f"ExactBackend(division={self.division}, host={self.oauth.host!r})"

    # -- relations ---------------------------------------------------------------------------

    def find_relations(self, keys: RelationKeys) -> Sequence[RemoteRecord[Relation]]:
        """Accounts matching any key (one GET; two with an IBAN)."""
        return self.relations.find(keys)

    def get_relation(self, remote_id: str) -> RemoteRecord[Relation]:
        """One account with its IBAN; ``NotFoundError`` when it is gone."""
        return self.relations.get(remote_id)

    def read_relations(self, cursor: str | None = None) -> ChangeSet[Relation]:
        """All accounts, or those changed (and deleted) since ``cursor``."""
        return self.relations.read(cursor)

    def create_relation(self, relation: Relation, *, reference: str) -> RemoteRecord[Relation]:
        """Create the account (``reference`` in ``SearchCode``) and its bank account."""
        return self.relations.create(relation, reference)

    def update_relation(
        self, remote_id: str, relation: Relation, *, fields: frozenset[str]
    ) -> RemoteRecord[Relation]:
        """PUT only the changed fields, then read the account back."""
        return self.relations.update(remote_id, relation, fields)

    def deactivate_relation(self, remote_id: str) -> None:
        """Block the account."""
        self.relations.deactivate(remote_id)

    # -- contacts ----------------------------------------------------------------------------

    def list_contacts(self, relation_remote_id: str) -> Sequence[RemoteRecord[Contact]]:
        """The account's contacts."""
        return self.relations.contacts(relation_remote_id)

    def create_contact(
        self, relation_remote_id: str, contact: Contact, *, reference: str
    ) -> RemoteRecord[Contact]:
        """Add a contact to the account."""
        return self.relations.create_contact(relation_remote_id, contact, reference)

    def update_contact(
        self, relation_remote_id: str, remote_id: str, contact: Contact
    ) -> RemoteRecord[Contact]:
        """Overwrite a contact."""
        return self.relations.update_contact(remote_id, contact)

    # -- projects ----------------------------------------------------------------------------

    def find_project(self, number: str) -> RemoteRecord[Project] | None:
        """The cost centre with code ``number``."""
        return self.bookings.find_project(number)

    def create_project(self, project: Project) -> RemoteRecord[Project]:
        """Create the cost centre (code ≤ 8, else ``ValidationError``)."""
        return self.bookings.create_project(project)

    def update_project(self, remote_id: str, project: Project) -> RemoteRecord[Project]:
        """Update the description and the end date."""
        return self.bookings.update_project(remote_id, project)

    def deactivate_project(self, remote_id: str) -> None:
        """End the cost centre today."""
        self.bookings.deactivate_project(remote_id)

    # -- bookings ----------------------------------------------------------------------------

    def create_booking(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> RemoteRecord[Booking]:
        """Post a sales or purchase entry with its lines (``reference`` in ``YourRef``)."""
        return self.bookings.create(
            booking,
            relation_remote_id=relation_remote_id,
            project_numbers=project_numbers,
            reference=reference,
        )

    def attach_document(self, booking_remote_id: str, attachment: Attachment) -> str:
        """Attach the PDF to the entry; returns the document id."""
        return self.bookings.attach(booking_remote_id, attachment)

    def find_booking(self, kind: BookingKind, reference: str) -> RemoteRecord[Booking] | None:
        """The entry of ``kind`` whose ``YourRef`` is ``reference``."""
        return self.bookings.find(kind, reference)

    # -- read back ---------------------------------------------------------------------------

    def read_open_items(
        self, cursor: str | None = None, *, relation_remote_id: str | None = None
    ) -> ChangeSet[OpenItem]:
        """Open receivables and payables; see :mod:`finlink.backends.exact.readback`."""
        return self.open_items.read(cursor, relation_remote_id=relation_remote_id)

    def read_project_costs(
        self, project_number: str, *, since: date | None = None
    ) -> Sequence[ProjectCost]:
        """Purchase lines booked on the cost centre."""
        return read_project_costs(
            self.conn,
            administration=self._administration,
            project_number=project_number,
            since=since,
        )

    def _division_reference(self, *, refresh: bool = False) -> DivisionReference:
        with self._reference_lock:
            if self._reference is None or refresh:
                self._reference = load_reference(self.conn, vat_overrides=self.settings.vat_codes)
            return self._reference

    def reference_data(self, *, refresh: bool = False) -> ReferenceData:
        """G/L accounts, VAT codes (with their finlink category) and journals; cached."""
        return self._division_reference(refresh=refresh).data

    # -- webhooks ----------------------------------------------------------------------------

    def subscribe_webhook(self, topic: str, callback_url: str) -> str:
        """Subscribe ``callback_url`` to ``topic`` (``Accounts``, ``SalesEntries``…)."""
        return subscribe(self.conn, topic, callback_url)

    def unsubscribe_webhook(self, topic: str) -> int:
        """Remove this app's subscriptions to ``topic``; returns how many."""
        return unsubscribe(self.conn, topic)
