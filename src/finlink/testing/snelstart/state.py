"""One administration's data inside the sandbox, and the Dutch defaults it starts with.

Records are kept as wire dicts (lowerCamelCase keys, the OpenAPI schemas' names) with money as
:class:`~decimal.Decimal` and date-times as SnelStart-formatted strings, so that reading one back
is a copy and ``$filter`` evaluates over exactly what a client would see.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any

import attrs

from finlink.clock import Clock
from finlink.testing.snelstart.wire import format_datetime, identifier

__all__ = ["AdministrationState", "Record"]

#: A stored entity: a wire dict.
Record = dict[str, Any]

_NAMESPACE = uuid.UUID("5f0c2d1e-6a8b-4c3d-9e7f-0a1b2c3d4e5f")

#: Countries seeded into every administration: (ISO alpha-2, Dutch name). Whether SnelStart's
#: ``landcode``/``landcodeISO`` are alpha-2 or alpha-3 is UNVERIFIED (§3.2); the sandbox uses
#: alpha-2 for both, which is what KIOUI matches on.
DEFAULT_COUNTRIES: tuple[tuple[str, str], ...] = (
    ("NL", "Nederland"),
    ("BE", "België"),
    ("DE", "Duitsland"),
    ("FR", "Frankrijk"),
    ("LU", "Luxemburg"),
    ("GB", "Verenigd Koninkrijk"),
    ("IE", "Ierland"),
    ("ES", "Spanje"),
    ("PT", "Portugal"),
    ("IT", "Italië"),
    ("AT", "Oostenrijk"),
    ("DK", "Denemarken"),
    ("SE", "Zweden"),
    ("PL", "Polen"),
    ("GR", "Griekenland"),
    ("CH", "Zwitserland"),
    ("US", "Verenigde Staten"),
)

#: Ledgers seeded into every administration:
#: (nummer, omschrijving, rekeningCode, grootboekfunctie, btwSoort).
DEFAULT_LEDGERS: tuple[tuple[int, str, str, str, tuple[str, ...]], ...] = (
    (1100, "Bank", "Balans", "DagboekBank", ()),
    (1300, "Debiteuren", "Balans", "Diversen", ()),
    (1600, "Crediteuren", "Balans", "Diversen", ()),
    (1510, "Af te dragen btw hoog", "Balans", "BtwAfTeDragenHoog", ()),
    (1511, "Af te dragen btw laag", "Balans", "BtwAfteDragenLaag", ()),
    (1512, "Af te dragen btw overig", "Balans", "BtwAfTeDragenOverig", ()),
    (1513, "Af te dragen btw verlegd", "Balans", "BtwAfTeDragenVerlegdVerkopen", ()),
    (1520, "Te vorderen btw hoog", "Balans", "BtwTeVorderenHoog", ()),
    (1521, "Te vorderen btw laag", "Balans", "BtwTeVorderenLaag", ()),
    (1522, "Te vorderen btw overig", "Balans", "BtwTeVorderenOverig", ()),
    (1523, "Te vorderen btw verlegd", "Balans", "BtwTeVorderenVerlegdInkopen", ()),
    (4000, "Algemene kosten", "WinstEnVerlies", "InkopenKostenAlleBtwTarieven",
     ("Geen", "Laag", "Hoog", "Overig")),
    (4500, "Inkopen hoog", "WinstEnVerlies", "InkopenKostenHoog", ("Hoog",)),
    (8000, "Omzet hoog", "WinstEnVerlies", "VerkopenOmzetHoog", ("Hoog",)),
    (8010, "Omzet laag", "WinstEnVerlies", "VerkopenOmzetLaag", ("Laag",)),
    (8020, "Omzet verlegd", "WinstEnVerlies", "VerkopenOmzetOnbelastVerlegd", ("Geen",)),
    (8100, "Omzet btw-vrij", "WinstEnVerlies", "VerkopenBtwVrij", ("Geen",)),
)  # fmt: skip

#: The Dutch VAT history (Belastingdienst): 21 % / 9 % since 2019, 21 % / 6 % before.
DEFAULT_VAT_RATES: tuple[tuple[str, Decimal, date, date | None], ...] = (
    ("Geen", Decimal(0), date(2000, 1, 1), None),
    ("Laag", Decimal(6), date(2001, 1, 1), date(2018, 12, 31)),
    ("Laag", Decimal(9), date(2019, 1, 1), None),
    ("Hoog", Decimal(19), date(2001, 1, 1), date(2012, 9, 30)),
    ("Hoog", Decimal(21), date(2012, 10, 1), None),
)

#: Which ledger function books VAT of each btw-soort (for ``/grootboekmutaties``).
VAT_LEDGER_FUNCTIONS: dict[str, str] = {
    "VerkopenHoog": "BtwAfTeDragenHoog",
    "VerkopenLaag": "BtwAfteDragenLaag",
    "VerkopenOverig": "BtwAfTeDragenOverig",
    "VerkopenVerlegd": "BtwAfTeDragenVerlegdVerkopen",
    "InkopenHoog": "BtwTeVorderenHoog",
    "InkopenLaag": "BtwTeVorderenLaag",
    "InkopenOverig": "BtwTeVorderenOverig",
    "InkopenVerlegd": "BtwTeVorderenVerlegdInkopen",
}


@attrs.define(kw_only=True, eq=False)
class AdministrationState:
    """Everything one administration holds; mutated only under the sandbox's lock."""

    name: str
    product: str
    clock: Clock
    zone: tzinfo
    counter: int = 0
    landen: dict[str, Record] = attrs.field(factory=dict)
    kostenplaatsen: dict[str, Record] = attrs.field(factory=dict)
    grootboeken: dict[str, Record] = attrs.field(factory=dict)
    btwtarieven: list[Record] = attrs.field(factory=list)
    relaties: dict[str, Record] = attrs.field(factory=dict)
    verkoopboekingen: dict[str, Record] = attrs.field(factory=dict)
    inkoopboekingen: dict[str, Record] = attrs.field(factory=dict)
    verkoopfacturen: dict[str, Record] = attrs.field(factory=dict)
    inkoopfacturen: dict[str, Record] = attrs.field(factory=dict)
    grootboekmutaties: dict[str, Record] = attrs.field(factory=dict)
    #: document id → {"record": DocumentContentModel minus content, "content": bytes, "type": str}
    documenten: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: dagboek role ("verkoop", "inkoop", "bank") → id
    dagboeken: dict[str, str] = attrs.field(factory=dict)

    def new_id(self, kind: str) -> str:
        """A fresh, deterministic GUID for a record of ``kind``."""
        self.counter += 1
        return str(uuid.uuid5(_NAMESPACE, f"{self.name}/{kind}/{self.counter}"))

    def stable_id(self, kind: str, key: str) -> str:
        """A GUID fixed by (administration, kind, key): the same on every run.

        It differs between administrations on purpose: whether SnelStart's land GUIDs are the
        same across administrations is UNVERIFIED (§3.2), so a backend must not hard-code them.
        """
        return str(uuid.uuid5(_NAMESPACE, f"{self.name}/{kind}/{key}"))

    def now(self) -> datetime:
        """The administration's wall time (naive, in the sandbox's zone)."""
        return self.clock.now().astimezone(self.zone).replace(tzinfo=None)

    def stamp(self) -> str:
        """``now()`` formatted for a ``modifiedOn`` field."""
        return format_datetime(self.now())

    def seed_defaults(self) -> None:
        """Seed the Dutch defaults: countries, ledgers, VAT rates, dagboeken."""
        for iso, naam in DEFAULT_COUNTRIES:
            self.add_land(iso, naam)
        for nummer, omschrijving, rekening, functie, soorten in DEFAULT_LEDGERS:
            self.add_grootboek(
                nummer=nummer,
                omschrijving=omschrijving,
                rekening_code=rekening,
                functie=functie,
                btw_soort=soorten,
            )
        for soort, pct, vanaf, tot in DEFAULT_VAT_RATES:
            self.btwtarieven.append(
                {
                    "btwSoort": soort,
                    "btwPercentage": pct,
                    "datumVanaf": format_datetime(datetime.combine(vanaf, time())),
                    "datumTotEnMet": format_datetime(datetime.combine(tot, time()))
                    if tot
                    else None,
                }
            )
        for role in ("verkoop", "inkoop", "bank"):
            self.dagboeken[role] = self.stable_id("dagboek", role)

    def add_land(self, iso: str, naam: str) -> Record:
        """Add (or replace) a country with a stable GUID; returns its record."""
        id_ = self.stable_id("land", iso.upper())
        record: Record = {
            "naam": naam,
            "landcodeISO": iso.upper(),
            "landcode": iso.upper(),
            "id": id_,
            "uri": f"/landen/{id_}",
        }
        self.landen[id_] = record
        return record

    def add_grootboek(
        self,
        *,
        nummer: int,
        omschrijving: str,
        rekening_code: str = "WinstEnVerlies",
        functie: str = "Diversen",
        btw_soort: tuple[str, ...] = (),
        kostenplaats_verplicht: bool = False,
        nonactief: bool = False,
    ) -> Record:
        """Add a ledger account with a stable GUID; returns its record."""
        id_ = self.stable_id("grootboek", str(nummer))
        record: Record = {
            "modifiedOn": self.stamp(),
            "omschrijving": omschrijving,
            "kostenplaatsVerplicht": kostenplaats_verplicht,
            "rekeningCode": rekening_code,
            "nonactief": nonactief,
            "nummer": nummer,
            "grootboekfunctie": functie,
            "grootboekRubriek": None,
            "rgsCode": [],
            "btwSoort": list(btw_soort),
            "vatRateCode": None,
            "id": id_,
            "uri": f"/grootboeken/{id_}",
        }
        self.grootboeken[id_] = record
        return record

    def land_iso(self, land_id: str | None) -> str | None:
        """The ISO code of a land id, or None."""
        land = self.landen.get(land_id) if land_id else None
        return None if land is None else str(land["landcodeISO"])

    def grootboek_by_nummer(self, nummer: int) -> Record | None:
        """The ledger with ``nummer``, or None."""
        return next((g for g in self.grootboeken.values() if g["nummer"] == nummer), None)

    def grootboek_by_functie(self, functie: str) -> Record | None:
        """The first active ledger with grootboekfunctie ``functie``, or None."""
        return next(
            (
                g
                for g in self.grootboeken.values()
                if g["grootboekfunctie"] == functie and not g["nonactief"]
            ),
            None,
        )

    def documents_of(self, parent_id: str) -> list[Record]:
        """``documents`` (DocumentModel items) attached to ``parent_id``."""
        return [
            {
                "parentIdentifier": doc["record"]["parentIdentifier"],
                "fileName": doc["record"]["fileName"],
                "readOnly": doc["record"]["readOnly"],
                "id": doc_id,
                "uri": f"/documenten/{doc_id}",
            }
            for doc_id, doc in self.documenten.items()
            if doc["record"]["parentIdentifier"] == parent_id
        ]

    def dagboek(self, role: str) -> dict[str, str] | None:
        """The identifier object of the dagboek with ``role``."""
        return identifier("dagboeken", self.dagboeken.get(role))

    def iter_facturen(self) -> Iterator[tuple[str, Record]]:
        """Every invoice as (kind, record), verkoop first."""
        for record in self.verkoopfacturen.values():
            yield "verkoop", record
        for record in self.inkoopfacturen.values():
            yield "inkoop", record
