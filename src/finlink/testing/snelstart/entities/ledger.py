"""Open invoices and ledger mutations, plus the bookkeeping behind them.

Endpoints: ``/verkoopfacturen``, ``/inkoopfacturen`` and ``/grootboekmutaties`` (reference
§3.8, §3.10).

A boeking creates one invoice whose ``openstaandSaldo`` starts at ``factuurBedrag`` and drops
with every payment ("0 means paid", §3.8), and the double-entry ``grootboekmutaties`` a
bookkeeper would see: for a sale, Debiteuren debit, revenue credit per line (with its
kostenplaats) and VAT payable credit; for a purchase the mirror image on Crediteuren and VAT
receivable. ``saldo`` is ``debet - credit`` (SPEC).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from finlink.testing.snelstart.entities.base import Call, Handler, Reply, Route, lookup, odata_list
from finlink.testing.snelstart.errors import ApiError
from finlink.testing.snelstart.odata import FieldType, Many
from finlink.testing.snelstart.state import VAT_LEDGER_FUNCTIONS, AdministrationState, Record
from finlink.testing.snelstart.wire import format_datetime, identifier

__all__ = [
    "FACTUUR_FIELDS",
    "MUTATIE_FIELDS",
    "ROUTES",
    "book",
    "drop_boeking",
    "public",
    "record_payment",
    "sync_factuur",
]

#: When neither the boeking's betalingstermijn nor the relatie's krediettermijn is set, the
#: sandbox uses 14 days for ``vervalDatum`` (SnelStart's default is UNVERIFIED).
DEFAULT_TERM_DAYS = 14

_IDENT: FieldType = {"id": "guid", "uri": "string"}
_DOC: FieldType = Many({"parentIdentifier": "guid", "fileName": "string", "readOnly": "boolean",
                        "id": "guid", "uri": "string"})  # fmt: skip
_FACTUUR_COMMON: dict[str, FieldType] = {
    "modifiedOn": "datetime",
    "openstaandSaldo": "decimal",
    "factuurnummer": "string",
    "vervalDatum": "datetime",
    "relatie": _IDENT,
    "factuurDatum": "datetime",
    "factuurBedrag": "decimal",
}
#: ``VerkoopfactuurModel`` / ``InkoopfactuurModel`` (SPEC) for OData.
FACTUUR_FIELDS: dict[str, dict[str, FieldType]] = {
    "verkoop": {"verkoopBoeking": _IDENT, **_FACTUUR_COMMON, "verkoopOrders": Many(_IDENT),
                "id": "guid", "uri": "string"},
    "inkoop": {**_FACTUUR_COMMON, "inkoopBoeking": _IDENT, "id": "guid", "uri": "string"},
}  # fmt: skip
#: ``GrootboekMutatieModel`` (SPEC) for OData.
MUTATIE_FIELDS: dict[str, FieldType] = {
    "grootboek": _IDENT,
    "kostenplaats": _IDENT,
    "datum": "datetime",
    "modifiedOn": "datetime",
    "dagboek": _IDENT,
    "omschrijving": "string",
    "debet": "decimal",
    "credit": "decimal",
    "saldo": "decimal",
    "documents": _DOC,
    "boekstuk": "string",
    "factuurNummer": "string",
    "relatiePublicIdentifier": _IDENT,
    "id": "guid",
    "uri": "string",
}
_STORE = {"verkoop": "verkoopfacturen", "inkoop": "inkoopfacturen"}
_PARTY = {"verkoop": "klant", "inkoop": "leverancier"}


def public(record: Record) -> Record:
    """``record`` without the sandbox's private bookkeeping keys (those starting with ``_``)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _mutatie(
    state: AdministrationState,
    source: str,
    boeking: Record,
    grootboek: Record,
    amount: Decimal,
    *,
    dagboek: str,
    kostenplaats: object = None,
    omschrijving: object = None,
    datum: str | None = None,
) -> Record:
    """One mutation; ``amount`` is positive for a debit."""
    id_ = state.new_id("mutatie")
    debet, credit = (amount, Decimal(0)) if amount >= 0 else (Decimal(0), -amount)
    party = boeking.get("klant") or boeking.get("leverancier") or boeking.get("relatie")
    return {
        "grootboek": identifier("grootboeken", grootboek["id"]),
        "kostenplaats": kostenplaats,
        "datum": datum or boeking.get("factuurdatum") or boeking.get("factuurDatum"),
        "modifiedOn": state.stamp(),
        "dagboek": state.dagboek(dagboek),
        "omschrijving": omschrijving or boeking.get("omschrijving"),
        "debet": debet,
        "credit": credit,
        "saldo": debet - credit,
        "documents": [],
        "boekstuk": boeking.get("boekstuk"),
        "factuurNummer": boeking.get("factuurnummer"),
        "relatiePublicIdentifier": party,
        "id": id_,
        "uri": f"/grootboekmutaties/{id_}",
        "_source": source,
    }


