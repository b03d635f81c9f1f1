"""What the SnelStart backend costs in API calls, and how close it gets to SnelStart's budget.

Against ``SnelStartSandbox`` (no network), it prints:

1. API calls per created relation (target 1), per customer-and-supplier relation sent through
   the sync engine (target 2 creates), and per booking with its PDF (target at most 2);
2. calls to re-read an administration of ``--reread`` unchanged relations: a full read, and an
   incremental read with the cursor of the one before;
3. ``--size`` relations created with the bulk method at the production limits (500 calls a
   minute, 5,000 an hour, 50 at once) with ``--latency`` seconds of simulated latency per
   call: the number of 429s (target 0) and the throughput against 500 calls a minute (target
   within 10 %). Latency on a simulated clock adds up instead of overlapping, so this part
   runs on a real clock sped up ``--scale`` times: 100 ms of latency is 1 ms of wall time
   at ``--scale 100``, and threads really overlap.

The first 500 calls go out at once (the sliding minute is empty); each further 500 wait for
the minute to slide by. A run that needs k such minutes sustains 500 * k calls over its span
(first call to last), which is 500 a minute when no place in the window is left unused. Above
5,000 calls the hourly budget binds too (SnelStart's limit, not ours).

Run: ``python bench/bench_snelstart.py [--size 1500] [--reread 10000] [--scale 5]`` (about 40 s).
The sandbox runs in this process and costs about a millisecond of CPU a call, which a high
``--scale`` turns into simulated seconds. ``--size 10000 --scale 10`` runs the brief's 10,000
in 12 minutes (measured: 0 429s, 96 % of 500/min over the first 5,000 calls, then the hourly
budget: 120 simulated minutes in all, since 10,003 calls need a third hour-window slot). At
``--scale 50`` (2.5 minutes) thread scheduling delays become whole simulated seconds, longer
than the limiter's one-second margin, and a few 429s appear: an artefact of the speed-up.
It prints and never asserts.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from finlink import Address, Booking, BookingKind, BookingLine, Relation, RelationRole, VatCategory
from finlink.backends.snelstart import SnelStartBackend
from finlink.clock import Clock, SimulatedClock
from finlink.model.booking import Attachment
from finlink.sync import SQLiteStore, SyncEngine
from finlink.testing.snelstart import Product, SandboxAdministration, SnelStartSandbox


class ScaledClock:
    """A real clock running ``factor`` times faster: sleeps are short, threads overlap."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self._start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._t0 = time.perf_counter()

    def monotonic(self) -> float:
        """Scaled seconds since the start."""
        return (time.perf_counter() - self._t0) * self.factor

    def now(self) -> datetime:
        """The scaled wall time."""
        return self._start + timedelta(seconds=self.monotonic())

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of scaled time."""
        if seconds > 0:
            time.sleep(seconds / self.factor)


def relation(
    i: int, roles: frozenset[RelationRole] = frozenset({RelationRole.CUSTOMER})
) -> Relation:
    """A valid customer, distinct per ``i``."""
    return Relation(
        id=f"crm-{i}",
        name=f"Klant {i} B.V.",
        roles=roles,
        number=str(10_000 + i),
        visiting_address=Address(
            line1=f"Hoofdstraat {i}", postcode="3511 AB", city="Utrecht", country="NL"
        ),
        email=f"info@klant{i}.example",
        coc_number=f"{40_000_000 + i}",  # distinct identifiers: the matcher never confuses two
        payment_term_days=30,
    )


def booking(i: int) -> Booking:
    """A two-line sales invoice with a PDF."""
    return Booking(
        id=f"b-{i}",
        kind=BookingKind.SALES_INVOICE,
        relation_id="crm-1",
        invoice_number=f"2026-{i:05d}",
        invoice_date=date(2026, 1, 5),
        lines=(
            BookingLine(
                ledger_account="8000", amount=Decimal("100.00"), vat_category=VatCategory.HIGH
            ),
            BookingLine(
                ledger_account="8010", amount=Decimal("33.33"), vat_category=VatCategory.LOW
            ),
        ),
        attachment=Attachment(file_name=f"2026-{i:05d}.pdf", content=b"%PDF-1.4\n%%EOF\n"),
    )


@contextmanager
def administration(
    clock: Clock, *, latency: float = 0.0
) -> Iterator[tuple[SnelStartSandbox, SandboxAdministration, SnelStartBackend]]:
    """A production administration in a fresh sandbox, with a backend on it."""
    sandbox = SnelStartSandbox(clock=clock, latency=latency)
    keys = sandbox.add_administration("Bench BV", product=Product.PRODUCTIE)
    with sandbox.client() as http:
        backend = SnelStartBackend(
            administration="snelstart:bench",
            koppelsleutel=keys.koppelsleutel,
            subscription_key=keys.subscription_key,
            client=http,
            clock=clock,
        )
        yield sandbox, sandbox.administration("Bench BV"), backend


def calls_per_write(count: int) -> None:
    """Section 1: calls per relation, per split relation, per booking with PDF."""
    with administration(SimulatedClock()) as (_, admin, backend):
        backend.reference_data()  # read once per administration, not per record
        before = len(admin.calls())
        made = [backend.create_relation(relation(i), reference=f"crm-{i}") for i in range(count)]
        per_relation = (len(admin.calls()) - before) / count
        before = len(admin.calls())
        for i in range(count):
            record = backend.create_booking(
                booking(i),
                relation_remote_id=made[0].remote_id,
                project_numbers={},
                reference=f"2026-{i:05d}",
            )
            attachment = booking(i).attachment
            assert attachment is not None
            backend.attach_document(record.remote_id, attachment)
        per_booking = (len(admin.calls()) - before) / count
    clock = SimulatedClock()
    with administration(clock) as (_, admin, backend):
        engine = SyncEngine(
            store=SQLiteStore(":memory:", clock=clock), backends=[backend], clock=clock
        )
        both = [relation(i, frozenset(RelationRole)) for i in range(count)]
        engine.sync_relations(both)
        creates = admin.call_count(method="POST", path="/relaties") / count
        engine_calls = len(admin.calls()) / count
    print(f"calls per created relation ............ {per_relation:.2f}   (target 1)")
    print(
        f"creates per customer+supplier relation  {creates:.2f}   (target 2; engine run: "
        f"{engine_calls:.2f} calls each incl. its one full read and reference data)"
    )
    print(f"calls per booking with PDF ............. {per_booking:.2f}   (target <= 2)")


def reread(count: int) -> None:
    """Section 2: calls to re-read ``count`` unchanged relations."""
    clock = SimulatedClock()
    with administration(clock) as (_, admin, backend):
        nl = admin.land_id("NL")
        for i in range(count):
            admin.add_relatie(
                {
                    "relatiesoort": ["Klant"],
                    "naam": f"Klant {i}",
                    "vestigingsAdres": {
                        "straat": "Hoofdstraat 1",
                        "postcode": "3511 AB",
                        "plaats": "Utrecht",
                        "land": {"id": nl},
                    },
                }
            )
        backend.reference_data()
        clock.advance(minutes=5)  # the next sync run, some time after they were made
        before = len(admin.calls())
        full = backend.read_relations()
        clock.advance(minutes=5)
        full_calls = len(admin.calls()) - before
        before = len(admin.calls())
        again = backend.read_relations(full.cursor)
        incremental_calls = len(admin.calls()) - before
    print(f"full read of {len(full.records):,} relations ....... {full_calls} calls (500 a page)")
    print(
        f"re-read of them, unchanged, by cursor ... {incremental_calls} call(s), "
        f"{len(again.records)} records returned"
    )


def throughput(size: int, latency: float, scale: float) -> None:
    """Section 3: bulk creates at the production limits with simulated latency."""
    clock = ScaledClock(scale)
    with administration(clock, latency=latency) as (_, admin, backend):
        backend.reference_data()
        items = [(relation(i), f"crm-{i}") for i in range(size)]
        started_wall = time.perf_counter()
        results = backend.create_relations(items)
        wall = time.perf_counter() - started_wall
        every = admin.calls()  # the reference-data reads count against the budget too
    failures = sum(isinstance(r, Exception) for r in results)
    statuses = [c.status for c in every]
    calls = every[:5000]  # past 5,000 the hourly budget rules, not the minute
    span = (calls[-1].at - calls[0].at).total_seconds()
    total = (every[-1].at - every[0].at).total_seconds()
    # The first 500 calls go out at once; each further 500 must wait for a minute to slide
    # by. A run needing k more minutes of budget sustains 500 * k calls over its span.
    minutes_needed = (len(calls) - 1) // 500
    rate = 500 * minutes_needed / span * 60 if minutes_needed and span > 0 else float("nan")
    print(
        f"{size:,} relations, production limits, {latency * 1000:.0f} ms latency, "
        f"{backend.capabilities.max_concurrency} workers (clock x{scale:g}, {wall:.1f} s wall):"
    )
    print(f"  429 answers ......................... {statuses.count(429)}   (target 0)")
    print(f"  failed creates ...................... {failures}")
    print(f"  simulated time ...................... {total / 60:.1f} min")
    print(
        f"  throughput .......................... {rate:.0f} calls/min = "
        f"{rate / 500:.0%} of 500/min (target >= 90 %)"
    )
    if size > 5000:
        overall = len(every) / total * 60
        print(
            f"  (throughput over the first 5,000 calls; past them the 5,000/hour budget "
            f"binds: {overall:.0f} calls/min overall)"
        )


def main() -> None:
    """Parse the options and print every section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1500, help="relations for the throughput run")
    parser.add_argument("--reread", type=int, default=10_000, help="relations to re-read")
    parser.add_argument(
        "--writes", type=int, default=50, help="records for the calls-per-write run"
    )
    parser.add_argument("--latency", type=float, default=0.1, help="simulated seconds per call")
    parser.add_argument("--scale", type=float, default=5.0, help="how much faster the clock runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    calls_per_write(args.writes)
    reread(args.reread)
    throughput(args.size, args.latency, args.scale)


if __name__ == "__main__":
    main()
