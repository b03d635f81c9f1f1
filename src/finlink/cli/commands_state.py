"""Commands that report: ``status``, ``errors`` and ``open-items``."""

from __future__ import annotations

from typing import Any

import attrs
import click

from finlink.cli.output import EXIT_ATTENTION, EXIT_OK, dump_json, json_option, print_table
from finlink.cli.state import CliState, pass_state
from finlink.http import MemoryRateLimitState, WindowBudget
from finlink.model.readback import OpenItem
from finlink.sync import SyncEngine
from finlink.sync.explain import explain_error
from finlink.sync.store import ErrorEntry

__all__ = ["errors", "open_items", "status"]

# Where the engine keeps the open-item read cursor of each administration (sync/readback.py).
_OPEN_ITEMS_STREAM = "open_items"


@click.command()
@json_option
@pass_state
@click.pass_context
def status(ctx: click.Context, state: CliState, as_json: bool) -> None:
    """Per administration: waiting changes, failed records, open reviews, last good run.

    Exit status 1 when records failed or wait for review (for monitoring).
    """
    state.as_json = as_json
    engine = state.engine()
    statuses = list(engine.status().values())
    budgets = {
        s.administration: s.rate_budget if _budget_is_shared(engine, s.administration) else ()
        for s in statuses
    }
    attention = any(s.failed or s.review_open for s in statuses)
    if as_json:
        dump_json(
            {
                "ok": not attention,
                "administrations": [
                    {
                        # The budgets only where counted across processes (below); the
                        # low ones are in the warnings and in each window's `remaining`.
                        **attrs.asdict(
                            s,
                            filter=lambda field, _: (
                                field.name not in ("rate_budget", "rate_budget_low")
                            ),
                        ),
                        "warnings": list(s.warnings),
                        "rate_budget": [_budget_dict(b) for b in budgets[s.administration]],
                    }
                    for s in statuses
                ],
            }
        )
    else:
        print_table(
            "Administrations",
            (
                "administration",
                "name",
                "waiting",
                "failed",
                "review",
                "unknown outcome",
                "last good run",
                "calls left",
                "warnings",
            ),
            [
                (
                    s.administration,
                    s.name,
                    str(s.outbox_depth),
                    str(s.failed),
                    str(s.review_open),
                    str(s.pending_intents),
                    s.last_successful_run or "never",
                    _calls_left(budgets[s.administration]),
                    "\n".join(s.warnings),
                )
                for s in statuses
            ],
        )
    ctx.exit(EXIT_ATTENTION if attention else EXIT_OK)


def _budget_is_shared(engine: SyncEngine, administration: str) -> bool:
    """Whether the administration's budget counters are shared ([postgres] in the file).

    A budget kept in this process's memory says nothing about the workers, so it is not shown.
    """
    limiter = getattr(engine.backend(administration), "limiter", None)
    return limiter is not None and not isinstance(
        getattr(limiter, "state", None), MemoryRateLimitState
    )


def _budget_dict(budget: WindowBudget) -> dict[str, Any]:
    return {
        "window": budget.window.label(),
        "used": budget.used,
        "remaining": budget.remaining,
        "resets_at": budget.resets_at.isoformat() if budget.resets_at else None,
    }


def _calls_left(budgets: tuple[WindowBudget, ...]) -> str:
    if not budgets:
        return "-"
    # The longest window is the one that can run dry for hours (Exact's day).
    longest = max(budgets, key=lambda b: b.window.seconds)
    name = longest.window.name or f"{longest.window.seconds:g} s"
    return f"{longest.remaining:,}/{longest.window.limit:,} this {name}"


def _error_dict(entry: ErrorEntry) -> dict[str, Any]:
    return {
        "administration": entry.administration,
        "entity": entry.entity,
        "crm_key": entry.crm_key,
        "kind": entry.kind,
        "message": entry.message,
        "field": entry.field_path,
        "rule": entry.rule,
        "vendor_code": entry.vendor_code,
        "retriable": entry.retriable,
        "attempts": entry.attempts,
        "first_seen": entry.first_seen.isoformat(),
        "last_seen": entry.last_seen.isoformat(),
    }