def book(state: AdministrationState, kind: str, boeking: Record) -> None:
    """Replace the mutations of ``boeking`` (before it is stored, so it can still fail).

    Raises:
        ApiError: ``BOE-0081`` when a ledger needed for the VAT or the debtors/creditors
            account does not exist ("Er is geen grootboekrekening aanwezig voor de volgende
            grootboekfuncties").
    """
    sign = Decimal(1) if kind == "verkoop" else Decimal(-1)
    control = state.grootboek_by_nummer(1300 if kind == "verkoop" else 1600)
    vat_ledgers = {
        line["btwSoort"]: state.grootboek_by_functie(VAT_LEDGER_FUNCTIONS.get(line["btwSoort"], ""))
        for line in boeking["btw"]
        if line["btwBedrag"] != 0
    }
    if control is None or any(ledger is None for ledger in vat_ledgers.values()):
        raise ApiError("BOE-0081")
    new = [_mutatie(state, boeking["id"], boeking, control, sign * boeking["factuurbedrag"],
                    dagboek=kind)]  # fmt: skip
    for regel in boeking["boekingsregels"]:
        ledger = state.grootboeken[regel["grootboek"]["id"]]
        new.append(
            _mutatie(state, boeking["id"], boeking, ledger, -sign * regel["bedrag"], dagboek=kind,
                     kostenplaats=regel["kostenplaats"], omschrijving=regel["omschrijving"])
        )  # fmt: skip
    for line in boeking["btw"]:
        vat_ledger = vat_ledgers.get(line["btwSoort"])
        if vat_ledger is not None:
            amount = -sign * line["btwBedrag"]
            new.append(_mutatie(state, boeking["id"], boeking, vat_ledger, amount, dagboek=kind))
    _drop_mutaties(state, boeking["id"])
    state.grootboekmutaties.update((m["id"], m) for m in new)


def _drop_mutaties(state: AdministrationState, source: str) -> None:
    for id_ in [k for k, m in state.grootboekmutaties.items() if m["_source"] == source]:
        del state.grootboekmutaties[id_]


def _factuur_of(state: AdministrationState, kind: str, boeking_id: str) -> Record | None:
    link = f"{kind}Boeking"
    store: dict[str, Record] = getattr(state, _STORE[kind])
    return next((f for f in store.values() if f[link]["id"] == boeking_id), None)


def sync_factuur(state: AdministrationState, kind: str, boeking: Record) -> Record:
    """Create or refresh the open invoice of ``boeking``; returns it."""
    factuur = _factuur_of(state, kind, boeking["id"])
    relatie = state.relaties.get(boeking[_PARTY[kind]]["id"], {})
    termijn = boeking.get("betalingstermijn")
    if termijn is None:
        termijn = relatie.get("krediettermijn")
    if termijn is None:
        termijn = DEFAULT_TERM_DAYS
    datum = datetime.fromisoformat(boeking["factuurdatum"])
    if factuur is None:
        id_ = state.new_id(f"{kind}factuur")
        factuur = {"_betaald": Decimal(0), "id": id_}
        getattr(state, _STORE[kind])[id_] = factuur
    paid: Decimal = factuur["_betaald"]
    link = {f"{kind}Boeking": identifier(f"{kind}boekingen", boeking["id"])}
    factuur.update(
        {
            **(link if kind == "verkoop" else {}),
            "modifiedOn": state.stamp(),
            "openstaandSaldo": boeking["factuurbedrag"] - paid,
            "factuurnummer": boeking["factuurnummer"],
            "vervalDatum": format_datetime(datum + timedelta(days=termijn)),
            "relatie": identifier("relaties", boeking[_PARTY[kind]]["id"]),
            "factuurDatum": boeking["factuurdatum"],
            "factuurBedrag": boeking["factuurbedrag"],
            **({"verkoopOrders": list[object]()} if kind == "verkoop" else link),
            "uri": f"/{_STORE[kind]}/{factuur['id']}",
        }
    )
    # Keep the SPEC's property order: id and uri last.
    factuur["id"] = factuur.pop("id")
    factuur["uri"] = factuur.pop("uri")
    return factuur


