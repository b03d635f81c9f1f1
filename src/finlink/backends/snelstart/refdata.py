"""An administration's reference data, cached: landen, grootboeken, btw, kostenplaatsen.

- Countries are GUIDs from ``/landen``, which may differ per administration (§3.2): the
  cache maps ISO code ↔ GUID. ``landcodeISO`` is read as alpha-2 (UNVERIFIED, §3.2); where it
  is missing, ``landcode`` is tried.
- Ledger codes become grootboek GUIDs from ``/grootboeken`` (§3.4).
- VAT: the rates per btw-soort and date come from ``/btwtarieven`` (§3.5), so a booking's VAT is
  computed at the rate SnelStart itself applies; a host may pass its own :class:`VatRates`
  and its own category → btw-soort map.
- ``/kostenplaatsen`` has no OData (§5 quirk 12): the list is read whole and kept, and read
  again when a number is missing from it.

One lock guards the cache; the calls happen outside it only where a stale read is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from finlink._errors import BackendError
from finlink.backends.reference import Country, LedgerAccount, ReferenceData, VatCode
from finlink.backends.snelstart.limits import MAX_PAGE_SIZE
from finlink.backends.snelstart.wire import parse_date
from finlink.http import ApiClient, iter_skip_top
from finlink.model.enums import VatCategory
from finlink.model.vat import VatRate, VatRates

__all__ = ["DEFAULT_BTW_SOORTEN", "ReferenceCache", "vat_rates_from"]

#: VAT category → the btw-soort of a boekingsregel (§3.5: Geen, Laag, Hoog, Overig).
DEFAULT_BTW_SOORTEN: Mapping[VatCategory, str] = {
    VatCategory.HIGH: "Hoog",
    VatCategory.LOW: "Laag",
    VatCategory.INTERMEDIATE: "Overig",
    VatCategory.ZERO: "Geen",
    VatCategory.EXEMPT: "Geen",
    VatCategory.REVERSE_CHARGE: "Geen",
    VatCategory.EU_GOODS: "Geen",
    VatCategory.EU_SERVICES: "Geen",
    VatCategory.NON_EU: "Geen",
}
_CATEGORY_OF_SOORT = {"Hoog": VatCategory.HIGH, "Laag": VatCategory.LOW, "Geen": VatCategory.ZERO}


def vat_rates_from(rows: list[Mapping[str, Any]], soorten: Mapping[VatCategory, str]) -> VatRates:
    """A :class:`VatRates` table from ``/btwtarieven`` rows and a category → soort map.

    Every category mapped to a soort gets that soort's dated rates; a category mapped to
    ``Geen`` (or to a soort ``/btwtarieven`` lacks) is taxed at 0 %.
    """
    by_soort: dict[str, list[tuple[date, Decimal]]] = {}
    for row in rows:
        start = parse_date(row.get("datumVanaf")) or date(1900, 1, 1)
        pct = Decimal(str(row.get("btwPercentage") or 0))
        by_soort.setdefault(str(row.get("btwSoort")), []).append((start, pct / 100))
    rates: list[VatRate] = []
    for category, soort in soorten.items():
        dated = by_soort.get(soort) if soort != "Geen" else None
        if not dated:
            rates.append(VatRate(category=category, rate=Decimal(0)))
            continue
        rates.extend(VatRate(category=category, rate=r, valid_from=d) for d, r in dated)
    return VatRates.of(rates)


@attrs.define
class _Snapshot:
    data: ReferenceData
    ledger_ids: dict[str, str]
    ledger_codes: dict[str, str]
    ledger_functions: dict[str, str]
    land_ids: dict[str, str]
    land_isos: dict[str, str]
    vat_rates: VatRates


class ReferenceCache:
    """The administration's reference data, fetched on first use and kept.

    Args:
        api: The administration's client.
        btw_soorten: VAT category → btw-soort of a line.
        vat_rates: A table to use instead of ``/btwtarieven``.
        today: Gives the date that decides which VAT codes are current.
    """

    def __init__(
        self,
        api: ApiClient,
        *,
        btw_soorten: Mapping[VatCategory, str],
        vat_rates: VatRates | None,
        today: Any,
    ) -> None:
        self._api = api
        self._soorten = dict(btw_soorten)
        self._override = vat_rates
        self._today = today
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._kostenplaatsen: dict[int, dict[str, Any]] | None = None

    def get(self, *, refresh: bool = False) -> _Snapshot:
        """The cached snapshot, read from SnelStart on first use or when ``refresh``."""
        with self._lock:
            if self._snapshot is not None and not refresh:
                return self._snapshot
        snapshot = self._read()
        with self._lock:
            self._snapshot = snapshot
        return snapshot

    def _read(self) -> _Snapshot:
        landen = self._api.get_json("/landen")
        btw = self._api.get_json("/btwtarieven")
        grootboeken = list(
            iter_skip_top(self._api.get_json, "/grootboeken", page_size=MAX_PAGE_SIZE)
        )
        if not isinstance(landen, list) or not isinstance(btw, list):
            raise BackendError("SnelStart answered /landen or /btwtarieven without a list")
        countries = []
        for land in landen:
            iso = str(land.get("landcodeISO") or land.get("landcode") or "").upper()
            if len(iso) == 2 and land.get("id"):
                countries.append(
                    Country(code=iso, name=str(land.get("naam") or iso), remote_id=str(land["id"]))
                )
        ledgers = [
            LedgerAccount(
                code=str(g["nummer"]),
                description=str(g.get("omschrijving") or ""),
                remote_id=str(g["id"]),
                requires_cost_centre=bool(g.get("kostenplaatsVerplicht")),
                active=not g.get("nonactief"),
            )
            for g in grootboeken
            if g.get("nummer") is not None and g.get("id")
        ]
        rates = self._override or vat_rates_from(btw, self._soorten)
        return _Snapshot(
            data=ReferenceData(
                ledger_accounts=tuple(ledgers),
                vat_codes=self._vat_codes(btw),
                journals=(),  # SnelStart picks the sales/purchase dagboek itself (§3.6).
                countries=tuple(countries),
            ),
            ledger_ids={acc.code: acc.remote_id for acc in ledgers},
            ledger_codes={acc.remote_id: acc.code for acc in ledgers},
            ledger_functions={
                str(g["id"]): str(g.get("grootboekfunctie") or "")
                for g in grootboeken
                if g.get("id")
            },
            land_ids={c.code: c.remote_id for c in countries},
            land_isos={c.remote_id: c.code for c in countries},
            vat_rates=rates,
        )

    def _vat_codes(self, rows: list[Mapping[str, Any]]) -> tuple[VatCode, ...]:
        today: date = self._today()
        codes: dict[str, VatCode] = {}
        for row in rows:
            start = parse_date(row.get("datumVanaf"))
            end = parse_date(row.get("datumTotEnMet"))
            if (start is not None and start > today) or (end is not None and end < today):
                continue
            soort = str(row.get("btwSoort"))
            pct = Decimal(str(row.get("btwPercentage") or 0))
            codes[soort] = VatCode(
                code=soort,
                description=f"Btw {soort.lower()} {pct.normalize():f} %",
                rate=pct / 100,
                category=_CATEGORY_OF_SOORT.get(soort),
            )
        return tuple(codes[s] for s in sorted(codes))

    # -- kostenplaatsen ---------------------------------------------------------------------

    def kostenplaatsen(self, *, refresh: bool = False) -> dict[int, dict[str, Any]]:
        """Kostenplaats number → record, the whole list (no OData on this resource)."""
        with self._lock:
            if self._kostenplaatsen is not None and not refresh:
                return self._kostenplaatsen
        rows = self._api.get_json("/kostenplaatsen")
        if not isinstance(rows, list):
            raise BackendError("SnelStart answered /kostenplaatsen without a list")
        found = {int(r["nummer"]): r for r in rows if r.get("nummer") is not None}
        with self._lock:
            self._kostenplaatsen = found
        return found

    def remember_kostenplaats(self, record: Mapping[str, Any]) -> None:
        """Put a created or updated kostenplaats into the cached list."""
        with self._lock:
            if self._kostenplaatsen is not None and record.get("nummer") is not None:
                self._kostenplaatsen[int(record["nummer"])] = dict(record)
