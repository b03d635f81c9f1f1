"""Reading back what the accounting side knows: open items and project costs, with CRM keys."""

from __future__ import annotations

import logging

import attrs

from finlink._errors import FinlinkError
from finlink.backends.capabilities import Feature
from finlink.model.readback import OpenItem, ProjectCost
from finlink.sync._bookings import BOOKING, PROJECT
from finlink.sync._relations import RELATION, SUPPLIER_HALF
from finlink.sync._run import Run, describe_error
from finlink.sync.settings import EngineHooks

__all__ = ["pull_open_items", "read_project_costs"]

_log = logging.getLogger("finlink.sync")
OPEN_ITEMS = "open_items"
_STATUS = "open_items.status"


def _crm_relation(run: Run, name: str, remote_id: str) -> str | None:
    for entity in (RELATION, SUPPLIER_HALF):
        link = run.store.get_link_by_remote(name, entity, remote_id)
        if link is not None:
            return link.crm_key
    return None


def pull_open_items(run: Run, hooks: EngineHooks) -> list[OpenItem]:
    """Open items changed since the last pull in every administration, linked to CRM keys.

    The first pull reads everything open. A payment-status change (compared with what the last
    pull saw, kept in the state store) is reported to ``hooks.on_payment_status_change``.
    An administration that cannot be read is logged and skipped; the others are still read.
    """
    items: list[OpenItem] = []
    for name, adm in run.administrations.items():
        if not adm.backend.capabilities.supports(Feature.OPEN_ITEMS):
            continue
        cursor = run.store.get_cursor(name, OPEN_ITEMS)
        try:
            changes = adm.backend.read_open_items(cursor)
        except FinlinkError as error:
            _log.warning("reading open items of %s failed: %s", name, describe_error(error)[0])
            continue
        for record in changes.records:
            item = record.data
            booking = run.store.get_link_by_remote(name, BOOKING, item.remote_id)
            item = attrs.evolve(
                item,
                relation_id=item.relation_id or _crm_relation(run, name, item.remote_relation_id),
                booking_id=item.booking_id or (booking.crm_key if booking else None),
            )
            key = f"{_STATUS}:{item.remote_id}"
            previous = run.store.get_cursor(name, key)
            if previous != item.status.value:
                run.store.set_cursor(name, key, item.status.value)
                if hooks.on_payment_status_change is not None:
                    try:
                        hooks.on_payment_status_change(item, previous)
                    except Exception:  # noqa: BLE001 - a host's hook must never break a pull
                        _log.exception("on_payment_status_change raised; the pull goes on")
            items.append(item)
        if changes.cursor is not None:
            run.store.set_cursor(name, OPEN_ITEMS, changes.cursor)
    return items


def read_project_costs(run: Run, project_id: str, administration: str | None) -> list[ProjectCost]:
    """Purchase lines booked on the project's cost centre in each administration it is linked in."""
    costs: list[ProjectCost] = []
    for name, adm in run.administrations.items():
        if administration is not None and name != administration:
            continue
        if not adm.backend.capabilities.supports(Feature.PROJECT_COSTS):
            continue
        link = run.store.get_link(name, PROJECT, project_id)
        if link is None:
            continue
        number = str((link.snapshot or {}).get("number", project_id))
        for cost in adm.backend.read_project_costs(number):
            relation = (
                _crm_relation(run, name, cost.remote_relation_id)
                if cost.remote_relation_id
                else None
            )
            costs.append(
                attrs.evolve(cost, project_id=project_id, relation_id=cost.relation_id or relation)
            )
    return costs
