"""The finlink demo: a realistic CRM synced into sandboxed administrations, start to finish.

:func:`run_demo` needs no account, no network and no set-up. It starts an Exact Online sandbox
with two divisions (a company and a foundation sharing one customer file) and a SnelStart
sandbox, on a simulated clock at the vendors' real rate limits; generates a CRM with
:mod:`finlink.testing.datasets`; and runs the real engine with the SQLite state store:

1. the initial sync of projects, relations (with contacts) and bookings (with PDFs);
2. a round of CRM edits through the real-time outbox;
3. edits by the accountant, some on the same fields as the CRM (conflicts, decided by the
   policy: the CRM owns names and e-mail, the accountant owns phone and debtor numbers);
4. payments recorded in the administrations, and the open items read back.

It returns a :class:`DemoResult` that the ``finlink demo`` command prints for a bookkeeper.
The library part has no dependency on the CLI.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from finlink.backends.exact import ExactBackend, ExactOAuth
from finlink.backends.protocol import Backend
from finlink.backends.snelstart import SnelStartBackend
from finlink.clock import SimulatedClock
from finlink.http import MemoryTokenStore
from finlink.model.booking import Booking, Project
from finlink.model.readback import OpenItem
from finlink.model.relation import Relation
from finlink.sync import (
    CrmLookup,
    DefaultRouter,
    OutcomeStatus,
    Plan,
    SQLiteStore,
    SyncEngine,
    SyncReport,
    field_ownership,
)
from finlink.testing.datasets import bookings, invalid_relations, projects, relations
from finlink.testing.exact import ExactSandbox
from finlink.testing.snelstart import SnelStartSandbox
from finlink.testing.variants import VariantKind, make_variant

__all__ = ["AdministrationSummary", "DemoResult", "DemoSession", "run_demo", "start_demo"]

#: Called as ``progress(step, done, total)`` while the demo works.
Progress = Callable[[str, int, int], None]

COMPANY = 1_001_001
FOUNDATION = 1_001_002
#: Every ledger the generated CRM books on.
_CRM_LEDGERS = (
    ("8000", "Omzet hoog"),
    ("8010", "Omzet laag"),
    ("8300", "Omzet vrijgesteld / 0 %"),
    ("4000", "Algemene kosten"),
    ("7000", "Inkoopwaarde van de omzet"),
    ("4500", "Materialen"),
    ("4600", "Verzekeringen"),
    ("7100", "Inkoop verlegd"),
)
_EXTRA_LEDGERS = (
    ("8300", "Omzet vrijgesteld / 0 %", 110, "C"),
    ("4500", "Materialen", 111, "D"),
    ("4600", "Verzekeringen", 120, "D"),
    ("7100", "Inkoop verlegd", 111, "D"),
)


@attrs.frozen(kw_only=True)
class AdministrationSummary:
    """What happened in one administration, in a bookkeeper's terms.

    Attributes:
        administration: The administration id.
        name: Its display name.
        relations: Relation outcomes: created, updated, linked, unchanged, waiting for review,
            failed, invalid (counts).
        bookings: Booking outcomes, the same way.
        failures: Plain-words reasons of the failures (record: reason), at most ten.
        api_calls: Calls made to the administration.
        daily_budget: The vendor's calls-a-day budget, where it has one.
        conflicts: Field conflicts and how they were decided (``field → crm/accounting``).
        open_items: Open items by payment status, after the payments.
        overdue: Open items past their due date.
        payments: How many invoices were paid (in full or in part) in the administration.
        paid_amount: What was paid against the synced invoices.
    """

    administration: str
    name: str
    relations: dict[str, int]
    bookings: dict[str, int]
    failures: tuple[str, ...]
    api_calls: int
    daily_budget: int | None
    conflicts: dict[str, int]
    open_items: dict[str, int]
    overdue: int
    payments: int
    paid_amount: Decimal


@attrs.frozen(kw_only=True)
class DemoResult:
    """Everything the demo did.

    Attributes:
        administrations: One summary per administration.
        crm: Sizes of the generated CRM (relations, invalid ones, duplicates, projects, bookings).
        simulated_seconds: How long the sync would take at the vendors' real rate limits.
        wall_seconds: How long it took on this machine.
        state_path: The SQLite state store it wrote.
        inbound_changes: Changes made by the accountant that were offered to the CRM.
    """

    administrations: tuple[AdministrationSummary, ...]
    crm: dict[str, int]
    simulated_seconds: float
    wall_seconds: float
    state_path: Path
    inbound_changes: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "administrations": [
                {**attrs.asdict(a), "paid_amount": str(a.paid_amount)} for a in self.administrations
            ],
            "crm": self.crm,
            "simulated_seconds": self.simulated_seconds,
            "wall_seconds": round(self.wall_seconds, 1),
            "state_path": str(self.state_path),
            "inbound_changes": self.inbound_changes,
        }


@attrs.define
class _Exact:
    """One Exact division of the demo: its backend and the sandbox's accountant side."""

    sandbox: ExactSandbox
    division: int
    backend: ExactBackend

    def edit_phone(self, remote_id: str, phone: str) -> None:
        self.sandbox.change(self.division, "crm/Accounts", remote_id, Phone=phone)

    def pay(self, booking: Booking, remote_id: str, amount: Decimal) -> None:
        self.sandbox.record_payment(self.division, remote_id, amount)

    def calls(self) -> int:
        return self.sandbox.call_count(self.division)

    daily_budget: int | None = 5000


