"""The test-facing side of one administration.

Seed, inspect and change data as the bookkeeper would, without going through HTTP (and without
counting against the rate limits).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal, TypeVar

import attrs

from finlink.testing.snelstart.app import CallRecord, SandboxCore
from finlink.testing.snelstart.entities import relaties
from finlink.testing.snelstart.entities.base import Call
from finlink.testing.snelstart.entities.ledger import public, record_payment
from finlink.testing.snelstart.limits import Product
from finlink.testing.snelstart.state import AdministrationState, Record
from finlink.testing.snelstart.wire import encode_json, format_datetime

__all__ = ["AdministrationKeys", "SandboxAdministration"]

InvoiceKind = Literal["verkoop", "inkoop"]
_T = TypeVar("_T")
_COLLECTIONS = (
    "relaties", "kostenplaatsen", "grootboeken", "landen", "verkoopboekingen", "inkoopboekingen",
    "verkoopfacturen", "inkoopfacturen", "grootboekmutaties",
)  # fmt: skip
_STAMPED = frozenset(
    {"relaties", "grootboeken", "verkoopboekingen", "inkoopboekingen", "verkoopfacturen",
     "inkoopfacturen", "grootboekmutaties"}
)  # fmt: skip


@attrs.frozen(kw_only=True)
class AdministrationKeys:
    """What a client needs to reach one administration.

    Attributes:
        name: The administration's name in the sandbox.
        koppelsleutel: The client key (Base64 of ``username:password``, §1.3) for
            ``grant_type=clientkey``.
        subscription_key: The primary subscription key of the administration's product.
        product: The subscription product whose limits apply.
    """

    name: str
    koppelsleutel: str = attrs.field(repr=False)
    subscription_key: str = attrs.field(repr=False)
    product: Product


class SandboxAdministration:
    """One administration's test-facing API; get it from ``SnelStartSandbox.administration``.

    Every method works under the sandbox lock and returns copies, never live records.
    """

    def __init__(self, core: SandboxCore, keys: AdministrationKeys) -> None:
        self._core = core
        #: The keys of this administration.
        self.keys = keys
        self.name = keys.name

    def _with_state(self, action: Callable[[AdministrationState], _T]) -> _T:
        with self._core.lock:
            return action(self._core.states[self.name])

    # ------------------------------------------------------------------ seeding

    def add_ledger(
        self,
        nummer: int,
        omschrijving: str,
        *,
        kostenplaats_verplicht: bool = False,
        functie: str = "Diversen",
        rekening_code: str = "WinstEnVerlies",
        btw_soort: tuple[str, ...] = (),
        nonactief: bool = False,
    ) -> Record:
        """Add or replace a grootboek (ledger account) with a stable id; returns a copy."""

        def add(state: AdministrationState) -> Record:
            record = state.add_grootboek(
                nummer=nummer,
                omschrijving=omschrijving,
                rekening_code=rekening_code,
                functie=functie,
                btw_soort=btw_soort,
                nonactief=nonactief,
                kostenplaats_verplicht=kostenplaats_verplicht,
            )
            return copy.deepcopy(record)

        return self._with_state(add)

    def add_country(self, iso: str, naam: str) -> Record:
        """Add or replace a land (country) with a stable id; returns a copy."""
        return self._with_state(lambda s: copy.deepcopy(s.add_land(iso, naam)))

    def add_vat_rate(
        self, btw_soort: str, percentage: Decimal, vanaf: date, tot_en_met: date | None = None
    ) -> None:
        """Add a row to ``/btwtarieven``."""
        row: Record = {
            "btwSoort": btw_soort,
            "btwPercentage": Decimal(percentage),
            "datumVanaf": format_datetime(datetime.combine(vanaf, time())),
            "datumTotEnMet": format_datetime(datetime.combine(tot_en_met, time()))
            if tot_en_met
            else None,
        }
        self._with_state(lambda s: s.btwtarieven.append(row))

    def add_relatie(self, body: Mapping[str, Any]) -> Record:
        """Create a relatie from a ``RelatieWriteModel`` dict, with the API's validation.

        Raises:
            ApiError: When the body breaks one of SnelStart's rules (its ``codes`` say which).
            ModelStateError: When the body fails model validation.
        """

        def create(state: AdministrationState) -> Record:
            call = Call(state=state, params={}, query={}, body=encode_json(dict(body)))
            reply = relaties.create(call)
            assert isinstance(reply.body, dict)
            return reply.body

        return self._with_state(create)

    # ------------------------------------------------------------------ inspecting

    def records(self, collection: str) -> list[Record]:
        """Copies of every record in ``collection`` (e.g. ``"relaties"``, ``"verkoopfacturen"``).

        Raises:
            ValueError: For an unknown collection name.
        """
        if collection not in _COLLECTIONS:
            raise ValueError(f"unknown collection {collection!r}; use one of {_COLLECTIONS}")
        return self._with_state(
            lambda s: [public(copy.deepcopy(r)) for r in getattr(s, collection).values()]
        )

    def relaties(self) -> list[Record]:
        """Every relatie."""
        return self.records("relaties")

    def bookings(self, kind: InvoiceKind = "verkoop") -> list[Record]:
        """Every verkoop- or inkoopboeking."""
        return self.records(f"{kind}boekingen")

    def invoices(self, kind: InvoiceKind = "verkoop") -> list[Record]:
        """Every verkoop- or inkoopfactuur (open item)."""
        return self.records(f"{kind}facturen")

    def documents(self) -> list[Record]:
        """Every document: id, type, parentIdentifier, fileName, readOnly and content bytes."""
        return self._with_state(
            lambda s: [
                {"id": k, "type": d["type"], **d["record"], "content": d["content"]}
                for k, d in s.documenten.items()
            ]
        )

    def land_id(self, iso: str) -> str:
        """The GUID of the country with ISO code ``iso`` in this administration.

        Raises:
            KeyError: When there is no such country.
        """
        found = [r["id"] for r in self.records("landen") if r["landcodeISO"] == iso.upper()]
        if not found:
            raise KeyError(iso)
        return str(found[0])

    def grootboek_id(self, nummer: int) -> str:
        """The GUID of the ledger with ``nummer``.

        Raises:
            KeyError: When there is no such ledger.
        """
        found = [r["id"] for r in self.records("grootboeken") if r["nummer"] == nummer]
        if not found:
            raise KeyError(nummer)
        return str(found[0])

    def calls(self) -> list[CallRecord]:
        """Every data call this administration received, oldest first."""
        with self._core.lock:
            return list(self._core.calls.get(self.name, []))

    def call_count(self, method: str | None = None, path: str | None = None) -> int:
        """How many data calls arrived, optionally only ``method`` and/or under ``path``."""
        return sum(
            1
            for c in self.calls()
            if (method is None or c.method == method.upper())
            and (path is None or c.path == path or c.path.startswith(path.rstrip("/") + "/"))
        )

    def in_flight(self) -> int:
        """Calls admitted and not yet answered, under this administration's product."""
        return self._core.limiter(self.name, self.keys.product).in_flight

    # ------------------------------------------------------------------ the bookkeeper

    def record_payment(
        self,
        factuurnummer: str,
        amount: Decimal | int | str,
        *,
        kind: InvoiceKind = "verkoop",
        relatie_id: str | None = None,
        on: date | None = None,
    ) -> Record:
        """Book a (partial) payment so the invoice's ``openstaandSaldo`` drops; returns it.

        ``relatie_id`` picks among purchase invoices with the same number from different
        suppliers.

        Raises:
            KeyError: When no (or more than one) invoice matches.
        """

        def pay(state: AdministrationState) -> Record:
            store: dict[str, Record] = getattr(state, f"{kind}facturen")
            found = [
                f
                for f in store.values()
                if f["factuurnummer"] == factuurnummer
                and (relatie_id is None or f["relatie"]["id"] == relatie_id)
            ]
            if len(found) != 1:
                raise KeyError(factuurnummer)
            moment = datetime.combine(on, time()) if on else state.now()
            record_payment(state, kind, found[0], Decimal(amount), moment)
            return public(copy.deepcopy(found[0]))

        return self._with_state(pay)

    def edit(self, collection: str, id_: str, **changes: Any) -> Record:
        """Change fields of a record as the bookkeeper would in SnelStart (no API validation).

        Field names are the JSON ones (``naam``, ``vestigingsAdres``); records that carry
        ``modifiedOn`` get it bumped to the sandbox's now. Returns a copy.

        Raises:
            ValueError: For an unknown collection or field.
            KeyError: When there is no record with ``id_``.
        """
        if collection not in _COLLECTIONS:
            raise ValueError(f"unknown collection {collection!r}")

        def change(state: AdministrationState) -> Record:
            record: Record = getattr(state, collection)[id_]
            unknown = set(changes) - set(record)
            if unknown:
                raise ValueError(f"unknown field(s) {sorted(unknown)}")
            record.update(copy.deepcopy(changes))
            if collection in _STAMPED:
                record["modifiedOn"] = state.stamp()
            return public(copy.deepcopy(record))

        return self._with_state(change)

    def edit_relatie(self, id_: str, **changes: Any) -> Record:
        """:meth:`edit` on ``relaties``."""
        return self.edit("relaties", id_, **changes)

    def delete(self, collection: str, id_: str) -> None:
        """Hard-delete a record as the bookkeeper would (no checks).

        Raises:
            ValueError: For an unknown collection.
            KeyError: When there is no record with ``id_``.
        """
        if collection not in _COLLECTIONS:
            raise ValueError(f"unknown collection {collection!r}")
        self._with_state(lambda s: getattr(s, collection).pop(id_))

    def __repr__(self) -> str:
        return f"SandboxAdministration(name={self.name!r}, product={self.keys.product.value!r})"
