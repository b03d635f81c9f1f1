"""``/verkoopboekingen`` and ``/inkoopboekingen`` with SnelStart's BOE-* rules (§3.6, §3.7).

Rules (P-ERR unless noted): the factuurnummer is required and at most 25 characters
(BOE-0058) and unique (BOE-0021: per administration for sales; per supplier for purchases,
because suppliers' numbers collide — UNVERIFIED); the relatie must exist (REL-0005 / BOE-0002)
and be a klant (BOE-0060) or leverancier (BOE-0003) and active (BOE-0054); there must be lines
(BOE-0023) with a non-zero amount (BOE-0028) on an existing (BOE-0037), active (BOE-0008)
ledger; a ledger with ``kostenplaatsVerplicht`` needs a kostenplaats on the line (BOE-0022),
which must exist (BOE-0019) and be active (BOE-0026); ``factuurbedrag`` must equal Σ line
amounts (excl. VAT) + Σ VAT amounts exactly (BOE-0039, §5 quirk 8); "verlegd" VAT cannot be
combined with other VAT kinds (BOE-0062); the date may not be more than 5 years before the
current boekjaar (BOE-0033). There is no list endpoint (§3.6, §5 quirk 11).

Creating a boeking creates its open invoice (``/verkoopfacturen`` / ``/inkoopfacturen``) and its
``/grootboekmutaties``, as booking one in SnelStart does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from finlink.testing.snelstart.entities.base import Call, Handler, Reply, Route, lookup, too_long
from finlink.testing.snelstart.entities.ledger import book, drop_boeking, sync_factuur
from finlink.testing.snelstart.errors import ApiError, ModelStateError
from finlink.testing.snelstart.state import AdministrationState, Record
from finlink.testing.snelstart.wire import (
    decode_json,
    format_datetime,
    identifier,
    optional_str,
    parse_datetime,
    parse_guid,
    ref_id,
)

__all__ = ["ROUTES", "boeking_view"]

_EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
_REGEL_SOORTEN = (None, "Geen", "Laag", "Hoog", "Overig")
_BTW_SOORTEN = {
    "verkoop": ("Geen", "VerkopenLaag", "VerkopenHoog", "VerkopenOverig", "VerkopenVerlegd",
                "InkopenLaag", "InkopenHoog", "InkopenOverig"),
    "inkoop": ("Geen", "VerkopenLaag", "VerkopenHoog", "VerkopenOverig", "InkopenLaag",
               "InkopenHoog", "InkopenOverig", "InkopenVerlegd"),
}  # fmt: skip
_PARTY = {"verkoop": "klant", "inkoop": "leverancier"}
_STORE = {"verkoop": "verkoopboekingen", "inkoop": "inkoopboekingen"}


def boeking_view(state: AdministrationState, record: Record) -> Record:
    """The wire form of a stored boeking (documents attached at read time)."""
    return {**record, "documents": state.documents_of(record["id"])}


def _amount(field: str, value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ModelStateError({f"model.{field}": [f"Could not convert {value!r} to Decimal."]})
    return Decimal(value)


def _party_codes(state: AdministrationState, kind: str, party_id: str | None) -> list[str]:
    relatie = state.relaties.get(party_id) if party_id else None
    if kind == "verkoop":
        if relatie is None:
            return ["REL-0005"]
        if "Klant" not in relatie["relatiesoort"]:
            return ["BOE-0060"]
    else:
        if relatie is None:
            return ["BOE-0002"]
        if "Leverancier" not in relatie["relatiesoort"]:
            return ["BOE-0003"]
    return ["BOE-0054"] if relatie["nonactief"] else []


def _regels(state: AdministrationState, raw: object, codes: list[str]) -> list[Record]:
    if not isinstance(raw, list) or not raw:
        codes.append("BOE-0023")
        return []
    regels: list[Record] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise ModelStateError({f"model.boekingsregels[{index}]": ["Invalid line."]})
        grootboek_id = ref_id(item.get("grootboek"))
        grootboek = state.grootboeken.get(grootboek_id) if grootboek_id else None
        kostenplaats_id = ref_id(item.get("kostenplaats"))
        kostenplaats = state.kostenplaatsen.get(kostenplaats_id) if kostenplaats_id else None
        if grootboek is None:
            codes.append("BOE-0037")
        elif grootboek["nonactief"]:
            codes.append("BOE-0008")
        elif grootboek["kostenplaatsVerplicht"] and item.get("kostenplaats") is None:
            codes.append("BOE-0022")
        if item.get("kostenplaats") is not None:
            if kostenplaats is None:
                codes.append("BOE-0019")
            elif kostenplaats["nonactief"]:
                codes.append("BOE-0026")
        bedrag = _amount(f"boekingsregels[{index}].bedrag", item.get("bedrag"))
        if bedrag == 0:
            codes.append("BOE-0028")
        omschrijving = optional_str(item, "omschrijving")
        if too_long(omschrijving, 250):
            codes.append("BOE-0071")
        soort = item.get("btwSoort")
        if soort not in _REGEL_SOORTEN:
            raise ModelStateError({f"model.boekingsregels[{index}].btwSoort": ["Invalid value."]})
        regels.append(
            {
                "omschrijving": omschrijving,
                "grootboek": identifier("grootboeken", grootboek_id if grootboek else None),
                "kostenplaats": identifier(
                    "kostenplaatsen", kostenplaats_id if kostenplaats else None
                ),
                "bedrag": bedrag,
                "btwSoort": soort,
            }
        )
    return regels


def _btw(kind: str, raw: object, codes: list[str]) -> list[Record]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ModelStateError({"model.btw": ["Invalid value."]})
    lines: list[Record] = []
    for index, item in enumerate(raw):
        soort = item.get("btwSoort") if isinstance(item, Mapping) else None
        if soort not in _BTW_SOORTEN[kind]:
            raise ModelStateError({f"model.btw[{index}].btwSoort": ["Invalid value."]})
        assert isinstance(item, Mapping)
        lines.append({"btwSoort": soort, "btwBedrag": _amount("btwBedrag", item.get("btwBedrag"))})
    soorten = {line["btwSoort"] for line in lines if line["btwBedrag"] != 0}
    if any(s.endswith("Verlegd") for s in soorten) and len(soorten) > 1:
        codes.append("BOE-0062")
    return lines


def _verkoop_fields(
    state: AdministrationState, body: Mapping[str, Any], klant_id: str | None, codes: list[str]
) -> Record:
    """The betalingstermijn and direct-debit mandates, which only sales bookings have (§3.6)."""
    termijn = body.get("betalingstermijn")
    if termijn is not None and (
        isinstance(termijn, bool) or not isinstance(termijn, int) or not 0 <= termijn <= 999
    ):
        raise ModelStateError(
            {"model.betalingstermijn": ["The field Betalingstermijn must be between 0 and 999."]}
        )
    eenmalig = body.get("eenmaligeIncassoMachtiging")
    doorlopend = body.get("doorlopendeIncassoMachtiging")
    if eenmalig is not None and doorlopend is not None:
        codes.append("BOE-0064")
    if eenmalig is not None:
        if not isinstance(eenmalig, Mapping) or not eenmalig.get("omschrijving"):
            raise ModelStateError(
                {"model.eenmaligeIncassoMachtiging": ["Omschrijving and Datum are required."]}
            )
        # The SPEC allows 250 characters for the omschrijving, but BOE-0056 says "maximaal 50
        # tekens"; the reference (§3.6) says to follow the error code.
        if too_long(eenmalig.get("omschrijving"), 50):
            codes.append("BOE-0056")
        if too_long(eenmalig.get("kenmerk"), 50):
            codes.append("BOE-0057")
        parse_datetime("eenmaligeIncassoMachtiging.datum", eenmalig.get("datum"))
        eenmalig = {
            "kenmerk": eenmalig.get("kenmerk"),
            "omschrijving": eenmalig["omschrijving"],
            "datum": eenmalig.get("datum"),
        }
    if doorlopend is not None:
        # The sandbox keeps no standing mandates, so none can belong to this klant.
        codes.append("BOE-0066")
    klant = state.relaties.get(klant_id) if klant_id else None
    if eenmalig is not None and klant is not None and not klant["iban"]:
        codes.append("BOE-0052")
    return {
        "betalingstermijn": termijn,
        "eenmaligeIncassoMachtiging": eenmalig,
        "doorlopendeIncassoMachtiging": None,
    }


def _factuurdatum(
    state: AdministrationState, kind: str, body: Mapping[str, Any], codes: list[str]
) -> datetime:
    factuurdatum = parse_datetime("factuurdatum", body.get("factuurdatum"))
    if factuurdatum is None:
        if kind == "inkoop":  # SPEC: required on InkoopboekingModel.
            raise ModelStateError({"model.factuurdatum": ["The Factuurdatum field is required."]})
        factuurdatum = state.now().replace(hour=0, minute=0, second=0, microsecond=0)
    # P-ERR BOE-0033; the boekjaar is taken to be the calendar year.
    oldest = state.now().replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if factuurdatum < oldest.replace(year=oldest.year - 5):
        codes.append("BOE-0033")
    return factuurdatum


def _build(call: Call, kind: str, existing: Record | None) -> Record:
    state = call.state
    body: Any = decode_json(call.body)
    if not isinstance(body, Mapping):
        raise ModelStateError({"model": ["The request body must be a JSON object."]})
    if body.get("id") not in (None, "", _EMPTY_GUID):
        if existing is None:
            raise ApiError("ALG-0100")
        if parse_guid(str(body["id"])) != existing["id"]:
            raise ApiError("ALG-0101")
    codes: list[str] = []
    factuurnummer = optional_str(body, "factuurnummer")
    if factuurnummer is None or too_long(factuurnummer, 25):
        codes.append("BOE-0058")
    party = _PARTY[kind]
    party_id = ref_id(body.get(party))
    codes.extend(_party_codes(state, kind, party_id))
    factuurdatum = _factuurdatum(state, kind, body, codes)
    omschrijving = optional_str(body, "omschrijving")
    boekstuk = optional_str(body, "boekstuk")
    if too_long(omschrijving, 250):
        codes.append("BOE-0071")
    if too_long(boekstuk, 25):
        codes.append("BOE-0068")
    regels = _regels(state, body.get("boekingsregels"), codes)
    btw = _btw(kind, body.get("btw"), codes)
    factuurbedrag = _amount("factuurbedrag", body.get("factuurbedrag"))
    total = sum((r["bedrag"] for r in regels), Decimal(0)) + sum(
        (b["btwBedrag"] for b in btw), Decimal(0)
    )
    if regels and factuurbedrag != total:
        codes.append("BOE-0039")
    own_id = existing["id"] if existing else None
    store: dict[str, Record] = getattr(state, _STORE[kind])
    if factuurnummer is not None and any(
        b["factuurnummer"] == factuurnummer
        and b["id"] != own_id
        and (kind == "verkoop" or b[party]["id"] == party_id)
        for b in store.values()
    ):
        codes.append("BOE-0021")
    extra = _verkoop_fields(state, body, party_id, codes) if kind == "verkoop" else {}
    ApiError.collect(codes)
    record: Record = {
        "modifiedOn": state.stamp(),
        "boekstuk": boekstuk,
        "gewijzigdDoorAccountant": bool(body.get("gewijzigdDoorAccountant") or False),
        "markering": bool(body.get("markering") or False),
        "factuurdatum": format_datetime(factuurdatum),
        "factuurnummer": factuurnummer,
        party: identifier("relaties", party_id),
        "omschrijving": omschrijving,
        "factuurbedrag": factuurbedrag,
    }
    record.update(extra)
    record.update(boekingsregels=regels, btw=btw, documents=[])
    return record


def _post(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        record = _build(call, kind, None)
        id_ = call.state.new_id(f"{kind}boeking")
        record.update(id=id_, uri=f"/{_STORE[kind]}/{id_}")
        book(call.state, kind, record)
        getattr(call.state, _STORE[kind])[id_] = record
        sync_factuur(call.state, kind, record)
        return Reply(status=201, body=boeking_view(call.state, record))

    return handler


def _get(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        record = lookup(getattr(call.state, _STORE[kind]), call.params["id"], f"{kind}boeking")
        return Reply(status=200, body=boeking_view(call.state, record))

    return handler


def _put(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        existing = lookup(getattr(call.state, _STORE[kind]), call.params["id"], f"{kind}boeking")
        record = _build(call, kind, existing)
        record.update(id=existing["id"], uri=existing["uri"])
        book(call.state, kind, record)
        existing.clear()
        existing.update(record)
        sync_factuur(call.state, kind, existing)
        return Reply(status=200, body=boeking_view(call.state, existing))

    return handler


def _delete(kind: str) -> Handler:
    def handler(call: Call) -> Reply:
        record = lookup(getattr(call.state, _STORE[kind]), call.params["id"], f"{kind}boeking")
        drop_boeking(call.state, kind, record)
        return Reply(status=200, body={})

    return handler


ROUTES: list[Route] = [
    route
    for kind, name in _STORE.items()
    for route in (
        ("POST", (name,), _post(kind)),
        ("GET", (name, "{id}"), _get(kind)),
        ("PUT", (name, "{id}"), _put(kind)),
        ("DELETE", (name, "{id}"), _delete(kind)),
    )
]
