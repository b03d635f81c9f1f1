"""The request handler both transports share: routing, auth, limits, faults, CRUD.

Order of checks for a call with a division in its URL: planned fault → bearer token (401)
→ error-budget block → division consent (403) → rate limit (429) → the endpoint. Rate-limit
headers go on every response that passed the rate limiter, errors included (§3.1).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from typing import Any

from finlink.testing.exact.entities import ENDPOINTS, Endpoint
from finlink.testing.exact.entities.base import EntitySpec, Record
from finlink.testing.exact.entities.crm import ACCOUNTS
from finlink.testing.exact.entities.entries import (
    PURCHASE,
    SALES,
    TRANSACTION_LINES,
    create_entry,
    delete_entry,
)
from finlink.testing.exact.entities.open_items import RECEIVABLES, open_item_rows
from finlink.testing.exact.entities.system import (
    DIVISIONS,
    HRM_DIVISIONS_PATH,
    ME,
    WEBHOOK_SUBSCRIPTIONS,
)
from finlink.testing.exact.faults import FaultPlan
from finlink.testing.exact.limits import ErrorBudget, RateLimiter
from finlink.testing.exact.oauth import AccessGrant, OAuthServer
from finlink.testing.exact.odata import Literal, ODataError, parse_filter
from finlink.testing.exact.query import (
    LARGE_PAGE,
    NORMAL_PAGE,
    QueryPlan,
    run_query,
    select_option,
)
from finlink.testing.exact.store import DivisionStore
from finlink.testing.exact.webhooks import Sender, WebhookDelivery, signed_body
from finlink.testing.exact.wire import (
    HttpError,
    SandboxRequest,
    SandboxResponse,
    error_body,
    exact_error,
    json_response,
)

__all__ = ["ExactService"]

logger = logging.getLogger(__name__)

_TAIL = re.compile(r"^(?P<path>[A-Za-z/]+?)(?:\((?P<key>[^)]*)\))?(?P<count>/\$count)?$")
_ENTRY_KINDS = {SALES.header.path: SALES, PURCHASE.header.path: PURCHASE}


class ExactService:
    """The emulated Exact Online service: state plus :meth:`handle`.

    Args:
        oauth: The authorization server.
        limiter: Per-division call budgets.
        errors: The error budget.
        faults: Planned faults.
        user_id: The one Exact user.
        user_name: That user's name.
    """

    def __init__(
        self,
        *,
        oauth: OAuthServer,
        limiter: RateLimiter,
        errors: ErrorBudget,
        faults: FaultPlan,
        user_id: uuid.UUID,
        user_name: str,
    ) -> None:
        self.oauth = oauth
        self.limiter = limiter
        self.errors = errors
        self.faults = faults
        self.user_id = user_id
        self.user_name = user_name
        self.stores: dict[int, DivisionStore] = {}
        self.current_division: int | None = None
        self.deliveries: list[WebhookDelivery] = []
        self.sender: Sender | None = None
        self._outbox: list[WebhookDelivery] = []
        self.base_url = "https://start.exactonline.nl"
        #: Whether ``hrm/Divisions`` answers; some licences get 404 there (§2, §6 quirk 18).
        self.hrm_divisions = True
        self.lock = threading.RLock()

    # -- entry point -------------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request (thread-safe: one request at a time, like one division).

        Webhooks the request fired go to the sender after the lock is released, so a
        receiver may call back into the sandbox (Exact delivers asynchronously, too).
        """
        try:
            return self._handle(request)
        finally:
            self.flush_webhooks()

    def _handle(self, request: SandboxRequest) -> SandboxResponse:
        with self.lock:
            fault = self.faults.take(request.method, request.path)
            if fault is not None and fault.kind == "timeout":
                return SandboxResponse(status=0, timeout=True)
            if fault is not None and fault.kind == "bare_429":
                return json_response(429, error_body("Too Many Requests"))
            if fault is not None and fault.kind == "status":
                return json_response(fault.status, error_body("Internal Server Error"))
            try:
                response = self._dispatch(request)
            except HttpError as exc:
                response = json_response(exc.status, exc.body, exc.headers)
            if fault is not None:  # drop_response: committed, but the caller never hears
                return SandboxResponse(status=response.status, body=response.body, drop=True)
            return response

    def _dispatch(self, request: SandboxRequest) -> SandboxResponse:
        path = request.path
        if path == "/api/oauth2/auth":
            return self.oauth.handle_auth(request)
        if path == "/api/oauth2/token":
            return self.oauth.handle_token(request)
        if not path.startswith("/api/v1/"):
            raise exact_error(404, "Resource not found.")
        rest = path[len("/api/v1/") :]
        if rest.lower() == "current/me":
            return self._me(request)
        division, _, tail = rest.partition("/")
        if not division.isdigit():
            raise exact_error(404, "Resource not found.")
        return self._division_call(request, int(division), tail)

    def _authenticate(self, request: SandboxRequest) -> tuple[AccessGrant | None, bool]:
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None, False
        return self.oauth.grant_for(token.strip())

    # -- /current/Me -------------------------------------------------------------------

    def _me(self, request: SandboxRequest) -> SandboxResponse:
        grant, valid = self._authenticate(request)
        if grant is None or not valid:
            raise exact_error(401, "Unauthorized")
        # Not counted against the division limits: its URL has no division (§3.1).
        current = self.current_division
        if current is None or current not in grant.divisions:
            current = min(grant.divisions)
        record = {
            "CurrentDivision": current,
            "DivisionCustomer": None,
            "Email": "boekhouder@example.nl",
            "FullName": self.user_name,
            "LanguageCode": "nl-NL",
            "Legislation": "NL",
            "ServerTime": self.oauth.clock.now(),
            "ServerUtcOffset": 0,
            "UserID": grant.user_id,
            "UserName": "boekhouder@example.nl",
        }
        # Clients ask for `current/Me?$select=CurrentDivision` (§2); any property the
        # reference lists is accepted, those the sandbox does not simulate read as null.
        select = select_option(request.query, ME.field_map, ME.type_name)
        me = ME.to_wire(record, base=request.base, division=0, select=select)
        me["__metadata"]["uri"] = f"{request.base}/api/v1/current/Me(guid'{grant.user_id}')"
        return json_response(200, {"d": {"results": [me]}})

    # -- calls with a division -----------------------------------------------------------

    def _division_call(self, request: SandboxRequest, division: int, tail: str) -> SandboxResponse:
        grant, valid = self._authenticate(request)
        match = _TAIL.match(tail)
        endpoint_name = (match.group("path") if match else tail).lower()
        if grant is None:
            raise exact_error(401, "Unauthorized")
        budget_key = (grant.client_id, str(grant.user_id), division, endpoint_name)
        self.errors.check(budget_key)
        headers: dict[str, str] = {}
        try:
            if not valid:
                raise exact_error(401, "Unauthorized")  # access token older than 600 s
            if division not in grant.divisions or division not in self.stores:
                # The user did not tick this division on the consent screen (§2, §6 #23).
                raise exact_error(403, "Forbidden")
            headers = self.limiter.admit(grant.client_id, division)
            self.current_division = division
            endpoint = ENDPOINTS.get(endpoint_name) if match else None
            if endpoint_name == HRM_DIVISIONS_PATH.lower() and not self.hrm_divisions:
                endpoint = None  # this licence has no hrm/Divisions (§6 quirk 18)
            if endpoint is None or match is None:
                raise exact_error(404, "Resource not found.")
            response = self._route(request, grant, self.stores[division], endpoint, match)
        except HttpError as exc:
            self.errors.record(budget_key, exc.status)
            exc.headers.update(headers)
            raise
        self.errors.record(budget_key, response.status)
        return SandboxResponse(
            status=response.status, headers={**response.headers, **headers}, body=response.body
        )

    def _route(
        self,
        request: SandboxRequest,
        grant: AccessGrant,
        store: DivisionStore,
        endpoint: Endpoint,
        match: re.Match[str],
    ) -> SandboxResponse:
        spec = endpoint.spec
        method = request.method
        if method not in spec.methods or (endpoint.mode != "entity" and method != "GET"):
            raise exact_error(405, f"Method {method} is not supported by this endpoint.")
        key_text, count = match.group("key"), match.group("count")
        if method == "GET":
            rows = self._rows(endpoint, store, grant)
            if key_text is not None:
                row = self._find(spec, rows, key_text)
                select = select_option(request.query, endpoint.field_map, spec.type_name)
                body = self._wire(endpoint, row, request, store.code, select)
                return json_response(200, {"d": body})
            return self._list(endpoint, rows, request, store.code, count is not None)
        if method == "POST":
            if key_text is not None:
                raise exact_error(400, "POST to a single entity is not supported.")
            return self._create(request, grant, store, spec)
        if key_text is None:
            raise exact_error(400, f"{method} needs the key of the entity in the URL.")
        row = self._find(spec, list(store.table(spec.path).values()), key_text)
        if method == "PUT":
            self._update(request, store, spec, row)
        else:
            self._delete(store, spec, row[spec.key])
        return SandboxResponse(status=204)

    def _rows(self, endpoint: Endpoint, store: DivisionStore, grant: AccessGrant) -> list[Record]:
        spec = endpoint.spec
        if endpoint.mode == "view":
            return open_item_rows(store, sales=spec is RECEIVABLES)
        if endpoint.mode == "deleted":
            return list(store.deleted)
        if endpoint.mode == "divisions":
            return [self._division_row(other) for other in self.stores.values()]
        rows = list(store.table(spec.path).values())
        if spec is WEBHOOK_SUBSCRIPTIONS:  # subscriptions are per app (§5.2 "Visibility")
            rows = [row for row in rows if row["ClientID"] == uuid.UUID(grant.client_id)]
        return rows

    def _division_row(self, store: DivisionStore) -> Record:
        return DIVISIONS.blank() | {
            "Code": store.code,
            "Country": "NL",
            "Currency": "EUR",
            "Current": store.code == self.current_division,
            "Description": store.description,
            "Hid": store.code,
            "Legislation": "NL",
            "Status": 1,
        }

    @staticmethod
    def _find(spec: EntitySpec, rows: list[Record], key_text: str) -> Record:
        try:
            literal = parse_filter(key_text)
        except ODataError as exc:
            raise exact_error(400, str(exc)) from exc
        if not isinstance(literal, Literal):
            raise exact_error(400, f"Invalid key '{key_text}'.")
        for row in rows:
            if row.get(spec.key) == literal.value:
                return row
        raise exact_error(404, "Not found.")

    def _plan(self, endpoint: Endpoint) -> QueryPlan:
        spec = endpoint.spec
        if endpoint.mode == "sync":
            return QueryPlan(
                spec=spec,
                fields=endpoint.fields,
                page_size=LARGE_PAGE,
                order_key="Timestamp",
                extra_fields=("Timestamp",),
                filter_only=frozenset({"Timestamp"}),
            )
        if endpoint.mode == "deleted":
            return QueryPlan(
                spec=spec, fields=endpoint.fields, page_size=LARGE_PAGE, order_key="Timestamp"
            )
        if endpoint.mode == "bulk":
            return QueryPlan(
                spec=spec,
                fields=endpoint.fields,
                page_size=LARGE_PAGE,
                order_key=spec.key,
                require_select=True,
                mandatory_filter=spec.mandatory_filter,
            )
        return QueryPlan(
            spec=spec,
            fields=endpoint.fields,
            page_size=NORMAL_PAGE,
            order_key=spec.key,
            mandatory_filter=spec.mandatory_filter if endpoint.mode == "entity" else (),
        )

    def _list(
        self,
        endpoint: Endpoint,
        rows: list[Record],
        request: SandboxRequest,
        division: int,
        count_only: bool,
    ) -> SandboxResponse:
        query = request.query
        url = request.url.split("?", 1)[0]
        if count_only:
            query = {**query, "$inlinecount": "allpages"}
        page = run_query(self._plan(endpoint), rows, query, url)
        if count_only:
            return SandboxResponse(
                status=200, headers={"Content-Type": "text/plain"}, body=str(page.count).encode()
            )
        body: dict[str, Any] = {
            "results": [
                self._wire(endpoint, row, request, division, page.select) for row in page.rows
            ]
        }
        if page.count is not None:
            body["__count"] = str(page.count)
        if page.next_url is not None:
            body["__next"] = page.next_url
        return json_response(200, {"d": body})

    def _wire(
        self,
        endpoint: Endpoint,
        row: Record,
        request: SandboxRequest,
        division: int,
        select: list[str] | None,
    ) -> dict[str, Any]:
        spec = endpoint.spec
        if select is None and endpoint.mode == "sync":
            select = [name for name in spec.default_names(row) if name != "Timestamp"]
            select.append("Timestamp")
        out = spec.to_wire(row, base=request.base, division=division, select=select)
        expand = {name.strip() for name in request.query.get("$expand", "").split(",")}
        for name, (child_path, parent_field) in spec.navigation.items():
            if name in expand and name in out:
                child = ENDPOINTS[child_path.lower()].spec
                children = [
                    child.to_wire(item, base=request.base, division=division)
                    for item in self.stores[division].table(child_path).values()
                    if item.get(parent_field) == row[spec.key]
                ]
                out[name] = {"results": children}
        return out

    # -- writes --------------------------------------------------------------------------

    @staticmethod
    def _payload(request: SandboxRequest) -> dict[str, Any]:
        try:
            payload = json.loads(request.body or b"null")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise exact_error(
                400, "Error processing request stream. The request body is not a JSON object."
            )
        return payload

    def _create(
        self, request: SandboxRequest, grant: AccessGrant, store: DivisionStore, spec: EntitySpec
    ) -> SandboxResponse:
        payload = self._payload(request)
        kind = _ENTRY_KINDS.get(spec.path)
        if kind is not None:
            record = create_entry(kind, store, payload)
        else:
            sent = spec.coerce(payload)
            record = spec.blank() | sent
            key = record.get(spec.key) or uuid.uuid4()
            if key in store.table(spec.path):
                raise exact_error(400, f"Ongeldig: {spec.key} bestaat al")
            record[spec.key] = key
            if spec is WEBHOOK_SUBSCRIPTIONS:
                record["ClientID"] = uuid.UUID(grant.client_id)
                record["UserID"] = record.get("UserID") or grant.user_id
            spec.validate(store, record, sent)
            store.insert(spec.path, key, record)
            if spec is WEBHOOK_SUBSCRIPTIONS:
                # Exact validates a new subscription with an empty POST (§5.2).
                self._deliver(WebhookDelivery(url=record["CallbackURL"], body=b""))
        endpoint = Endpoint(spec=spec)
        body = self._wire(endpoint, record, request, store.code, None)
        if "return=representation" not in (request.header("prefer") or ""):
            # Without Prefer: return=representation Exact answers with mostly-null
            # properties (§4.1): only the key and what the client sent are filled in.
            keep = {spec.key, "__metadata", *payload}
            body = {name: (value if name in keep else None) for name, value in body.items()}
        return json_response(201, {"d": body})

    def _update(
        self, request: SandboxRequest, store: DivisionStore, spec: EntitySpec, row: Record
    ) -> None:
        sent = spec.coerce(self._payload(request))
        sent.pop(spec.key, None)
        merged = row | sent
        spec.validate(store, merged, sent)
        row.update(merged)
        store.touch(spec.path, row[spec.key])
        if spec.path in _ENTRY_KINDS:
            for line in store.table(TRANSACTION_LINES.path).values():
                if line["EntryID"] == row[spec.key]:
                    line["YourRef"] = row.get("YourRef")
                    store.touch(TRANSACTION_LINES.path, line["ID"], notify=False)

    def _delete(self, store: DivisionStore, spec: EntitySpec, key: Any) -> None:
        kind = _ENTRY_KINDS.get(spec.path)
        if kind is not None:
            delete_entry(kind, store, key)
            return
        if spec is ACCOUNTS and any(
            line.get("Account") == key for line in store.table(TRANSACTION_LINES.path).values()
        ):
            raise exact_error(
                400, "Ongeldig: dit account heeft boekingen en kan niet worden verwijderd"
            )
        store.delete(spec.path, key, spec.deleted_type)

    # -- webhooks ------------------------------------------------------------------------

    def on_change(self, division: int, path: str, action: str, key: Any) -> None:
        """Deliver a webhook to every subscription of the entity's topic in the division."""
        endpoint = ENDPOINTS.get(path.lower())
        topic = endpoint.spec.topic if endpoint is not None else None
        store = self.stores.get(division)
        if topic is None or store is None:
            return
        for sub in list(store.table(WEBHOOK_SUBSCRIPTIONS.path).values()):
            app = self.oauth.apps.get(str(sub["ClientID"]))
            if sub["Topic"] != topic or app is None:
                continue
            content = {
                "Topic": topic,
                "ClientId": str(sub["ClientID"]),
                "Division": division,
                "Action": action,
                "Key": str(key),
                "ExactOnlineEndpoint": f"{self.base_url}/api/v1/{division}/{path}"
                f"({EntitySpec.key_literal(key)})",
            }
            body = signed_body(content, app.webhook_secret)
            self._deliver(WebhookDelivery(url=sub["CallbackURL"], body=body, topic=topic))

    def _deliver(self, delivery: WebhookDelivery) -> None:
        self.deliveries.append(delivery)
        self._outbox.append(delivery)

    def flush_webhooks(self) -> None:
        """Hand queued deliveries to the sender, outside the lock."""
        with self.lock:
            pending, self._outbox = self._outbox, []
            sender = self.sender
        if sender is None:
            return
        for delivery in pending:
            try:
                sender(delivery)
            except Exception:  # a failing receiver must not fail the API call that fired it
                logger.warning("webhook delivery to the test's sender failed", exc_info=True)