@attrs.define
class _SnelStart:
    """The SnelStart administration of the demo: its backend and the bookkeeper's side."""

    sandbox: SnelStartSandbox
    name: str
    backend: SnelStartBackend

    def edit_phone(self, remote_id: str, phone: str) -> None:
        self.sandbox.administration(self.name).edit_relatie(remote_id, telefoon=phone)

    def pay(self, booking: Booking, remote_id: str, amount: Decimal) -> None:
        admin = self.sandbox.administration(self.name)
        if booking.kind.is_sales:
            admin.record_payment(booking.invoice_number, amount, kind="verkoop")
        else:
            admin.record_payment(booking.invoice_number, amount, kind="inkoop")

    def calls(self) -> int:
        return self.sandbox.administration(self.name).call_count()

    daily_budget: int | None = None


def _snelstart(clock: SimulatedClock, name: str) -> _SnelStart:
    sandbox = SnelStartSandbox(clock=clock)
    keys = sandbox.add_administration(name, product="productie")
    admin = sandbox.administration(name)
    for code, description in _CRM_LEDGERS:
        with contextlib.suppress(ValueError):  # already in SnelStart's default chart
            admin.add_ledger(int(code), description)
    backend = SnelStartBackend(
        administration=name,
        koppelsleutel=keys.koppelsleutel,
        subscription_key=keys.subscription_key,
        client=sandbox.client(),
        clock=clock,
        name="Installatiebedrijf Demo B.V. (SnelStart)",
    )
    return _SnelStart(sandbox=sandbox, name=name, backend=backend)


def _exact(
    sandbox: ExactSandbox, clock: SimulatedClock, division: int, tokens: MemoryTokenStore
) -> _Exact:
    backend = ExactBackend(
        oauth=ExactOAuth(
            client_id=sandbox.app.client_id,
            client_secret=sandbox.app.client_secret,
            redirect_uri=sandbox.app.redirect_uri,
            host=sandbox.base_url,
        ),
        division=division,
        token_store=tokens,
        token_key="demo",  # noqa: S106 - the name of the stored token, not a secret
        transport=sandbox.transport(),
        clock=clock,
    )
    return _Exact(sandbox=sandbox, division=division, backend=backend)


