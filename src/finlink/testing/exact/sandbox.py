"""``ExactSandbox``: the public face of the Exact Online emulator."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from finlink.clock import Clock, SimulatedClock
from finlink.testing.exact.app import ExactService
from finlink.testing.exact.entities import ENDPOINTS
from finlink.testing.exact.entities.base import EntitySpec, Record
from finlink.testing.exact.entities.entries import PURCHASE, SALES, create_entry
from finlink.testing.exact.entities.ledger import GL_ACCOUNTS, JOURNALS, VAT_CODES, find_by_code
from finlink.testing.exact.entities.open_items import open_item_rows
from finlink.testing.exact.faults import FaultPlan
from finlink.testing.exact.limits import ErrorBudget, RateLimiter
from finlink.testing.exact.oauth import ExactApp, OAuthServer
from finlink.testing.exact.seed import gl_account_fields, journal_fields, vat_code_fields
from finlink.testing.exact.server import ServerHandle, make_transport, serve
from finlink.testing.exact.store import DivisionStore, Payment
from finlink.testing.exact.webhooks import Sender, WebhookDelivery
from finlink.testing.exact.wire import HttpError, SandboxRequest, SandboxResponse

__all__ = ["ExactSandbox"]

_NAMESPACE = uuid.UUID("8f4d3c52-7f0e-4d0b-9a55-3f1f0e2b6a10")
DEFAULT_DIVISIONS: Mapping[int, str] = {1234567: "Voorbeeld B.V.", 1234568: "Stichting Voorbeeld"}


class ExactSandbox:
    """An in-process Exact Online: OAuth, divisions, limits, OData and the finlink entities.

    Args:
        clock: The clock the sandbox lives on (default: a new :class:`SimulatedClock`).
        divisions: Division numbers and names the user has (default: two).
        seed_defaults: Give each division Dutch G/L accounts, VAT codes and journals.
        base_url: The host the mock transport answers for (the loopback server uses its own).
        hrm_divisions: Whether ``hrm/Divisions`` answers like ``system/Divisions`` (most
            licences) or with 404 (some licences, reference §6 quirk 18); see
            :attr:`hrm_divisions`.

    Example:
        >>> sandbox = ExactSandbox()
        >>> tokens = sandbox.connect()
        >>> with sandbox.client(token=tokens["access_token"]) as http:
        ...     http.get("/api/v1/current/Me").status_code
        200
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        divisions: Mapping[int, str] | None = None,
        seed_defaults: bool = True,
        base_url: str = "https://start.exactonline.nl",
        hrm_divisions: bool = True,
    ) -> None:
        self.clock: Clock = clock or SimulatedClock()
        self.base_url = base_url.rstrip("/")
        self.user_id = uuid.uuid5(_NAMESPACE, "user")
        self._division_codes: set[int] = set()
        self.oauth = OAuthServer(self.clock, self.user_id, self._division_codes)
        self.faults = FaultPlan()
        self.service = ExactService(
            oauth=self.oauth,
            limiter=RateLimiter(self.clock),
            errors=ErrorBudget(self.clock),
            faults=self.faults,
            user_id=self.user_id,
            user_name="Bea Boekhouder",
        )
        self.service.base_url = self.base_url
        self.service.hrm_divisions = hrm_divisions
        #: The default app registration (client id, secret, redirect URI, webhook secret).
        self.app = self.add_app()
        for code, description in (divisions or DEFAULT_DIVISIONS).items():
            self.add_division(code, description, seed_defaults=seed_defaults)

    # -- set-up --------------------------------------------------------------------------

    def add_app(
        self,
        *,
        client_id: str | None = None,
        client_secret: str = "sandbox-client-secret",  # noqa: S107 - made-up test value
        redirect_uri: str = "https://crm.example.nl/exact/callback",
        webhook_secret: str = "sandbox-webhook-secret",  # noqa: S107 - made-up test value
    ) -> ExactApp:
        """Register an app (client) and return its registration."""
        app = ExactApp(
            client_id=client_id or str(uuid.uuid5(_NAMESPACE, f"app{len(self.oauth.apps)}")),
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            webhook_secret=webhook_secret,
        )
        self.oauth.register(app)
        return app

    def add_division(self, code: int, description: str, *, seed_defaults: bool = True) -> None:
        """Give the user another administration, seeded with Dutch defaults unless told not."""
        store = DivisionStore(
            code, description, self.clock, self.user_id, on_change=self.service.on_change
        )
        self.service.stores[code] = store
        self._division_codes.add(code)
        if seed_defaults:
            self._seed_defaults(code)

    def _seed_defaults(self, division: int) -> None:
        for fields in gl_account_fields():
            self.seed(division, GL_ACCOUNTS.path, **fields)
        store = self.service.stores[division]
        to_pay = find_by_code(store, GL_ACCOUNTS.path, "1520")
        to_claim = find_by_code(store, GL_ACCOUNTS.path, "1500")
        for fields in vat_code_fields(
            to_pay["ID"] if to_pay else None, to_claim["ID"] if to_claim else None
        ):
            self.seed(division, VAT_CODES.path, **fields)
        for gl in store.table(GL_ACCOUNTS.path).values():
            vat = find_by_code(store, VAT_CODES.path, gl.get("VATCode"))
            gl["VATDescription"] = vat["Description"] if vat else None
        for fields in journal_fields():
            self.seed(division, JOURNALS.path, **fields)

    @property
    def hrm_divisions(self) -> bool:
        """Whether ``hrm/Divisions`` answers (True) or 404s as for some licences (False)."""
        return self.service.hrm_divisions

    @hrm_divisions.setter
    def hrm_divisions(self, answers: bool) -> None:
        with self.service.lock:
            self.service.hrm_divisions = answers

    @property
    def divisions(self) -> list[int]:
        """The user's division numbers."""
        return sorted(self.service.stores)

    # -- OAuth ---------------------------------------------------------------------------

    def authorize(
        self,
        client_id: str | None = None,
        redirect_uri: str | None = None,
        divisions: list[int] | set[int] | None = None,
    ) -> str:
        """Play the user's consent screen; returns the authorization code (valid 3 minutes).

        Raises:
            ValueError: For an unknown client, a wrong redirect URI or an unknown division.
        """
        return self.oauth.authorize(
            client_id or self.app.client_id,
            redirect_uri or self.app.redirect_uri,
            set(divisions) if divisions is not None else None,
        )

    def connect(
        self, divisions: list[int] | set[int] | None = None, app: ExactApp | None = None
    ) -> dict[str, str]:
        """Consent and exchange the code in one go; returns the token response body."""
        app = app or self.app
        code = self.authorize(app.client_id, app.redirect_uri, divisions)
        form = httpx.QueryParams(
            grant_type="authorization_code",
            code=code,
            redirect_uri=app.redirect_uri,
            client_id=app.client_id,
            client_secret=app.client_secret,
        )
        response = self.handle(
            SandboxRequest(
                method="POST",
                url=f"{self.base_url}/api/oauth2/token",
                headers={"content-type": "application/x-www-form-urlencoded"},
                body=str(form).encode(),
            )
        )
        tokens: dict[str, str] = response.json()
        return tokens

    # -- transports ----------------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request (the handler both transports use)."""
        return self.service.handle(request)

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` serving this sandbox."""
        return make_transport(self.handle)

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """A ready ``httpx.Client`` on the sandbox, with a bearer token when given."""
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(
            base_url=self.base_url, transport=self.transport(), headers=headers, **kwargs
        )

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
        """Serve the sandbox over HTTP on loopback; the handle has ``.url`` and ``.close()``."""
        return serve(self.handle, host, port)

    # -- data: seed, inspect, change ---------------------------------------------------

    def _spec(self, entity: str) -> EntitySpec:
        endpoint = ENDPOINTS.get(entity.lower())
        if endpoint is None or endpoint.mode != "entity":
            raise ValueError(f"unknown entity {entity!r}")
        return endpoint.spec

    def _store(self, division: int) -> DivisionStore:
        try:
            return self.service.stores[division]
        except KeyError:
            raise ValueError(f"unknown division {division}") from None

    def seed(self, division: int, entity: str, **fields: Any) -> Record:
        """Create a record directly (no HTTP, no rate limit), with Exact's validation.

        Fields may be JSON values or Python values (UUID, Decimal, aware datetime);
        read-only fields may be set too. Entries take their lines under the lines field.

        Raises:
            ValueError: When Exact would refuse the record (the message is Exact's).
        """
        spec = self._spec(entity)
        store = self._store(division)
        with self.service.lock:
            try:
                kind = {SALES.header.path: SALES, PURCHASE.header.path: PURCHASE}.get(spec.path)
                if kind is not None:
                    record = create_entry(kind, store, fields)
                else:
                    sent = spec.coerce(fields, read_only=True)
                    record = spec.blank() | sent
                    record[spec.key] = record.get(spec.key) or uuid.uuid4()
                    spec.validate(store, record, sent)
                    store.insert(spec.path, record[spec.key], record)
            except HttpError as exc:
                raise ValueError(_message(exc)) from None
            result = copy.deepcopy(record)
        self.service.flush_webhooks()
        return result

    def add_account(
        self,
        division: int,
        name: str,
        *,
        customer: bool = True,
        supplier: bool = False,
        **fields: Any,
    ) -> Record:
        """Seed an account: a customer (``Status`` "C") and/or a supplier."""
        status = "C" if customer else fields.pop("Status", "A")
        return self.seed(
            division, "crm/Accounts", Name=name, Status=status, IsSupplier=supplier, **fields
        )

    def records(self, division: int, entity: str) -> list[Record]:
        """Copies of every stored row of an entity (Python values, not the wire form)."""
        spec = self._spec(entity)
        with self.service.lock:
            return copy.deepcopy(list(self._store(division).table(spec.path).values()))

    def record(self, division: int, entity: str, key: Any) -> Record:
        """A copy of one stored row.

        Raises:
            KeyError: When there is no such row.
        """
        spec = self._spec(entity)
        key = uuid.UUID(key) if isinstance(key, str) else key
        with self.service.lock:
            return copy.deepcopy(self._store(division).table(spec.path)[key])

    def change(self, division: int, entity: str, key: Any, **fields: Any) -> Record:
        """Change a record as the accountant would in Exact's screens.

        Bumps ``Modified`` and ``Timestamp`` and fires webhooks, like any change in Exact.

        Raises:
            KeyError: When there is no such row.
            ValueError: When Exact would refuse the change.
        """
        spec = self._spec(entity)
        key = uuid.UUID(key) if isinstance(key, str) else key
        store = self._store(division)
        with self.service.lock:
            row = store.table(spec.path)[key]
            try:
                sent = spec.coerce(fields, read_only=True)
                merged = row | sent
                spec.validate(store, merged, sent)
            except HttpError as exc:
                raise ValueError(_message(exc)) from None
            row.update(merged)
            store.touch(spec.path, key)
            result = copy.deepcopy(row)
        self.service.flush_webhooks()
        return result

    def record_payment(
        self,
        division: int,
        entry_id: Any,
        amount: Decimal | int | str,
        *,
        on: datetime | None = None,
    ) -> int:
        """Record a (partial) payment against a sales or purchase entry's open item.

        Returns the payment's ``HID`` in the receivables/payables list.

        Raises:
            KeyError: When the entry has no open item.
            ValueError: For a non-positive amount or one larger than what is still open.
        """
        key = uuid.UUID(entry_id) if isinstance(entry_id, str) else entry_id
        store = self._store(division)
        with self.service.lock:
            item = store.open_items[key]
            kind = SALES if item.sales else PURCHASE
            entry = store.table(kind.header.path)[key]
            paid = sum((payment.amount for payment in item.payments), Decimal(0))
            value = Decimal(str(amount))
            still_open = entry["AmountFC"] - paid
            if value == 0 or abs(value) > abs(still_open) or (value < 0) != (still_open < 0):
                raise ValueError(f"payment {value} does not fit the open amount {still_open}")
            moment = on or self.clock.now()
            payment = Payment(
                hid=store.next_hid(),
                entry_number=store.next_entry_number("20", moment.year),
                amount=value,
                date=moment,
            )
            item.payments.append(payment)
            return payment.hid

    def open_items(self, division: int, *, sales: bool = True) -> list[Record]:
        """The rows ``ReceivablesList`` (``sales``) or ``PayablesList`` would return."""
        with self.service.lock:
            return copy.deepcopy(open_item_rows(self._store(division), sales))

    def call_count(self, division: int) -> int:
        """API calls counted against the division's rate limits so far."""
        return self.service.limiter.calls[division]

    # -- webhooks ------------------------------------------------------------------------

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook POST made so far, oldest first (validation pings included)."""
        return list(self.service.deliveries)

    def on_webhook(self, sender: Sender | None) -> None:
        """Also hand each delivery to ``sender`` (e.g. one that POSTs it to a test server)."""
        self.service.sender = sender

    def __repr__(self) -> str:
        return f"ExactSandbox(divisions={self.divisions}, clock={self.clock!r})"


def _message(exc: HttpError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"]["message"]["value"])
    return str(body)
