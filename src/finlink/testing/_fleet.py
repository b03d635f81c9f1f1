"""A fleet of worker processes against served sandboxes, for the multi-worker tests and bench.

A :class:`FleetSpec` (JSON) says where PostgreSQL is, which clock every process shares, how to
reach the served Exact and SnelStart sandboxes (:mod:`finlink.testing._served`) and which
administrations each tenant has. :func:`engine_factory` builds a tenant's engine from it:
a :class:`~finlink.sync.store.PostgresStore` in the tenant's namespace, backends whose rate
budget is a :class:`~finlink.http.PostgresRateLimitState` and whose tokens are in a
:class:`~finlink.http.PostgresTokenStore`. ``python -m finlink.testing._fleet SPEC HEARTBEAT``
runs one :class:`~finlink.sync.Worker` process on it. Not a public interface.

Relations are routed by ``extra["adm"]`` to one administration each, so a test can spread its
entries over the administrations it wants.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx

from finlink.backends.exact import ExactBackend, ExactOAuth
from finlink.backends.protocol import Backend
from finlink.backends.snelstart import API_URL, SnelStartBackend
from finlink.sync import MatchConfig, MatchPipeline, SyncEngine, Worker, by_extra_field
from finlink.testing._served import LoopbackTransport
from finlink.testing.scaled_clock import ScaledClock

__all__ = ["FleetSpec", "engine_factory", "main", "route_to"]

#: The ``Relation.extra`` field that names the one administration a relation goes to.
ROUTE_FIELD = "adm"


@attrs.frozen(kw_only=True)
class FleetSpec:
    """Everything a worker process needs to build its engines (kept as JSON in a file).

    Attributes:
        dsn: The PostgreSQL DSN (with the test's ``search_path``).
        clock: The :class:`ScaledClock` spec every process shares.
        tenants: Tenant → its administrations (``exact:<division>``, ``snel:<name>``).
        exact: What the Exact sandbox printed (url, client id and secret, redirect URI).
        snelstart: What the SnelStart sandbox printed (url, keys per administration).
        margin: The shared budget's margin at the end of a clock-aligned window (seconds).
        lease_seconds: Outbox leases, in the clock's seconds.
        batch: Entries per tenant turn.
        threads: Worker threads per process.
        test_key: SnelStart's test product limits (100/min, 5 at once) instead of 500/min.
    """

    dsn: str
    clock: str
    tenants: Mapping[str, list[str]]
    exact: Mapping[str, Any]
    snelstart: Mapping[str, Any]
    margin: float = 2.0
    lease_seconds: float = 600.0
    batch: int = 5
    threads: int = 4
    test_key: bool = True

    def save(self, path: Path) -> None:
        """Write the spec as JSON."""
        path.write_text(json.dumps(attrs.asdict(self)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> FleetSpec:
        """Read a spec :meth:`save` wrote."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def route_to(administrations: list[str]) -> Any:
    """The router that sends a relation to ``extra["adm"]``."""
    return by_extra_field(ROUTE_FIELD, {name: [name] for name in administrations})


def engine_factory(spec: FleetSpec) -> tuple[Callable[[str], SyncEngine], Callable[[], None]]:
    """``(engine_for, close)``: builds a tenant's engine; closes what the engines share."""
    from finlink.http import PostgresRateLimitState, PostgresTokenStore  # noqa: PLC0415
    from finlink.sync.store.postgres import PostgresStore  # noqa: PLC0415 - postgres extra

    clock = ScaledClock.from_spec(spec.clock)
    budget = PostgresRateLimitState(
        spec.dsn, namespace="fleet", margin=spec.margin, slots=spec.threads + 2
    )
    opened: list[Any] = [budget]

    def engine_for(tenant: str) -> SyncEngine:
        store = PostgresStore(spec.dsn, namespace=tenant, clock=clock, max_size=4)
        tokens = PostgresTokenStore(spec.dsn, namespace=tenant)
        opened.append(tokens)
        backends: list[Backend] = []
        for name in spec.tenants[tenant]:
            vendor, _, ident = name.partition(":")
            if vendor == "exact":
                backends.append(
                    ExactBackend(
                        oauth=ExactOAuth(
                            client_id=spec.exact["client_id"],
                            client_secret=spec.exact["client_secret"],
                            redirect_uri=spec.exact["redirect_uri"],
                            host=spec.exact["url"],
                        ),
                        division=int(ident),
                        token_store=tokens,
                        token_key="exact",  # noqa: S106 - a store key, not a secret
                        clock=clock,
                        rate_limit_state=budget,
                    )
                )
            else:
                keys = spec.snelstart["administrations"][ident]
                backends.append(
                    SnelStartBackend(
                        administration=name,
                        koppelsleutel=keys["koppelsleutel"],
                        subscription_key=keys["subscription_key"],
                        client=httpx.Client(
                            base_url=API_URL, transport=LoopbackTransport(spec.snelstart["url"])
                        ),
                        clock=clock,
                        test_key=spec.test_key,
                        rate_limit_state=budget,
                        token_store=tokens,
                    )
                )
        return SyncEngine(
            store=store,
            backends=backends,
            router=route_to(spec.tenants[tenant]),
            clock=clock,
            # The generated relations are distinct companies, some with similar names; a
            # fuzzy "possible match" would send them to review, which is not what a fleet
            # test is about. Only a certain match links.
            matcher=MatchPipeline(config=MatchConfig(link_threshold=100, review_threshold=100)),
        )

    def close() -> None:
        for item in opened:
            item.close()

    return engine_for, close


def main(argv: list[str] | None = None) -> None:
    """Run one worker on a fleet spec until idle (or SIGTERM); ``SPEC HEARTBEAT [forever]``."""
    args = sys.argv[1:] if argv is None else argv
    spec = FleetSpec.load(Path(args[0]))
    engine_for, close = engine_factory(spec)
    worker = Worker(
        engine_for,
        list(spec.tenants),
        batch=spec.batch,
        threads=spec.threads,
        lease_seconds=spec.lease_seconds,
        idle_seconds=0.2,
        backoff=(0.2, 2.0),
        heartbeat=args[1],
    )
    try:
        worker.run(until_idle=len(args) < 3)
    finally:
        close()


if __name__ == "__main__":
    main()
