"""Commands that push: ``plan``, ``sync``, ``retry``, ``resync``; and ``duplicates``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from finlink.cli.inputs import Inputs, read_inputs
from finlink.cli.output import (
    EXIT_ATTENTION,
    EXIT_OK,
    EXIT_SETUP,
    dump_json,
    json_option,
    print_table,
    progress,
)
from finlink.cli.state import CliState, pass_state
from finlink.sync import OperationKind, Plan, SyncEngine, SyncReport

__all__ = ["duplicates", "plan", "resync", "retry", "sync"]

_FILE = click.Path(dir_okay=False, path_type=Path)
# An administration that refuses finlink's credentials needs a person (re-consent, a new
# key); the exit status says so apart from records that merely failed.
_CREDENTIAL_ERRORS = frozenset({"AuthenticationError", "PermissionDeniedError"})


def _input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for name, text in reversed(
        (
            ("--relations", "Relations: a JSON list or a CSV file."),
            ("--projects", "Projects: a JSON list or a CSV file."),
            ("--bookings", "Bookings: a JSON list."),
        )
    ):
        func = click.option(name, type=_FILE, help=text)(func)
    return func


def _read(
    state: CliState, relations: Path | None, projects: Path | None, bookings: Path | None
) -> Inputs:
    state.config()  # a broken configuration is reported before the input files
    if relations is None and projects is None and bookings is None:
        raise click.UsageError("give at least one of --relations, --projects, --bookings")
    return read_inputs(relations=relations, projects=projects, bookings=bookings)


def _report_status(engine: SyncEngine, report: SyncReport) -> int:
    """The exit status of a run: 2 if credentials were refused, 1 if anything is not done."""
    if report.ok:
        return EXIT_OK
    for outcome in report.failed():
        op = outcome.operation
        entry = engine.store.get_error(op.administration, op.entity, op.crm_key)
        if entry is not None and entry.kind in _CREDENTIAL_ERRORS:
            return EXIT_SETUP
    return EXIT_ATTENTION


def _print_report(report: SyncReport, as_json: bool) -> None:
    if as_json:
        dump_json(report.to_dict())
    else:
        click.echo(report.to_text() or "Nothing to do.")


@click.command()
@_input_options
@click.option(
    "--csv",
    "csv_file",
    type=_FILE,
    help="Also write the plan as CSV for the accountant (one row per field written; "
    "Excel-safe cells, UTF-8 with a byte-order mark).",
)
@json_option
@pass_state
@click.pass_context
def plan(
    ctx: click.Context,
    state: CliState,
    *,
    relations: Path | None,
    projects: Path | None,
    bookings: Path | None,
    csv_file: Path | None,
    as_json: bool,
) -> None:
    """Show what a sync would do, without writing anything (a dry run).

    The administrations are read (to match and compare), never written; the state store is
    not changed. Exit status 1 when a record is invalid or would wait for review.
    """
    state.as_json = as_json
    inputs = _read(state, relations, projects, bookings)
    engine = state.engine()
    with progress(not state.quiet) as ticker:
        state.router().on_record = ticker.advance
        ticker.phase("planning", inputs.total)
        result: Plan = engine.plan(
            relations=inputs.relations, projects=inputs.projects, bookings=inputs.bookings
        )
    attention = any(
        op.kind in (OperationKind.INVALID, OperationKind.REVIEW) for op in result.operations
    )
    if csv_file is not None:
        # utf-8-sig: Excel reads a CSV without a byte-order mark as the local code page, and
        # "Müller" would come out garbled.
        with csv_file.open("w", encoding="utf-8-sig", newline="") as file:
            rows = result.to_csv(
                file, records=[*inputs.relations, *inputs.projects, *inputs.bookings]
            )
        if not state.quiet and not as_json:
            click.echo(f"Plan written to {csv_file} ({rows} rows).", err=True)
    if as_json:
        dump_json({"ok": not attention, **result.to_dict()})
    else:
        click.echo(result.to_text() or "Nothing to do.")
    ctx.exit(EXIT_ATTENTION if attention else EXIT_OK)


@click.command()
@_input_options
@json_option
@pass_state
@click.pass_context
def sync(
    ctx: click.Context,
    state: CliState,
    *,
    relations: Path | None,
    projects: Path | None,
    bookings: Path | None,
    as_json: bool,
) -> None:
    """Push relations, then projects, then bookings to every administration they go to.

    Every input file is read and checked first: if one is malformed nothing is sent. One
    failing record never stops the others; the summary lists every failure with its reason.
    """
    state.as_json = as_json
    inputs = _read(state, relations, projects, bookings)
    engine = state.engine()
    report = SyncReport()
    with progress(not state.quiet) as ticker:
        state.router().on_record = ticker.advance
        if inputs.relations:
            ticker.phase("relations", len(inputs.relations))
            report.extend(engine.sync_relations(inputs.relations))
        if inputs.projects:
            ticker.phase("projects", len(inputs.projects))
            report.extend(engine.sync_projects(inputs.projects))
        if inputs.bookings:
            ticker.phase("bookings", len(inputs.bookings))
            report.extend(engine.sync_bookings(inputs.bookings))
    _print_report(report, as_json)
    ctx.exit(_report_status(engine, report))


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option(
    "--record",
    nargs=3,
    metavar="ADMINISTRATION ENTITY CRM_KEY",
    help="Only this record from the error log, now, whatever its backoff.",
)
@json_option
@pass_state
@click.pass_context
def retry(
    ctx: click.Context,
    state: CliState,
    limit: int,
    record: tuple[str, str, str] | None,
    as_json: bool,
) -> None:
    """Send again what failed for a passing reason (the vendor was down, a timeout).

    Records refused for their data stay in ``finlink errors`` until the CRM sends them again,
    fixed. Waiting changes are sent once their backoff is over; ``--record`` sends one record
    at once.
    """
    state.as_json = as_json
    engine = state.engine()
    report = engine.retry(*record) if record else engine.retry_failed(limit=limit)
    _print_report(report, as_json)
    ctx.exit(_report_status(engine, report))


@click.command()
@click.argument("administration")
@click.option("--relations", type=_FILE, required=True, help="The CRM's relations (JSON or CSV).")
@json_option
@pass_state
@click.pass_context
def resync(
    ctx: click.Context, state: CliState, administration: str, relations: Path, as_json: bool
) -> None:
    """Re-read ADMINISTRATION in full and bring it in line with the CRM's relations.

    Links to records deleted there are dropped (and matched again, so nothing is duplicated);
    linked records are compared with what the administration holds now. Use it after a backup
    was restored or when drift is suspected.
    """
    state.as_json = as_json
    config = state.config()
    if administration not in config.administrations:
        known = ", ".join(config.administrations)
        raise click.BadParameter(
            f"no administration {administration!r}; configured: {known}",
            param_hint="ADMINISTRATION",
        )
    inputs = _read(state, relations, None, None)
    engine = state.engine()
    with progress(not state.quiet) as ticker:
        ticker.phase(f"resync {administration}", 1)
        report = engine.resync(administration, inputs.relations)
        ticker.advance()
    _print_report(report, as_json)
    ctx.exit(_report_status(engine, report))


@click.command()
@click.option("--relations", type=_FILE, required=True, help="The CRM's relations (JSON or CSV).")
@json_option
@pass_state
@click.pass_context
def duplicates(ctx: click.Context, state: CliState, relations: Path, as_json: bool) -> None:
    """List likely duplicates inside the CRM's own relations (clean up before going live).

    Reads no administration and needs no configuration. Exit status 1 when duplicates are
    found.
    """
    state.as_json = as_json
    inputs = read_inputs(relations=relations)
    from finlink.sync import find_duplicates  # noqa: PLC0415 - only this command needs it

    groups = find_duplicates(inputs.relations)
    if as_json:
        dump_json(
            {
                "ok": not groups,
                "groups": [
                    {
                        "record_ids": list(g.record_ids),
                        "outcome": g.outcome.value,
                        "score": g.score,
                        "evidence": list(g.evidence),
                    }
                    for g in groups
                ],
            }
        )
    else:
        print_table(
            "Likely duplicates",
            ("records", "certainty", "score", "evidence"),
            [
                (
                    ", ".join(g.record_ids),
                    "likely" if g.outcome.value == "link" else "possible",
                    str(g.score),
                    "\n".join(g.evidence),
                )
                for g in groups
            ],
        )
    ctx.exit(EXIT_ATTENTION if groups else EXIT_OK)