def drop_boeking(state: AdministrationState, kind: str, boeking: Record) -> None:
    """Delete ``boeking`` with its invoice, mutations and documents.

    Raises:
        ApiError: ``BOE-0083`` when the invoice has payments.
    """
    factuur = _factuur_of(state, kind, boeking["id"])
    if factuur is not None and factuur["_betaald"] != 0:
        raise ApiError("BOE-0083")
    if factuur is not None:
        del getattr(state, _STORE[kind])[factuur["id"]]
        _drop_mutaties(state, factuur["id"])
    _drop_mutaties(state, boeking["id"])
    for doc_id in [d["id"] for d in state.documents_of(boeking["id"])]:
        del state.documenten[doc_id]
    del getattr(state, f"{kind}boekingen")[boeking["id"]]


def record_payment(
    state: AdministrationState, kind: str, factuur: Record, amount: Decimal, on: datetime
) -> None:
    """Book a payment of ``amount`` against ``factuur`` through the bank dagboek."""
    factuur["_betaald"] += amount
    factuur["openstaandSaldo"] = factuur["factuurBedrag"] - factuur["_betaald"]
    factuur["modifiedOn"] = state.stamp()
    bank = state.grootboek_by_nummer(1100)
    control = state.grootboek_by_nummer(1300 if kind == "verkoop" else 1600)
    if bank is None or control is None:
        return
    sign = Decimal(1) if kind == "verkoop" else Decimal(-1)
    source = {**factuur, "factuurnummer": factuur["factuurnummer"], "omschrijving": "Betaling"}
    datum = format_datetime(on)
    for ledger, amt in ((bank, sign * amount), (control, -sign * amount)):
        mutatie = _mutatie(state, factuur["id"], source, ledger, amt, dagboek="bank", datum=datum)
        state.grootboekmutaties[mutatie["id"]] = mutatie


def _facturen(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        views = [public(f) for f in getattr(call.state, _STORE[kind]).values()]
        return Reply(status=200, body=odata_list(call, views, FACTUUR_FIELDS[kind]))

    return handler


def _factuur(call: Call) -> Reply:
    record = lookup(call.state.verkoopfacturen, call.params["id"], "verkoopfactuur")
    return Reply(status=200, body=public(record))


def _mutaties(call: Call) -> Reply:
    if "$apply" in call.query:
        # P-ODATA documents $apply aggregations here; the sandbox does not emulate them and says
        # so rather than answering with a made-up shape.
        return Reply(
            status=501, body={"Message": "$apply is not emulated by finlink's SnelStart sandbox"}
        )
    views = [public(m) for m in call.state.grootboekmutaties.values()]
    return Reply(status=200, body=odata_list(call, views, MUTATIE_FIELDS))


def _mutatie_by_id(call: Call) -> Reply:
    record = lookup(call.state.grootboekmutaties, call.params["id"], "grootboekmutatie")
    return Reply(status=200, body=public(record))


ROUTES: list[Route] = [
    ("GET", ("verkoopfacturen",), _facturen("verkoop")),
    ("GET", ("verkoopfacturen", "{id}"), _factuur),
    # SPEC: /inkoopfacturen has no GET by id.
    ("GET", ("inkoopfacturen",), _facturen("inkoop")),
    ("GET", ("grootboekmutaties",), _mutaties),
    ("GET", ("grootboekmutaties", "{id}"), _mutatie_by_id),
]
