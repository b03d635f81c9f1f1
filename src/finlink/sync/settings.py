"""Per-administration settings of the sync engine, and the events it emits."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from finlink.model.booking import Booking, Project
from finlink.model.readback import OpenItem
from finlink.model.relation import Relation
from finlink.model.vat import DUTCH_VAT_RATES, VatRates
from finlink.sync.report import InboundChange, Outcome

__all__ = ["AdministrationSettings", "CrmLookup", "EngineHooks"]


def _crm_key(relation: Relation) -> str:
    return relation.id


@attrs.frozen(kw_only=True)
class AdministrationSettings:
    """How the CRM's data maps onto one administration.

    Attributes:
        ledger_map: CRM ledger code → the administration's ledger code, for CRMs whose ledger
            codes differ per administration (codes not listed pass unchanged).
        vat_rates: The VAT table bookings are validated against.
        relation_reference: What finlink stores in the administration to find a relation again:
            by default the CRM key (``Relation.id``); e.g. ``lambda r: r.number`` to use the
            CRM's debtor number.
        sync_contacts: Whether contacts are sent at all.
    """

    ledger_map: Mapping[str, str] = attrs.field(factory=dict)
    vat_rates: VatRates = DUTCH_VAT_RATES
    relation_reference: Callable[[Relation], str | None] = _crm_key
    sync_contacts: bool = True

    def map_booking(self, booking: Booking) -> Booking:
        """``booking`` with its ledger codes mapped to this administration's."""
        if not self.ledger_map:
            return booking
        lines = tuple(
            attrs.evolve(
                line, ledger_account=self.ledger_map.get(line.ledger_account, line.ledger_account)
            )
            for line in booking.lines
        )
        return attrs.evolve(booking, lines=lines)


class CrmLookup:
    """Where the engine finds CRM records a booking depends on but the batch does not carry.

    A booking names its relation and projects by CRM key; when they are not yet in the booking's
    administration, the engine creates them first, and needs their data. The default lookup
    knows nothing (the engine then falls back to what another administration was sent).
    Subclass it, or pass ``relations``/``projects`` mappings.
    """

    def __init__(
        self,
        relations: Mapping[str, Relation] | None = None,
        projects: Mapping[str, Project] | None = None,
    ) -> None:
        self._relations = dict(relations or {})
        self._projects = dict(projects or {})

    def relation(self, crm_key: str) -> Relation | None:
        """The CRM relation with ``crm_key``, if known."""
        return self._relations.get(crm_key)

    def project(self, crm_key: str) -> Project | None:
        """The CRM project with ``crm_key``, if known."""
        return self._projects.get(crm_key)

    def remember(self, record: Relation | Project) -> None:
        """Keep ``record`` for later lookups (the engine calls this for every record it syncs)."""
        if isinstance(record, Relation):
            self._relations[record.id] = record
        else:
            self._projects[record.id] = record


@attrs.frozen(kw_only=True)
class EngineHooks:
    """Callbacks a host gives the engine; each is optional and must not raise.

    Attributes:
        on_failure: Called with every failed outcome (raise an alert, page someone).
        on_inbound_change: Called with every change made in an administration that the CRM may
            take over.
        on_payment_status_change: Called with an open item whose payment status changed since
            the last pull (``previous`` is the status before, or None for a new item).
    """

    on_failure: Callable[[Outcome], None] | None = None
    on_inbound_change: Callable[[InboundChange], None] | None = None
    on_payment_status_change: Callable[[OpenItem, str | None], None] | None = None