@click.command()
@click.option("-a", "--administration", help="Only this administration.")
@click.option("--entity", help="Only this entity (relation, contact, project, booking).")
@click.option(
    "--language",
    type=click.Choice(["nl", "en"]),
    help="Give each reason as a plain sentence for a bookkeeper, in Dutch or English.",
)
@json_option
@pass_state
@click.pass_context
def errors(
    ctx: click.Context,
    state: CliState,
    *,
    administration: str | None,
    entity: str | None,
    language: str | None,
    as_json: bool,
) -> None:
    """The error log in plain words: which record failed where, on which field and why.

    Each line names the record, the administration, the field and rule (where known), the
    vendor's code and how many attempts failed. Exit status 1 when the log is not empty.
    """
    state.as_json = as_json
    entries = state.engine().store.errors(administration, entity)

    def reason(entry: ErrorEntry) -> str:
        return explain_error(entry, language) if language else entry.message

    if as_json:
        dump_json(
            {
                "ok": not entries,
                "errors": [
                    {**_error_dict(e), **({"explanation": reason(e)} if language else {})}
                    for e in entries
                ],
            }
        )
    else:
        print_table(
            "Records that failed",
            (
                "record",
                "administration",
                "field",
                "rule",
                "vendor code",
                "attempts",
                "retry",
                "reason",
            ),
            [
                (
                    f"{e.entity} {e.crm_key}",
                    e.administration,
                    e.field_path or "",
                    e.rule or "",
                    e.vendor_code or "",
                    str(e.attempts),
                    "automatic" if e.retriable else "after a fix",
                    reason(e),
                )
                for e in entries
            ],
        )
    ctx.exit(EXIT_ATTENTION if entries else EXIT_OK)


def _item_dict(item: OpenItem, overdue: bool) -> dict[str, Any]:
    return {
        "administration": item.administration,
        "kind": item.kind.value,
        "relation": item.relation_id,
        "remote_relation_id": item.remote_relation_id,
        "invoice": item.invoice_number,
        "booking": item.booking_id,
        "invoice_date": item.invoice_date.isoformat() if item.invoice_date else None,
        "due": item.due_date.isoformat() if item.due_date else None,
        "amount": str(item.amount),
        "open": str(item.open_amount),
        "currency": item.currency,
        "status": item.status.value,
        "overdue": overdue,
    }


def _full_pull(engine: SyncEngine) -> list[OpenItem]:
    """Everything still open, leaving the incremental read position where it was.

    The engine reads open items from a cursor; without one it reads everything open. The
    cursor is put back afterwards, so looking at the full list never makes a host's next
    incremental pull (``--changed`` or ``SyncEngine.pull_open_items``) miss a change.
    """
    store = engine.store
    saved = {name: store.get_cursor(name, _OPEN_ITEMS_STREAM) for name in engine.administrations}
    try:
        for name in saved:
            store.set_cursor(name, _OPEN_ITEMS_STREAM, None)
        return engine.pull_open_items()
    finally:
        for name, cursor in saved.items():
            store.set_cursor(name, _OPEN_ITEMS_STREAM, cursor)


@click.command("open-items")
@click.option(
    "--changed",
    is_flag=True,
    help="Only items changed since the last pull (default: everything still open).",
)
@json_option
@pass_state
@click.pass_context
def open_items(ctx: click.Context, state: CliState, changed: bool, as_json: bool) -> None:
    """What is still to be paid, per invoice: read back from every administration.

    The relation column shows the CRM key where finlink linked the relation (the
    administration's own key otherwise).
    """
    state.as_json = as_json
    engine = state.engine()
    pulled = engine.pull_open_items() if changed else _full_pull(engine)
    # Items carry the backend's own administration id (``exact:123456``); show the name
    # the configuration gives it, which is what every other command uses.
    names = {engine.backend(n).administration: n for n in engine.administrations}
    items = [
        attrs.evolve(i, administration=names.get(i.administration, i.administration))
        for i in pulled
    ]
    today = engine.clock.now().date()
    rows = [(item, item.is_overdue(today)) for item in items]
    if as_json:
        dump_json({"ok": True, "open_items": [_item_dict(i, o) for i, o in rows]})
    else:
        print_table(
            "Open items",
            ("administration", "relation", "invoice", "due", "amount", "open", "status", "overdue"),
            [
                (
                    item.administration,
                    item.relation_id or item.remote_relation_id,
                    item.invoice_number,
                    item.due_date.isoformat() if item.due_date else "",
                    f"{item.currency} {item.amount}",
                    f"{item.currency} {item.open_amount}",
                    item.status.value.replace("_", " "),
                    "overdue" if overdue else "",
                )
                for item, overdue in rows
            ],
        )
    ctx.exit(EXIT_OK)
