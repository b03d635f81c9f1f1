"""The ``finlink`` command group: global options, logging, and errors turned into exit statuses.

Each command family lives in its own module and is added here; a new family (``demo``,
``auth``, ``doctor``) is one more ``main.add_command`` line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from finlink._errors import (
    AuthenticationError,
    ConfigurationError,
    FinlinkError,
    PermissionDeniedError,
)
from finlink.cli import (
    commands_auth,
    commands_db,
    commands_demo,
    commands_doctor,
    commands_review,
    commands_sandbox,
    commands_serve,
    commands_state,
    commands_sync,
    commands_worker,
)
from finlink.cli.inputs import InputError
from finlink.cli.output import EXIT_ATTENTION, EXIT_SETUP, dump_json
from finlink.cli.state import CliState

__all__ = ["FinlinkGroup", "main"]


class FinlinkGroup(click.Group):
    """A click group that turns finlink's errors into a message and an exit status.

    Configuration, credential and input-file problems exit with 2 (nothing was sent); any
    other finlink error with 1. With ``--json`` the error is also printed as JSON on stdout.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; report finlink errors in plain words."""
        try:
            return super().invoke(ctx)
        except InputError as error:
            _fail(ctx, "input", str(error), EXIT_SETUP, [p.to_dict() for p in error.problems])
        except (AuthenticationError, PermissionDeniedError) as error:
            _fail(ctx, "credentials", str(error), EXIT_SETUP)
        except ConfigurationError as error:
            _fail(ctx, "configuration", str(error), EXIT_SETUP)
        except FinlinkError as error:
            _fail(ctx, "failure", str(error), EXIT_ATTENTION)
        return None  # pragma: no cover - _fail always exits


def _fail(
    ctx: click.Context,
    kind: str,
    message: str,
    status: int,
    problems: list[dict[str, str | None]] | None = None,
) -> None:
    state = ctx.find_object(CliState)
    if state is not None and state.as_json:
        error: dict[str, Any] = {"kind": kind, "message": message}
        if problems is not None:
            error["problems"] = problems
        dump_json({"ok": False, "error": error})
    label = {"input": "input error", "credentials": "credentials refused"}.get(
        kind, kind + " error"
    )
    click.echo(f"finlink: {label}: {message}", err=True)
    ctx.exit(status)


@click.group(cls=FinlinkGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("finlink.toml"),
    show_default=True,
    envvar="FINLINK_CONFIG",
    help="The configuration file (also FINLINK_CONFIG).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logs on stderr (secrets masked).")
@click.option("-q", "--quiet", is_flag=True, help="Errors only; no progress bars.")
@click.version_option(package_name="finlink", prog_name="finlink")
@click.pass_context
def main(ctx: click.Context, config_path: Path, verbose: bool, quiet: bool) -> None:
    """Keep a CRM's relations, projects and bookings in step with accounting software.

    Exit status: 0 when all went well, 1 when records failed or wait for review, 2 on a
    configuration, credential or input-file problem.
    """
    if verbose and quiet:
        raise click.UsageError("-v and -q exclude each other")
    state = ctx.ensure_object(CliState)
    state.config_path = config_path
    state.verbosity = 1 if verbose else -1 if quiet else 0
    state.start_logging()
    ctx.call_on_close(state.close)


for _command in (
    commands_sync.plan,
    commands_sync.sync,
    commands_sync.retry,
    commands_sync.resync,
    commands_sync.duplicates,
    commands_state.status,
    commands_state.errors,
    commands_state.open_items,
    commands_review.review,
    commands_sandbox.sandbox,
    commands_demo.demo,
    commands_auth.auth,
    commands_doctor.doctor,
    commands_db.db,
    commands_worker.worker,
    commands_serve.serve,
):
    main.add_command(_command)
