"""Set up a fleet for a test: served sandboxes, tenants with tokens, queued relations."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import attrs

from finlink.backends.memory import InMemoryBackend
from finlink.http import PostgresTokenStore, TokenSet
from finlink.sync import SyncEngine
from finlink.sync.store.postgres import PostgresStore
from finlink.testing import ScaledClock
from finlink.testing._fleet import ROUTE_FIELD, FleetSpec, route_to
from finlink.testing._served import SandboxProcess
from finlink.testing.datasets import relations

ROOT = Path(__file__).resolve().parents[2]


@attrs.define
class Fleet:
    """A running set-up: the spec file, the sandboxes, what each administration should get."""

    spec: FleetSpec
    spec_path: Path
    exact: SandboxProcess
    snelstart: SandboxProcess
    expected: dict[str, set[str]]  # administration -> the records it must hold, once each
    folder: Path

    def start_worker(self, name: str, *, forever: bool = False) -> subprocess.Popen[bytes]:
        """Start one worker process (until idle, or until SIGTERM with ``forever``)."""
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
        args = [sys.executable, "-m", "finlink.testing._fleet", str(self.spec_path)]
        args.append(str(self.folder / f"{name}.heartbeat.json"))
        if forever:
            args.append("forever")
        return subprocess.Popen(args, env=env)

    def enqueue(self, per_tenant: int, *, seed: int = 0) -> None:
        """Queue ``per_tenant`` relations in every tenant, spread over its administrations."""
        clock = ScaledClock.from_spec(self.spec.clock)
        for number, (tenant, administrations) in enumerate(self.spec.tenants.items()):
            with PostgresStore(self.spec.dsn, namespace=tenant, clock=clock) as store:
                engine = SyncEngine(
                    store=store,
                    backends=[InMemoryBackend(administration=a) for a in administrations],
                    router=route_to(administrations),
                    clock=clock,
                )
                batch = relations(per_tenant, seed=seed * 100 + number, id_prefix=f"{tenant}-")
                for i, relation in enumerate(batch):
                    target = administrations[i % len(administrations)]
                    # SnelStart takes names of 50 characters at most; the dataset has longer.
                    # Every relation has a number: one without lets the vendor pick the next
                    # free code, which a later relation's own number may then collide with.
                    sent = attrs.evolve(
                        relation,
                        name=relation.name[:50].strip(),
                        number=str(200000 + i),
                        contacts=(),
                        extra={ROUTE_FIELD: target},
                    )
                    engine.notify(sent)
                    wanted = self.expected.setdefault(target, set())
                    wanted.add(relation.id)
                    if target.startswith("snel:") and len(relation.roles) == 2:
                        # SnelStart keeps one soort per relatie: a customer that is also a
                        # supplier becomes two relaties (the supplier half's reference).
                        wanted.add(relation.id + "#supplier")


@contextmanager
def fleet(
    dsn: str,
    folder: Path,
    *,
    factor: float,
    tenants: int = 4,
    exact_per_tenant: int = 3,
    snelstart_per_tenant: int = 2,
    latency: float = 0.0,
    **options: object,
) -> Iterator[Fleet]:
    """Serve both sandboxes, connect every tenant's Exact divisions, write the spec."""
    clock = ScaledClock(factor)
    with ExitStack() as stack:
        exact = stack.enter_context(
            SandboxProcess("exact", clock, count=tenants * exact_per_tenant, latency=latency)
        )
        snelstart = stack.enter_context(
            SandboxProcess(
                "snelstart",
                clock,
                count=tenants * snelstart_per_tenant,
                latency=latency,
                product="test" if options.get("test_key", True) else "maatwerk",
            )
        )
        divisions = list(exact.info["divisions"])
        names = sorted(snelstart.info["administrations"])
        layout: dict[str, list[str]] = {}
        for t in range(tenants):
            mine = divisions[t * exact_per_tenant : (t + 1) * exact_per_tenant]
            theirs = names[t * snelstart_per_tenant : (t + 1) * snelstart_per_tenant]
            layout[f"tenant{t + 1:02d}"] = [f"exact:{d}" for d in mine] + [
                f"snel:{n}" for n in theirs
            ]
        yield fleet_on(
            dsn,
            folder,
            clock=clock,
            exact=exact,
            snelstart=snelstart,
            layout=layout,
            **options,
        )


def fleet_on(
    dsn: str,
    folder: Path,
    *,
    clock: ScaledClock,
    exact: SandboxProcess,
    snelstart: SandboxProcess,
    layout: dict[str, list[str]],
    **options: object,
) -> Fleet:
    """A fleet on running sandboxes: connect each tenant's Exact divisions, write the spec."""
    for tenant, administrations in layout.items():
        mine = [a.partition(":")[2] for a in administrations if a.startswith("exact:")]
        if mine:
            answer = exact.ask("connect " + ",".join(mine))
            tokens = PostgresTokenStore(dsn, namespace=tenant)
            tokens.save("exact", TokenSet.from_token_response(answer, now=clock.now()))
            tokens.close()
    spec = FleetSpec(
        dsn=dsn,
        clock=clock.spec,
        tenants=layout,
        exact=exact.info,
        snelstart=snelstart.info,
        **options,  # type: ignore[arg-type]
    )
    path = folder / "fleet.json"
    spec.save(path)
    return Fleet(
        spec=spec, spec_path=path, exact=exact, snelstart=snelstart, expected={}, folder=folder
    )


def assert_delivered_exactly_once(fleet: Fleet) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every routed relation is in its administration once; nothing else is; no 429."""
    clock = ScaledClock.from_spec(fleet.spec.clock)
    for tenant in fleet.spec.tenants:
        with PostgresStore(fleet.spec.dsn, namespace=tenant, clock=clock) as store:
            assert store.errors() == [], f"{tenant}: {store.errors()[:3]}"
            assert store.reviews() == [], f"{tenant}: {store.reviews()[:3]}"
            assert store.outbox_depth() == 0, f"{tenant}: entries left"
    exact = fleet.exact.ask("stats")
    snelstart = fleet.snelstart.ask("stats")
    for administration, ids in fleet.expected.items():
        vendor, _, ident = administration.partition(":")
        rows = exact["accounts"][ident] if vendor == "exact" else snelstart["relaties"][ident]
        references = [row[0] for row in rows]
        assert len(references) == len(set(references)), f"{administration}: a duplicate"
        assert len(references) == len(ids), (
            f"{administration}: {len(references)} records for {len(ids)} relations"
        )
    assert exact["refused"] == {}, f"Exact answered 429: {exact['refused']}"
    assert all(n <= exact["minute_limit"] for n in exact["max_per_minute"].values())
    assert all(n <= exact["day_limit"] for n in exact["max_per_day"].values())
    assert exact["refused_refreshes"] == {}, exact["refused_refreshes"]
    assert set(snelstart["throttled"].values()) <= {0}, snelstart["throttled"]
    return exact, snelstart
