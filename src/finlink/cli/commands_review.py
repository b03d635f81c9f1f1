"""``finlink review``: the records a person must decide on, and deciding them."""

from __future__ import annotations

from typing import Any

import click

from finlink._errors import SyncError
from finlink.cli.output import EXIT_ATTENTION, EXIT_OK, dump_json, json_option, print_table
from finlink.cli.state import CliState, pass_state
from finlink.sync.store import Review, ReviewResolution

__all__ = ["review"]


def _review_dict(item: Review) -> dict[str, Any]:
    return {
        "id": item.review_id,
        "administration": item.administration,
        "entity": item.entity,
        "crm_key": item.crm_key,
        "reason": item.reason,
        "candidates": list(item.candidates),
        "created_at": item.created_at.isoformat(),
        "resolution": item.resolution.value if item.resolution else None,
        "remote_id": item.remote_id,
    }


def _candidate(candidate: dict[str, Any]) -> str:
    text = str(candidate.get("remote_id", "?"))
    if "score" in candidate:
        text += f" ({candidate['score']})"
    if candidate.get("name"):
        text += f" {candidate['name']}"
    return text


def _list(ctx: click.Context, state: CliState, administration: str | None, as_json: bool) -> None:
    state.as_json = as_json
    items = state.engine().store.reviews(administration)
    if as_json:
        dump_json({"ok": not items, "reviews": [_review_dict(i) for i in items]})
    else:
        print_table(
            "Waiting for review",
            ("id", "record", "administration", "reason", "candidates"),
            [
                (
                    str(i.review_id),
                    f"{i.entity} {i.crm_key}",
                    i.administration,
                    i.reason,
                    "\n".join(_candidate(c) for c in i.candidates),
                )
                for i in items
            ],
        )
    ctx.exit(EXIT_ATTENTION if items else EXIT_OK)


_ADMINISTRATION = click.option("-a", "--administration", help="Only this administration.")


@click.group(invoke_without_command=True)
@_ADMINISTRATION
@json_option
@pass_state
@click.pass_context
def review(ctx: click.Context, state: CliState, administration: str | None, as_json: bool) -> None:
    """Records waiting for a person (ambiguous matches, manual conflicts); lists them.

    Exit status 1 while items are open.
    """
    if ctx.invoked_subcommand is None:
        _list(ctx, state, administration, as_json)


@review.command("list")
@_ADMINISTRATION
@json_option
@pass_state
@click.pass_context
def list_reviews(
    ctx: click.Context, state: CliState, administration: str | None, as_json: bool
) -> None:
    """List the open review items (the same as ``finlink review``)."""
    _list(ctx, state, administration, as_json)


@review.command("resolve")
@click.argument("review_id", metavar="ID", type=int)
@click.option("--link", "remote_id", metavar="REMOTE_ID", help="Link to this remote record.")
@click.option("--create", is_flag=True, help="Create a new remote record after all.")
@click.option("--dismiss", is_flag=True, help="Do nothing with this record.")
@click.option(
    "--field",
    "fields",
    metavar="NAME=SIDE",
    multiple=True,
    help="For a conflict: keep the 'crm' or the 'accounting' value of field NAME; "
    "once for every conflicting field.",
)
@json_option
@pass_state
def resolve(
    state: CliState,
    *,
    review_id: int,
    remote_id: str | None,
    create: bool,
    dismiss: bool,
    fields: tuple[str, ...],
    as_json: bool,
) -> None:
    """Settle review item ID: --link REMOTE_ID, --create, --dismiss or --field (one kind).

    The next ``finlink sync`` of the record carries the decision out: it links to REMOTE_ID
    (and brings it in line), creates a new record without matching, or leaves the record
    alone until it changes in the CRM. ``--link`` refuses a remote record already linked to
    another CRM record. A conflict can be decided field by field instead:
    ``--field email=crm --field iban=accounting`` writes the CRM's e-mail address and keeps
    the accountant's IBAN.
    """
    state.as_json = as_json
    chosen = [
        flag
        for flag, given in (
            ("--link", remote_id),
            ("--create", create),
            ("--dismiss", dismiss),
            ("--field", fields),
        )
        if given
    ]
    if len(chosen) != 1:
        raise click.UsageError(
            "give exactly one of --link REMOTE_ID, --create, --dismiss, or --field NAME=SIDE"
        )
    if fields:
        _resolve_fields(state, review_id, fields, as_json)
        return
    store = state.engine().store
    item = store.get_review(review_id)
    if item is None:
        raise SyncError(f"no review item {review_id}")
    resolution = (
        ReviewResolution.LINK
        if remote_id
        else ReviewResolution.CREATE
        if create
        else ReviewResolution.DISMISS
    )
    if remote_id:
        # The engine links on the next sync and would fail then; say so now instead.
        taken = store.get_link_by_remote(item.administration, item.entity, remote_id)
        if taken is not None and taken.crm_key != item.crm_key:
            raise SyncError(
                f"{remote_id} in {item.administration} is already linked to CRM "
                f"{item.entity} {taken.crm_key}"
            )
    settled = store.resolve_review(review_id, resolution, remote_id=remote_id)
    if as_json:
        dump_json({"ok": True, "review": _review_dict(settled)})
    else:
        done = {
            "link": f"the next sync links it to {remote_id}",
            "create": "the next sync creates it without matching",
            "dismiss": "dismissed; left alone until it changes in the CRM",
        }
        click.echo(
            f"Review {review_id} ({settled.entity} {settled.crm_key} in "
            f"{settled.administration}): {done[resolution.value]}."
        )


def _resolve_fields(
    state: CliState, review_id: int, fields: tuple[str, ...], as_json: bool
) -> None:
    choices: dict[str, str] = {}
    for given in fields:
        name, sep, side = given.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(
                f"{given!r}: give NAME=crm or NAME=accounting", param_hint="--field"
            )
        choices[name.strip()] = side.strip()
    engine = state.engine()
    try:
        engine.resolve_conflict(review_id, choices)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--field") from exc
    settled = engine.store.get_review(review_id)
    assert settled is not None  # just resolved
    if as_json:
        dump_json({"ok": True, "review": {**_review_dict(settled), "choices": choices}})
    else:
        decided = ", ".join(f"{name}: {side}" for name, side in sorted(choices.items()))
        click.echo(
            f"Review {review_id} ({settled.entity} {settled.crm_key} in "
            f"{settled.administration}): the next sync writes the chosen values ({decided})."
        )
