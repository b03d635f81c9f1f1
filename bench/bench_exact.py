"""API calls and simulated time of ExactBackend against ExactSandbox, at Exact's real limits.

Prints (never asserts):

- calls per created relation with one contact and an IBAN (target ≤ 3);
- calls per booking without a PDF (target 1) and with one (target ≤ 3), reference data cached;
- calls to re-read SIZE unchanged relations incrementally (target 1), and a full read's calls;
- SIZE relations created one after another at 60 calls a clock minute and 5,000 a UTC day:
  the 429s met (target 0) and the simulated time, against the floors those limits set.

Everything runs on a ``SimulatedClock``: waiting for the next minute or day costs no wall time.
Run: ``python bench/bench_exact.py [--size 10000]``.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from datetime import date
from decimal import Decimal

import httpx

from finlink import BookingKind, RelationRole, VatCategory
from finlink.backends.exact import ExactBackend, ExactOAuth
from finlink.clock import SimulatedClock
from finlink.http import MemoryTokenStore
from finlink.model.booking import Attachment, Booking, BookingLine
from finlink.model.relation import Address, Contact, Relation
from finlink.testing.exact import ExactSandbox

DIVISION = 1234567
logger = logging.getLogger("bench_exact")


class StatusCount(httpx.BaseTransport):
    """Passes requests to the sandbox and counts the answers' statuses."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.statuses: dict[int, int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer through the sandbox and count the status."""
        response = self.inner.handle_request(request)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


def setup() -> tuple[ExactSandbox, ExactBackend, SimulatedClock, StatusCount]:
    clock = SimulatedClock()
    sandbox = ExactSandbox(clock)
    counting = StatusCount(sandbox.transport())
    backend = ExactBackend(
        oauth=ExactOAuth(
            client_id=sandbox.app.client_id,
            client_secret=sandbox.app.client_secret,
            redirect_uri=sandbox.app.redirect_uri,
            host=sandbox.base_url,
        ),
        division=DIVISION,
        token_store=MemoryTokenStore(),
        transport=counting,
        clock=clock,
    )
    backend.connect(sandbox.authorize())
    return sandbox, backend, clock, counting


def relation(n: int, *, iban: bool) -> Relation:
    return Relation(
        id=f"crm-{n}",
        name=f"Relatie {n} B.V.",
        roles=frozenset({RelationRole.CUSTOMER}),
        visiting_address=Address(
            line1="Hoofdstraat 1", postcode="3511 AB", city="Utrecht", country="NL"
        ),
        email=f"info{n}@example.nl",
        iban="NL91ABNA0417164300" if iban else None,
    )


def booking(n: int) -> Booking:
    return Booking(
        id=f"b-{n}",
        kind=BookingKind.SALES_INVOICE,
        relation_id="crm-0",
        invoice_number=f"F{n:06d}",
        invoice_date=date(2026, 3, 2),
        lines=(
            BookingLine(
                ledger_account="8000", amount=Decimal("100.00"), vat_category=VatCategory.HIGH
            ),
            BookingLine(
                ledger_account="8010", amount=Decimal("10.00"), vat_category=VatCategory.LOW
            ),
        ),
    )


def per_operation_calls(rounds: int = 20) -> None:
    sandbox, backend, _, _ = setup()
    before = sandbox.call_count(DIVISION)
    account = ""
    for n in range(rounds):
        made = backend.create_relation(relation(n, iban=True), reference=f"crm-{n}")
        backend.create_contact(
            made.remote_id, Contact(id=f"c{n}", last_name=f"Jansen {n}"), reference=f"c{n}"
        )
        account = made.remote_id
    per_relation = (sandbox.call_count(DIVISION) - before) / rounds
    backend.reference_data()  # cached once per division
    before = sandbox.call_count(DIVISION)
    for n in range(rounds):
        backend.create_booking(
            booking(n), relation_remote_id=account, project_numbers={}, reference=f"F{n:06d}"
        )
    without_pdf = (sandbox.call_count(DIVISION) - before) / rounds
    before = sandbox.call_count(DIVISION)
    for n in range(rounds, 2 * rounds):
        entry = backend.create_booking(
            booking(n), relation_remote_id=account, project_numbers={}, reference=f"F{n:06d}"
        )
        backend.attach_document(
            entry.remote_id, Attachment(file_name=f"F{n:06d}.pdf", content=b"%PDF-1.4\n%%EOF\n")
        )
    with_pdf = (sandbox.call_count(DIVISION) - before) / rounds
    print(f"calls per relation with one contact and an IBAN : {per_relation:.2f}  (target <= 3)")
    print(f"calls per booking without PDF                   : {without_pdf:.2f}  (target 1)")
    print(f"calls per booking with PDF                      : {with_pdf:.2f}  (target <= 3)")
    print("  (reference data: 3 calls once per division, cached)")


def bulk_run(size: int) -> None:
    sandbox, backend, clock, counting = setup()
    start_sim = clock.now()
    start_wall = time.perf_counter()
    for n in range(size):
        backend.create_relation(relation(n, iban=False), reference=f"crm-{n}")
    wall = time.perf_counter() - start_wall
    simulated = (clock.now() - start_sim).total_seconds()
    calls = sandbox.call_count(DIVISION)
    minute_floor = (math.ceil(calls / 60) - 1) * 60
    days = math.ceil(calls / 5000) - 1
    refused = counting.statuses.get(429, 0)
    print(f"{size} relations created: {calls} calls, {refused} answered 429 (target 0)")
    print(
        f"  simulated time {simulated / 60:,.1f} min; "
        f"floor at 60 calls a minute {minute_floor / 60:,.1f} min"
    )
    if days:
        print(
            f"  the 5,000-a-day limit adds {days} wait(s) for midnight UTC: "
            f"{simulated / 3600:,.1f} h in all (Exact resets the day budget at 00:00 UTC)"
        )
    print(f"  wall time {wall:,.1f} s")
    before = sandbox.call_count(DIVISION)
    full = backend.read_relations()
    full_calls = sandbox.call_count(DIVISION) - before
    clock.advance(60)
    before = sandbox.call_count(DIVISION)
    again = backend.read_relations(full.cursor)
    print(
        f"full read of {len(full.records)} relations: {full_calls} calls (1,000 a page on /sync/)"
    )
    print(
        f"incremental re-read of {size} unchanged relations: "
        f"{sandbox.call_count(DIVISION) - before} call(s), {len(again.records)} changed (target 1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000, help="relations in the bulk run")
    args = parser.parse_args()
    per_operation_calls()
    bulk_run(args.size)


if __name__ == "__main__":
    main()
