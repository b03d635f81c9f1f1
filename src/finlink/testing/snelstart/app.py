"""The request pipeline both transports share: auth, limits, faults, latency, routing.

A request is a :class:`WireRequest` (method, which host — ``auth`` or ``api`` — path, query,
headers, body) and the answer a :class:`WireResponse`; ``httpx.MockTransport`` and the loopback
HTTP server only translate to and from these, so both paths behave identically.

Order of checks for a data call, as Azure API Management then the API would apply them: the
path must be under ``/v2`` (else APIM's 404), the subscription key must be valid (401, APIM
body), the bearer token must be live (401), the administration's rate limits must allow the
call (429), then injected faults, simulated latency, and the resource itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qsl

import attrs

from finlink.clock import Clock
from finlink.testing.snelstart.auth import Credentials
from finlink.testing.snelstart.entities import boekingen, documenten, ledger, relaties, settings
from finlink.testing.snelstart.entities.base import Call, Reply, Route
from finlink.testing.snelstart.errors import ApiError, ModelStateError, NotFound
from finlink.testing.snelstart.faults import FaultKind, FaultPlan
from finlink.testing.snelstart.limits import PRODUCT_LIMITS, Product, RateLimiter
from finlink.testing.snelstart.scopes import ALL_SCOPES, required_scopes
from finlink.testing.snelstart.state import AdministrationState
from finlink.testing.snelstart.wire import encode_json

__all__ = ["CallRecord", "SandboxCore", "WireRequest", "WireResponse"]

logger = logging.getLogger("finlink.testing.snelstart")

ROUTES: list[Route] = [
    *relaties.ROUTES,
    *settings.ROUTES,
    *boekingen.ROUTES,
    *ledger.ROUTES,
    *documenten.ROUTES,
]

#: P-POL: "Access denied due to invalid subscription key. Make sure to provide a valid key for
#: an active subscription." The missing-key text is APIM's standard one.
_INVALID_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
_MISSING_KEY = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)
#: ASP.NET Web API's answer to a missing or refused bearer token (UNVERIFIED for SnelStart; the
#: ``{"Message": …}`` shape is the third one PHP parses, §2.4).
_DENIED = "Authorization has been denied for this request."
_JSON = {"Content-Type": "application/json; charset=utf-8"}


@attrs.frozen(kw_only=True)
class WireRequest:
    """A request as the pipeline sees it; ``headers`` has lower-case names."""

    method: str
    service: Literal["auth", "api"]
    path: str
    query: Mapping[str, str] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


@attrs.frozen(kw_only=True)
class WireResponse:
    """The pipeline's answer; ``outcome`` says whether to send it, drop it, or never answer."""

    status: int
    body: bytes
    headers: Mapping[str, str] = attrs.field(factory=lambda: dict(_JSON))
    outcome: Literal["send", "drop", "hang"] = "send"


@attrs.frozen(kw_only=True)
class CallRecord:
    """One data call an administration received: when, what, and the status it got."""

    at: datetime
    method: str
    path: str
    status: int


def _json(status: int, body: object, **headers: str) -> WireResponse:
    return WireResponse(status=status, body=encode_json(body), headers={**_JSON, **headers})


