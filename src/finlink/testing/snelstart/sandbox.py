"""``SnelStartSandbox``: an in-process emulator of the SnelStart B2B API v2."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, tzinfo
from typing import Any

import httpx

from finlink.clock import Clock, SimulatedClock
from finlink.testing.snelstart.admin import AdministrationKeys, SandboxAdministration
from finlink.testing.snelstart.app import CallRecord, SandboxCore, WireRequest, WireResponse
from finlink.testing.snelstart.entities.relaties import seed_own_company
from finlink.testing.snelstart.faults import FaultPlan
from finlink.testing.snelstart.limits import Product
from finlink.testing.snelstart.scopes import ALL_SCOPES
from finlink.testing.snelstart.server import SandboxServer
from finlink.testing.snelstart.state import AdministrationState

__all__ = ["API_HOST", "API_URL", "AUTH_HOST", "TOKEN_URL", "SnelStartSandbox"]

#: SnelStart's hosts and URLs (reference §1.2, §2.1).
API_HOST = "b2bapi.snelstart.nl"
AUTH_HOST = "auth.snelstart.nl"
API_URL = f"https://{API_HOST}/v2"
TOKEN_URL = f"https://{AUTH_HOST}/b2b/token"


class SnelStartSandbox:
    """An emulator of the SnelStart B2B API v2 for tests, faithful to the vendor's behaviour.

    Reach it through :meth:`transport`/:meth:`client` (an ``httpx.MockTransport`` routing both
    ``auth.snelstart.nl`` and ``b2bapi.snelstart.nl``) or :meth:`serve` (a real HTTP server on
    loopback). Both go through the same pipeline: keys, tokens, rate limits on the sandbox's
    clock, faults, OData, and SnelStart's validation with its error codes.

    Args:
        clock: The clock for ``modifiedOn`` stamps, token expiry, rate-limit windows and
            latency (default: a fresh :class:`~finlink.clock.SimulatedClock`).
        seed: Varies the generated keys between sandboxes; the same seed gives the same keys.
        latency: Seconds each data call takes, spent with ``clock.sleep`` (see
            :attr:`latency`).
        zone: The time zone of the offset-less date-times SnelStart sends. Whether SnelStart
            uses UTC or Dutch local time is UNVERIFIED (reference §2.1); UTC by default, pass
            ``ZoneInfo("Europe/Amsterdam")`` to test the other case.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: str = "finlink",
        latency: float = 0.0,
        zone: tzinfo = UTC,
    ) -> None:
        self._core = SandboxCore(clock or SimulatedClock(), seed)
        self._core.latency = latency
        self._zone = zone
        self._keys: dict[str, AdministrationKeys] = {}
        self._seeded: dict[str, bool] = {}

    # ------------------------------------------------------------------ setup

    @property
    def clock(self) -> Clock:
        """The sandbox's clock."""
        return self._core.clock

    @property
    def faults(self) -> FaultPlan:
        """Inject faults: ``sandbox.faults.fail("/relaties", times=2)`` and friends."""
        return self._core.faults

    @property
    def latency(self) -> float:
        """Seconds each data call takes, spent with ``clock.sleep`` while the call is in flight.

        On a :class:`~finlink.clock.SimulatedClock` the sleep returns at once and moves the
        shared clock forward, so N calls from N threads move it N * latency: simulated time
        adds up the work done, it does not model parallel waiting. Calls overlap in real time
        only as much as the threads do; use ``faults.hold`` to force overlap deterministically.
        On a :class:`~finlink.clock.SystemClock` the calls really wait.
        """
        return self._core.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self._core.latency = seconds

    def subscription_key(self, product: Product = Product.TEST, *, secondary: bool = False) -> str:
        """The primary (or secondary) subscription key of ``product``."""
        return self._core.credentials.subscription_key(Product(product), secondary=secondary)

    def add_administration(
        self,
        name: str,
        *,
        product: Product | str = Product.TEST,
        seed_defaults: bool = True,
        scopes: Iterable[str] | None = None,
    ) -> AdministrationKeys:
        """Create an administration and return the keys that reach it.

        Args:
            name: A name unique within the sandbox; it determines the koppelsleutel.
            product: The subscription product (limits: test 100/min, 1,000/h, 5 at once;
                maatwerk and productie 500/min, 5,000/h, 50 at once).
            seed_defaults: Seed Dutch defaults: countries, ledgers, VAT rates, and the own
                company (the relatie with soort ``Eigen``, named ``name``).
            scopes: The scopes its tokens carry (default: all of them). An operation needing a
                scope the token lacks answers 403 (reference §3.12 lists which needs what).

        Raises:
            ValueError: When ``name`` is taken, ``product`` unknown or a scope unknown.
        """
        product = Product(product)
        granted = ALL_SCOPES if scopes is None else frozenset(scopes)
        if not granted <= ALL_SCOPES:
            raise ValueError(f"unknown scope(s): {sorted(granted - ALL_SCOPES)}")
        with self._core.lock:
            if name in self._core.states:
                raise ValueError(f"administration {name!r} exists already")
            self._create_state(name, product, seed_defaults)
            keys = AdministrationKeys(
                name=name,
                koppelsleutel=self._core.credentials.register(name),
                subscription_key=self.subscription_key(product),
                product=product,
            )
            self._keys[name] = keys
            self._seeded[name] = seed_defaults
            self._core.scopes[name] = granted
        return keys

    def _create_state(self, name: str, product: Product, seed_defaults: bool) -> None:
        state = AdministrationState(
            name=name, product=product.value, clock=self.clock, zone=self._zone
        )
        if seed_defaults:
            state.seed_defaults()
            seed_own_company(state)
        self._core.states[name] = state

    def administration(self, name: str) -> SandboxAdministration:
        """The test-facing API of one administration (seed, inspect, change, pay).

        Raises:
            KeyError: For an unknown administration.
        """
        return SandboxAdministration(self._core, self._keys[name])

    def administrations(self) -> list[str]:
        """The names of every administration, in creation order."""
        return list(self._keys)

    def calls(self, name: str) -> list[CallRecord]:
        """Every data call administration ``name`` received, oldest first."""
        return self.administration(name).calls()

    def revoke_tokens(self) -> None:
        """Invalidate every bearer token issued so far (clients must fetch new ones)."""
        self._core.credentials.revoke_tokens()

    def reset(self) -> None:
        """Back to a clean start: data re-seeded, faults, calls, limits and tokens cleared.

        Administrations and their keys stay, so clients configured earlier keep working after
        fetching a new token.
        """
        with self._core.lock:
            self._core.faults.clear()
            self._core.calls.clear()
            self._core.limiters.clear()
            self._core.credentials.revoke_tokens()
            for name, keys in self._keys.items():
                self._create_state(name, keys.product, self._seeded[name])

    # ------------------------------------------------------------------ transports

    def handle(self, request: WireRequest) -> WireResponse:
        """Answer one wire-level request (what both transports call)."""
        return self._core.handle(request)

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` serving ``auth.snelstart.nl`` and ``b2bapi.snelstart.nl``.

        A timeout fault or a dropped answer raises ``httpx.ReadTimeout``; any other host raises
        ``httpx.ConnectError`` (the sandbox never reaches the network).
        """

        def handler(request: httpx.Request) -> httpx.Response:
            host = request.url.host
            if host not in (API_HOST, AUTH_HOST):
                raise httpx.ConnectError(
                    f"the SnelStart sandbox does not serve {host}", request=request
                )
            wire = WireRequest(
                method=request.method,
                service="auth" if host == AUTH_HOST else "api",
                path=request.url.path,
                query=dict(request.url.params.items()),
                headers={name.lower(): value for name, value in request.headers.items()},
                body=request.read(),
            )
            response = self._core.handle(wire)
            if response.outcome != "send":
                raise httpx.ReadTimeout("no response from the SnelStart sandbox", request=request)
            return httpx.Response(
                response.status, headers=dict(response.headers), content=response.body
            )

        return httpx.MockTransport(handler)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on :meth:`transport` with ``base_url`` the API (``…/v2``).

        The token endpoint is reached with its absolute URL (``TOKEN_URL``) through the same
        client. Keyword arguments go to ``httpx.Client``.
        """
        kwargs.setdefault("base_url", API_URL)
        return httpx.Client(transport=self.transport(), **kwargs)

    def authorized_client(self, name: str, **kwargs: Any) -> httpx.Client:
        """A :meth:`client` that already holds a bearer token and subscription key for ``name``.

        Handy for poking the API in a test; code under test normally fetches its own token.
        The token expires after 3599 s of the sandbox's clock like any other.

        Raises:
            KeyError: For an unknown administration.
        """
        keys = self._keys[name]
        client = self.client(**kwargs)
        grant = self._core.credentials.grant(
            {"grant_type": "clientkey", "clientkey": keys.koppelsleutel}
        )
        client.headers["Authorization"] = f"Bearer {grant.body['access_token']}"
        client.headers["Ocp-Apim-Subscription-Key"] = keys.subscription_key
        return client

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        """Serve the sandbox over real HTTP on loopback; returns the running server.

        The server answers ``POST {url}/b2b/token`` and ``{url}/v2/...``; use it as a context
        manager or call ``close()``.
        """
        return SandboxServer(self._core, host, port)

    def __repr__(self) -> str:
        return f"SnelStartSandbox(administrations={self.administrations()!r})"
