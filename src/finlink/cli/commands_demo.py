"""``finlink demo``: the whole story on sandboxes, ending in a summary for a bookkeeper."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from finlink.cli.output import dump_json, stderr_console, stdout_console
from finlink.cli.state import CliState
from finlink.demo import AdministrationSummary, DemoResult, run_demo

_OUTCOMES = ("created", "updated", "linked", "unchanged", "waiting for review", "failed", "invalid")
_STEPS = {
    "projects": "Projects (cost centres)",
    "relations": "Relations and contacts",
    "bookings": "Invoices and credit notes",
    "edits": "CRM edits via the outbox",
    "payments": "Payments, open items",
}


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    console = stderr_console()
    if not enabled or not console.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with bar:
        yield bar


def _duration(seconds: float) -> str:
    delta = timedelta(seconds=round(seconds))
    days, rest = delta.days, delta.seconds
    hours, minutes = rest // 3600, rest % 3600 // 60
    return f"{days} d {hours} h {minutes} min" if days else f"{hours} h {minutes} min"


def _counts(counts: dict[str, int]) -> list[str]:
    return [str(counts.get(label, 0)) for label in _OUTCOMES]


def _administration(summary: AdministrationSummary) -> None:
    console = stdout_console()
    table = Table(title=f"{summary.name} ({summary.administration})", title_justify="left")
    table.add_column("")
    for label in _OUTCOMES:
        table.add_column(label, justify="right")
    table.add_row("relations", *_counts(summary.relations))
    table.add_row("invoices & credit notes", *_counts(summary.bookings))
    console.print(table)
    budget = (
        f" (Exact allows {summary.daily_budget:,} a day per division)"
        if summary.daily_budget
        else ""
    )
    console.print(f"  API calls: {summary.api_calls:,}{budget}")
    if summary.conflicts:
        decided = ", ".join(f"{k}: {n}" for k, n in sorted(summary.conflicts.items()))
        console.print(f"  Conflicts (field → who won): {decided}")
    states = ", ".join(
        f"{n} {state.replace('_', ' ')}" for state, n in sorted(summary.open_items.items())
    )
    console.print(
        f"  Paid: {summary.payments} invoices, € {summary.paid_amount:,.2f}; "
        f"still open: {states or 'nothing'}; overdue: {summary.overdue}"
    )
    for reason in summary.failures[:5]:
        # escape: a rule name such as [max_length] is text here, not rich markup
        console.print(f"  [red]✗[/red] {escape(reason.splitlines()[0])}")


def _print(result: DemoResult) -> None:
    console = stdout_console()
    crm = result.crm
    console.print(
        f"[bold]finlink demo[/bold]: a CRM of {crm['relations']:,} relations "
        f"({crm['deliberate_duplicates']} deliberate duplicates, {crm['invalid_relations']} "
        f"invalid), {crm['projects']} projects and {crm['bookings']:,} invoices "
        f"({crm['with_pdf']:,} with a PDF), into two Exact Online divisions that share one "
        "customer file and a SnelStart administration."
    )
    for summary in result.administrations:
        _administration(summary)
    console.print(
        f"At the vendors' real rate limits this sync takes {_duration(result.simulated_seconds)} "
        f"(simulated; here it took {result.wall_seconds:.0f} s). "
        f"{result.inbound_changes} change(s) made by the accountant were offered to the CRM. "
        f"State store: {result.state_path}"
    )


@click.command()
@click.option(
    "--size",
    type=click.IntRange(20, 100_000),
    default=2000,
    show_default=True,
    help="Relations in the generated CRM.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Makes the run repeatable.")
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("finlink-demo.db"),
    show_default=True,
    help="The SQLite state store the demo writes (replaced if it exists).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def demo(ctx: click.Context, size: int, seed: int, state_path: Path, as_json: bool) -> None:
    """Sync a generated CRM into sandboxed administrations and summarise it.

    No account, no network, no set-up: the Exact Online and SnelStart sandboxes run in this
    process on a simulated clock at the vendors' real rate limits, and the real engine does the
    work.
    """
    state = ctx.find_object(CliState)
    if state is None or state.verbosity <= 0:
        # The warnings a real run should show (a relatiecode SnelStart gave away, say) are the
        # demo's scenery; the summary reports what matters. -v shows them.
        logging.getLogger("finlink").setLevel(logging.ERROR)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state_path}{suffix}").unlink(missing_ok=True)
    with _progress(not as_json) as bar:
        tasks: dict[str, object] = {}

        def tell(step: str, done: int, total: int) -> None:
            if bar is None:
                return
            if step not in tasks:
                tasks[step] = bar.add_task(_STEPS.get(step, step), total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))  # type: ignore[arg-type]

        result = run_demo(size=size, seed=seed, state_path=state_path, progress=tell)
    if as_json:
        dump_json(result.to_dict())
    else:
        _print(result)
