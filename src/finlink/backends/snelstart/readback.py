"""Reading back: open items from ``/verkoopfacturen`` / ``/inkoopfacturen``, costs per kostenplaats.

- Payment status is ``openstaandSaldo``: 0 is paid, ``factuurBedrag`` is unpaid (§3.8). A read
  without cursor lists what is still open (``OpenstaandSaldo ne 0``); a read since a cursor
  lists every invoice whose ``modifiedOn`` moved (a payment bumps it), so an invoice paid in
  full since the cursor is reported once with ``open_amount == 0`` and then no more (see
  :mod:`.cursors` for the overlap and de-duplication).
- Project costs are the ``/grootboekmutaties`` of the kostenplaats
  (``$filter=Kostenplaats/Id eq guid'…'``, P-ODATA §3.10). Only the cost side counts: mutations
  on sales ledgers (grootboekfunctie ``Verkopen…``) are revenue, not cost. The amount is
  ``saldo`` (debet - credit): a purchase credit note comes back negative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from finlink.backends.protocol import ChangeSet
from finlink.backends.records import RemoteRecord
from finlink.backends.snelstart.context import Context
from finlink.backends.snelstart.cursors import Cursor, advance
from finlink.backends.snelstart.limits import MAX_PAGE_SIZE
from finlink.backends.snelstart.projects import Projects
from finlink.backends.snelstart.wire import (
    aware,
    decimal,
    odata_datetime,
    parse_date,
    parse_datetime,
    ref_id,
)
from finlink.http import iter_skip_top
from finlink.model.enums import OpenItemKind
from finlink.model.readback import OpenItem, ProjectCost

__all__ = ["ReadBack"]

_STREAMS = {
    "verkoop": ("/verkoopfacturen", OpenItemKind.RECEIVABLE),
    "inkoop": ("/inkoopfacturen", OpenItemKind.PAYABLE),
}


class ReadBack:
    """Open items and project costs of one administration."""

    def __init__(self, ctx: Context, projects: Projects) -> None:
        self._ctx = ctx
        self._projects = projects

    def open_items(self, cursor: str | None, relation_remote_id: str | None) -> ChangeSet[OpenItem]:
        """Open items: all open ones (no cursor), or every one changed since ``cursor``."""
        previous = Cursor.decode(cursor) if cursor else None
        fetched: dict[str, list[dict[str, Any]]] = {}
        records: list[RemoteRecord[OpenItem]] = []
        started = self._ctx.server_now()
        for stream, (path, kind) in _STREAMS.items():
            clauses = []
            since = previous.lower_bound(stream, self._ctx.overlap) if previous else None
            if since is not None:
                clauses.append(f"ModifiedOn ge {odata_datetime(since)}")
            elif previous is None:
                clauses.append("OpenstaandSaldo ne 0")
            if relation_remote_id is not None:
                clauses.append(f"Relatie/Id eq guid'{relation_remote_id}'")
            params = {"$filter": " and ".join(clauses)} if clauses else None
            rows = list(
                iter_skip_top(self._ctx.api.get_json, path, params, page_size=MAX_PAGE_SIZE)
            )
            fetched[stream] = rows
            seen: set[str] = set()
            for row in rows:
                if str(row["id"]) in seen or (previous is not None and not previous.is_new(row)):
                    continue
                seen.add(str(row["id"]))
                records.append(self._record(row, kind))
        following = advance(previous, fetched, self._ctx.overlap, started)
        return ChangeSet(records=tuple(records), cursor=following.encode(), full=previous is None)

    def _record(self, row: Mapping[str, Any], kind: OpenItemKind) -> RemoteRecord[OpenItem]:
        invoice_date = parse_date(row.get("factuurDatum"))
        item = OpenItem(
            administration=self._ctx.administration,
            kind=kind,
            remote_id=str(row["id"]),
            remote_relation_id=ref_id(row.get("relatie")) or "",
            invoice_number=str(row.get("factuurnummer") or ""),
            invoice_date=invoice_date,
            due_date=parse_date(row.get("vervalDatum")) or invoice_date,
            amount=decimal(row.get("factuurBedrag")),
            open_amount=decimal(row.get("openstaandSaldo")),
        )
        stamp = parse_datetime(row.get("modifiedOn"))
        return RemoteRecord(
            administration=self._ctx.administration,
            remote_id=item.remote_id,
            data=item,
            version=str(row.get("modifiedOn") or "") or None,
            modified_at=aware(stamp, self._ctx.zone),
            active=item.open_amount != 0,
        )

    def project_costs(self, number: str, since: date | None) -> Sequence[ProjectCost]:
        """The cost mutations on kostenplaats ``number`` (from ``since`` on).

        ``project_id`` is the kostenplaats number: the backend does not know CRM project keys;
        the engine puts the CRM key in from its links.
        """
        found = self._projects.find(number)
        if found is None:
            return []
        clauses = [f"Kostenplaats/Id eq guid'{found.remote_id}'"]
        if since is not None:
            clauses.append(f"Datum ge {odata_datetime(datetime.combine(since, time()))}")
        params = {"$filter": " and ".join(clauses)}
        rows = iter_skip_top(
            self._ctx.api.get_json, "/grootboekmutaties", params, page_size=MAX_PAGE_SIZE
        )
        snapshot = self._ctx.refs.get()
        costs: list[ProjectCost] = []
        for row in rows:
            ledger_id = ref_id(row.get("grootboek")) or ""
            if snapshot.ledger_functions.get(ledger_id, "").startswith("Verkopen"):
                continue
            day = parse_date(row.get("datum"))
            if day is None:
                continue
            costs.append(
                ProjectCost(
                    administration=self._ctx.administration,
                    project_id=found.data.number,
                    remote_id=str(row["id"]),
                    date=day,
                    ledger_account=snapshot.ledger_codes.get(ledger_id, ledger_id or "?"),
                    description=row.get("omschrijving"),
                    amount=decimal(row.get("saldo")),
                    remote_relation_id=ref_id(row.get("relatiePublicIdentifier")),
                    invoice_number=row.get("factuurNummer"),
                )
            )
        return costs