def _match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    segments = tuple(s for s in path.split("/") if s)
    best: tuple[int, Route, dict[str, str]] | None = None
    for route in ROUTES:
        verb, pattern, _ = route
        if verb != method or len(pattern) != len(segments):
            continue
        params: dict[str, str] = {}
        literal = 0
        for want, got in zip(pattern, segments, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want.lower() == got.lower():
                literal += 1
            else:
                break
        else:
            if best is None or literal > best[0]:
                best = (literal, route, params)
    return None if best is None else (best[1], best[2])


class SandboxCore:
    """All mutable sandbox state plus :meth:`handle`; owned by ``SnelStartSandbox``.

    Args:
        clock: The simulated (or real) clock for stamps, limits, tokens and latency.
        seed: Seed for generated keys.
    """

    def __init__(self, clock: Clock, seed: str) -> None:
        self.clock = clock
        self.credentials = Credentials(seed, clock)
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self.states: dict[str, AdministrationState] = {}
        self.limiters: dict[tuple[str, Product], RateLimiter] = {}
        self.calls: dict[str, list[CallRecord]] = {}
        #: The scopes each administration's tokens carry (reference §3.12).
        self.scopes: dict[str, frozenset[str]] = {}
        self.latency = 0.0
        self.hang_seconds = 30.0
        self.closing = threading.Event()

    def limiter(self, administration: str, product: Product) -> RateLimiter:
        """The limiter of (administration, product), created on first use."""
        with self.lock:
            key = (administration, product)
            if key not in self.limiters:
                self.limiters[key] = RateLimiter(self.clock, PRODUCT_LIMITS[product])
            return self.limiters[key]

    def handle(self, request: WireRequest) -> WireResponse:
        """Answer one request (never raises for anything a client sends)."""
        if request.service == "auth":
            return self._token(request)
        if not request.path.startswith("/v2/"):
            return _json(404, {"statusCode": 404, "message": "Resource not found"})
        path = request.path[3:]
        found = self._authenticate(request)
        if isinstance(found, WireResponse):
            return found
        administration, product = found
        limiter = self.limiter(administration, product)
        wait = limiter.acquire()
        if wait is not None:
            return self._log(administration, request.method, path, _throttled(wait))
        try:
            response = self._admitted(request, path, administration)
        finally:
            limiter.release()
        return self._log(administration, request.method, path, response)

    def _authenticate(self, request: WireRequest) -> tuple[str, Product] | WireResponse:
        key = request.headers.get("ocp-apim-subscription-key") or request.query.get(
            "subscription-key"
        )
        if not key:
            return _json(401, {"statusCode": 401, "message": _MISSING_KEY})
        product = self.credentials.product_of(key)
        if product is None:
            return _json(401, {"statusCode": 401, "message": _INVALID_KEY})
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        administration = (
            self.credentials.administration_of(token.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if administration is None or administration not in self.states:
            return _json(401, {"Message": _DENIED}, **{"WWW-Authenticate": "Bearer"})
        return administration, product

    def _log(
        self, administration: str, method: str, path: str, response: WireResponse
    ) -> WireResponse:
        status = response.status if response.outcome == "send" else 0
        record = CallRecord(at=self.clock.now(), method=method, path=path, status=status)
        with self.lock:
            self.calls.setdefault(administration, []).append(record)
        return response

    def _admitted(self, request: WireRequest, path: str, administration: str) -> WireResponse:
        for gate in self.faults.gates_for(request.method, path, administration):
            gate.hold(self.hang_seconds)
        fault = self.faults.take(request.method, path, administration)
        if fault is not None and fault.kind is FaultKind.ERROR:
            return _json(fault.status, {"Message": "An error has occurred."})
        if fault is not None and fault.kind is FaultKind.THROTTLE:
            return _throttled(fault.retry_after)
        if fault is not None and fault.kind is FaultKind.TIMEOUT:
            return WireResponse(status=504, body=b"", outcome="hang")
        if self.latency > 0:
            # Simulated latency moves the shared clock; with N threads in flight the clock
            # moves N * latency (it measures work done, not elapsed wall time).
            self.clock.sleep(self.latency)
        response = self._route(request, path, administration)
        if fault is not None:  # DROP_AFTER_COMMIT: the write is stored, the answer is lost.
            return attrs.evolve(response, outcome="drop")
        return response

    def _route(self, request: WireRequest, path: str, administration: str) -> WireResponse:
        found = _match(request.method, path)
        if found is None:
            # APIM answers an operation it does not define (also a wrong method) with 404.
            return _json(404, {"statusCode": 404, "message": "Resource not found"})
        missing = required_scopes(request.method, path) - self.scopes.get(
            administration, ALL_SCOPES
        )
        if missing:
            # SPEC: 403 "Indien niet de juiste scopes in het token aanwezig zijn"; body UNVERIFIED.
            return _json(403, {"Message": _DENIED})
        (_, _, handler), params = found
        with self.lock:
            call = Call(
                state=self.states[administration],
                params=params,
                query=request.query,
                body=request.body,
            )
            try:
                reply = handler(call)
            except (ApiError, ModelStateError, NotFound) as exc:
                reply = Reply(status=exc.status, body=exc.body())
            except Exception:  # a sandbox bug: answer like ASP.NET and say so in the log
                logger.exception("SnelStart sandbox failed on %s %s", request.method, path)
                reply = Reply(status=500, body={"Message": "An error has occurred."})
            # Encode under the lock: replies may share nested objects with the stored records.
            return _json(reply.status, reply.body)

    def _token(self, request: WireRequest) -> WireResponse:
        if request.path.rstrip("/") != "/b2b/token" or request.method != "POST":
            return _json(404, {"error": "not_found"})
        fault = self.faults.take(request.method, "/b2b/token", None)
        if fault is not None and fault.kind is FaultKind.ERROR:
            return _json(fault.status, {"error": "server_error"})
        if fault is not None and fault.kind is FaultKind.TIMEOUT:
            return WireResponse(status=504, body=b"", outcome="hang")
        if fault is not None and fault.kind is FaultKind.THROTTLE:
            return _throttled(fault.retry_after)
        # P-AUTH: "het is belangrijk dat de credentials in de body worden gezet".
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        grant = self.credentials.grant(form)
        response = _json(grant.status, grant.body)
        if fault is not None:
            return attrs.evolve(response, outcome="drop")
        return response


def _throttled(seconds: int) -> WireResponse:
    body = {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
    }
    return _json(429, body, **{"Retry-After": str(seconds)})