def _crm(size: int, seed: int) -> tuple[list[Relation], list[Relation], int]:
    """The CRM: valid relations, a few deliberate duplicates, and a few invalid ones."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography
    base = list(relations(size, seed=seed))
    duplicates = max(1, size // 200)
    copies = [
        make_variant(
            rng.choice(base),
            [VariantKind.LEGAL_FORM, VariantKind.POSTCODE_FORMAT],
            rng,
            new_id=f"crm-dup-{i:03d}",
        )
        for i in range(duplicates)
    ]
    # A duplicate keeps no debtor number: the demo shows matching, not number clashes.
    copies = [attrs.evolve(copy, number=None) for copy in copies]
    broken = [b.relation for b in invalid_relations(max(1, size // 400), seed=seed)]
    return base + copies, broken, duplicates


def _counts(report: SyncReport, administration: str, entity: str) -> Counter[str]:
    return Counter(report.counts(entity).get(administration, {}))


def run_demo(
    *,
    size: int = 2000,
    seed: int = 7,
    state_path: Path,
    progress: Progress | None = None,
) -> DemoResult:
    """Run the whole demo; see the module docstring.

    Args:
        size: Relations in the generated CRM (projects are size / 20, bookings 1.5 times size).
        seed: Makes the run repeatable.
        state_path: The SQLite file for the state store (created; an existing one is reused).
        progress: Told about each step, for progress bars.
    """
    started = time.perf_counter()
    demo = _Demo(size=size, seed=seed, state_path=state_path, progress=progress)
    try:
        demo.initial_sync()
        demo.edits()
        synced_in = demo.clock.monotonic()
        demo.payments()
        items = demo.read_back()
        summaries = tuple(demo.summary(name, items) for name in demo.by_name)
    finally:
        demo.store.close()
    return DemoResult(
        administrations=summaries,
        crm=demo.crm_sizes(),
        simulated_seconds=synced_in,
        wall_seconds=time.perf_counter() - started,
        state_path=state_path,
        inbound_changes=len(demo.report.inbound),
    )


@attrs.frozen(kw_only=True)
class DemoSession:
    """The demo's world kept alive after its sync, for ``finlink serve --demo``.

    The sandboxes live in this process, so the engine can still read and write them: a
    bookkeeper can settle reviews and retry failures in the web view and see them carried
    out.

    Attributes:
        engine: The engine over the sandboxes and the demo's state store (still open).
        relations: The CRM's relations as they are now, with a round of edits not yet sent
            (so the go-live plan shows updates with their field diffs).
        open_items: The open items the demo read back.
    """

    engine: SyncEngine
    relations: tuple[Relation, ...]
    open_items: tuple[OpenItem, ...]

    def plan(self) -> Plan:
        """What syncing :attr:`relations` would do now (nothing is written)."""
        return self.engine.plan(relations=self.relations)

    def close(self) -> None:
        """Close the state store."""
        self.engine.store.close()


def start_demo(
    *, size: int = 200, seed: int = 7, state_path: Path, progress: Progress | None = None
) -> DemoSession:
    """Run the demo's sync, payments and read-back, and keep its world for serving.

    Args:
        size: Relations in the generated CRM.
        seed: Makes the run repeatable.
        state_path: The SQLite file for the state store (created; an existing one is reused).
        progress: Told about each step, for progress bars.
    """
    demo = _Demo(size=size, seed=seed, state_path=state_path, progress=progress)
    try:
        demo.initial_sync()
        demo.edits()
        demo.payments()
        items = demo.read_back()
    except BaseException:
        demo.store.close()
        raise
    # Every tenth relation changed its e-mail address in the CRM since: the plan's updates.
    current = [
        attrs.evolve(r, email=f"administratie{i}@example.nl") if i % 10 == 0 else r
        for i, r in enumerate(demo.valid + demo.broken)
    ]
    return DemoSession(engine=demo.engine, relations=tuple(current), open_items=tuple(items))


class _CountingRouter:
    """The default routing, telling a callback about every record it routes."""

    def __init__(self) -> None:
        self.inner = DefaultRouter()
        self.on_record: Callable[[], None] | None = None

    def __call__(
        self, record: Relation | Project | Booking, administrations: Sequence[str]
    ) -> Sequence[str]:
        if self.on_record is not None:
            self.on_record()
        return self.inner(record, administrations)


class _Demo:
    """The demo's world and its steps."""

    def __init__(
        self, *, size: int, seed: int, state_path: Path, progress: Progress | None
    ) -> None:
        self.size = size
        self.clock = SimulatedClock()
        self.tell: Progress = progress or (lambda _step, _done, _total: None)
        self.rng = random.Random(seed + 1)  # noqa: S311 - demo data, not cryptography
        self.sandbox = ExactSandbox(
            self.clock, divisions={COMPANY: "Bakkerij Demo B.V.", FOUNDATION: "Stichting Demo"}
        )
        tokens = MemoryTokenStore()
        admins = [_exact(self.sandbox, self.clock, d, tokens) for d in (COMPANY, FOUNDATION)]
        for division in (COMPANY, FOUNDATION):
            # The CRM's chart of accounts uses a few ledgers the default Exact chart lacks.
            for code, description, kind, side in _EXTRA_LEDGERS:
                self.sandbox.seed(
                    division,
                    "financial/GLAccounts",
                    Code=code,
                    Description=description,
                    Type=kind,
                    BalanceType="W",
                    BalanceSide=side,
                )
        admins[0].backend.connect(self.sandbox.authorize(divisions=[COMPANY, FOUNDATION]))
        snelstart = _snelstart(self.clock, "snelstart:installatiebedrijf-demo")
        everyone: list[_Exact | _SnelStart] = [*admins, snelstart]
        backends: list[Backend] = [a.backend for a in everyone]
        self.by_name = {a.backend.administration: a for a in everyone}

        self.valid, self.broken, self.duplicates = _crm(size, seed)
        self.work = list(projects(max(5, size // 20), seed=seed))
        # Bookings go on open projects only: SnelStart refuses a closed cost centre (BOE-0026).
        open_projects = [p for p in self.work if p.active]
        generated = bookings(self.valid[:size], int(size * 1.5), projects=open_projects, seed=seed)
        self.books = [
            attrs.evolve(b, administration=backends[i % len(backends)].administration)
            for i, b in enumerate(generated)
        ]
        # The accountant's customer file already has some of the CRM's relations.
        for relation in self.rng.sample(self.valid[:size], k=max(1, size // 20)):
            if relation.is_customer:
                self.sandbox.add_account(
                    COMPANY, relation.name, customer=True, ChamberOfCommerce=relation.coc_number
                )
        state_path.parent.mkdir(parents=True, exist_ok=True)
        self.store = SQLiteStore(state_path, clock=self.clock, synchronous="NORMAL")
        self.router = _CountingRouter()
        self.engine = SyncEngine(
            router=self.router,
            store=self.store,
            backends=backends,
            conflict_policy=field_ownership(
                {"name": "crm", "email": "crm", "phone": "accounting", "number": "accounting"}
            ),
            lookup=CrmLookup(
                relations={r.id: r for r in self.valid}, projects={p.id: p for p in self.work}
            ),
            clock=self.clock,
        )
        self.report = SyncReport()
        self.paid: Counter[str] = Counter()
        self.paid_amount: dict[str, Decimal] = {name: Decimal(0) for name in self.by_name}

    def _in_steps(
        self, step: str, records: list[Any], sync: Callable[[list[Any]], SyncReport]
    ) -> None:
        # One batch (so each administration is read once for matching), with the router
        # telling the progress bar about every record it routes.
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            self.tell(step, done, len(records))

        self.tell(step, 0, len(records))
        self.router.on_record = tick
        try:
            self.report.extend(sync(records))
        finally:
            self.router.on_record = None
        self.tell(step, len(records), len(records))

    def initial_sync(self) -> None:
        """Projects, relations (with contacts), then bookings (with PDFs)."""
        self._in_steps("projects", self.work, self.engine.sync_projects)
        self._in_steps("relations", self.valid + self.broken, self.engine.sync_relations)
        self._in_steps("bookings", self.books, self.engine.sync_bookings)

    def edits(self) -> None:
        """CRM edits through the outbox; the accountant edits some of the same relations."""
        edited = self.rng.sample(self.valid[: self.size], k=max(2, self.size // 40))
        self.tell("edits", 0, len(edited))
        for n, relation in enumerate(edited):
            for name, adm in self.by_name.items():
                link = self.store.get_link(name, "relation", relation.id)
                if link is not None and n % 2 == 0:
                    adm.edit_phone(link.remote_id, f"030 {n:03d} 1234")
            changed = attrs.evolve(
                relation, email=f"nieuw{n}@example.nl", phone=f"020 {n:03d} 9999"
            )
            self.engine.notify(changed)
        self.clock.advance(minutes=5)
        while self.store.outbox_depth():
            outbox = self.engine.process_outbox(limit=200)
            self.report.extend(outbox)
            if not outbox.outcomes:
                break
        self.tell("edits", len(edited), len(edited))

    def payments(self) -> None:
        """About a third of the invoices are paid, some in part."""
        self.tell("payments", 0, len(self.books))
        for booking in self.books:
            name = booking.administration or ""
            link = self.store.get_link(name, "booking", booking.id)
            if link is None or booking.kind.is_credit or self.rng.random() > 0.35:
                continue
            total = booking.totals().incl_vat
            amount = total if self.rng.random() < 0.7 else (total / 2).quantize(Decimal("0.01"))
            try:
                self.by_name[name].pay(booking, link.remote_id, amount)
            except (KeyError, ValueError):
                continue
            self.paid[name] += 1
            self.paid_amount[name] += amount
        self.tell("payments", len(self.books), len(self.books))

    def read_back(self) -> list[OpenItem]:
        """Six weeks on, the open items (some overdue).

        Exact's refresh token dies after 30 unused days, so the worker reads the open items
        every fortnight, as a real one would.
        """
        latest: dict[tuple[str, str], OpenItem] = {}
        for _ in range(3):
            self.clock.advance(days=14)
            for item in self.engine.pull_open_items():
                latest[(item.administration, item.remote_id)] = item
        return list(latest.values())

    def summary(self, name: str, items: list[OpenItem]) -> AdministrationSummary:
        """One administration's figures."""
        mine = [i for i in items if i.administration == name]
        outcomes = self.report.of(administration=name)
        failures = [
            f"{o.operation.entity} {o.operation.crm_key}: "
            + ("; ".join(str(p) for p in o.operation.problems) or (o.error or ""))
            for o in sorted(outcomes, key=lambda o: o.operation.entity != "booking")
            if o.status in (OutcomeStatus.FAILED, OutcomeStatus.INVALID)
        ]
        conflicts = Counter(
            f"{c.field} → {c.resolution}" for o in outcomes for c in o.operation.conflicts
        )
        adm = self.by_name[name]
        return AdministrationSummary(
            administration=name,
            name=adm.backend.name,
            relations=dict(_counts(self.report, name, "relation")),
            bookings=dict(_counts(self.report, name, "booking")),
            failures=tuple(failures[:10]),
            api_calls=adm.calls(),
            daily_budget=adm.daily_budget,
            conflicts=dict(conflicts),
            open_items=dict(Counter(i.status.value for i in mine)),
            overdue=sum(1 for i in mine if i.is_overdue(self.clock.now().date())),
            payments=self.paid[name],
            paid_amount=self.paid_amount[name],
        )

    def crm_sizes(self) -> dict[str, int]:
        """How big the generated CRM was."""
        return {
            "relations": len(self.valid),
            "invalid_relations": len(self.broken),
            "deliberate_duplicates": self.duplicates,
            "projects": len(self.work),
            "bookings": len(self.books),
            "with_pdf": sum(1 for b in self.books if b.attachment is not None),
        }
