"""``/relaties``: debtors and creditors, with SnelStart's REL-* validation (reference §3.1, §2.4).

Rules and where they come from (P-ERR unless noted):

* ``relatiesoort`` is required (REL-0001), may not hold ``Eigen`` (REL-0048) nor both ``Klant``
  and ``Leverancier`` (REL-0065), and cannot change after creation (REL-0064).
* ``relatiecode`` is unique (REL-0008). When it is omitted or 0 the sandbox assigns the next
  free code; whether SnelStart does is UNVERIFIED (§3.1; PHP defaults it to 0).
* Field lengths: telefoon/mobieleTelefoon 25 (REL-0013/0012), address fields 50/25/50/50
  (REL-0020..0023, correspondentie REL-0025..0028), email 250 (REL-0085), btwNummer 2..50 and
  alphanumeric (REL-0057/0058/0059). Limits the SPEC has as ``maxLength`` without a code
  (naam 50, kvkNummer 12, oin 20, websiteUrl 100, iban 50, bic 15) fail ASP.NET model
  validation instead, in the ``modelState`` shape.
* ``vestigingsAdres`` is all-or-nothing except ``contactpersoon`` (REL-0060); a country is a
  GUID from ``/landen`` (REL-0056, correspondentie REL-0055).
* The btw-nummer must be valid (REL-0088) and its country must match the vestigingsadres
  (REL-0087).
* PUT replaces the whole record (omitted properties become null; UNVERIFIED, §4) and bumps
  ``modifiedOn``; the body's ``id`` must equal the URL's (REL-0047); POST may not carry an id
  (REL-0063).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as stdnum_vat

from finlink.testing.snelstart.entities.base import (
    Call,
    Handler,
    Reply,
    Route,
    lookup,
    odata_list,
    too_long,
)
from finlink.testing.snelstart.entities.boekingen import boeking_view
from finlink.testing.snelstart.errors import ApiError, ModelStateError
from finlink.testing.snelstart.odata import FieldType, Many
from finlink.testing.snelstart.state import AdministrationState, Record
from finlink.testing.snelstart.wire import decode_json, identifier, parse_guid, ref_id

__all__ = ["RELATIE_FIELDS", "ROUTES", "create", "relatie_view", "seed_own_company"]

_EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
_IDENT: FieldType = {"id": "guid", "uri": "string"}
_ADRES: FieldType = {
    "contactpersoon": "string",
    "straat": "string",
    "postcode": "string",
    "plaats": "string",
    "land": _IDENT,
}
_EMAIL: FieldType = {"shouldSend": "boolean", "email": "string", "ccEmail": "string"}
_EMAIL_KEYS = (
    "offerteEmailVersturen",
    "bevestigingsEmailVersturen",
    "factuurEmailVersturen",
    "aanmaningEmailVersturen",
    "offerteAanvraagEmailVersturen",
    "bestellingEmailVersturen",
)

#: ``RelatieModel`` (SPEC) as OData sees it: every property with its type, in SPEC order.
RELATIE_FIELDS: dict[str, FieldType] = {
    "relatiesoort": Many("string"),
    "modifiedOn": "datetime",
    "relatiecode": "int32",
    "naam": "string",
    "vestigingsAdres": _ADRES,
    "correspondentieAdres": _ADRES,
    "telefoon": "string",
    "mobieleTelefoon": "string",
    "fax": "string",
    "email": "string",
    "btwNummer": "string",
    "factuurkorting": "double",
    "krediettermijn": "int32",
    "bankieren": "boolean",
    "nonactief": "boolean",
    "kredietLimiet": "double",
    "memo": "string",
    "kvkNummer": "string",
    "oin": "string",
    "websiteUrl": "string",
    "aanmaningsoort": "string",
    **dict.fromkeys(_EMAIL_KEYS, _EMAIL),
    "ublBestandAlsBijlage": "boolean",
    "iban": "string",
    "bic": "string",
    "incassoSoort": "string",
    "factuurRelatie": _IDENT,
    "inkoopBoekingenUri": "string",
    "verkoopBoekingenUri": "string",
    "documents": Many(
        {
            "parentIdentifier": "guid",
            "fileName": "string",
            "readOnly": "boolean",
            "id": "guid",
            "uri": "string",
        }
    ),
    "id": "guid",
    "uri": "string",
    "extraVeldenKlant": Many({"naam": "string", "waarde": "string"}),
}

_SOORTEN = ("Klant", "Leverancier", "Eigen", "Geen")
_MODEL_MAX = {"naam": 50, "kvkNummer": 12, "oin": 20, "websiteUrl": 100, "iban": 50, "bic": 15}
_SIMPLE = (
    "naam", "telefoon", "mobieleTelefoon", "email", "btwNummer", "memo", "kvkNummer", "oin",
    "websiteUrl", "iban", "bic",
)  # fmt: skip
_ENUMS = {
    "aanmaningsoort": ("Nee", "Onderneming", "Consument"),
    "incassoSoort": ("Geen", "Core", "B2B"),
}
_ADRES_CODES = {
    "vestigingsAdres": {"straat": "REL-0020", "postcode": "REL-0021", "plaats": "REL-0022",
                        "contactpersoon": "REL-0023", "land": "REL-0056"},
    "correspondentieAdres": {"straat": "REL-0025", "postcode": "REL-0026", "plaats": "REL-0027",
                             "contactpersoon": "REL-0028", "land": "REL-0055"},
}  # fmt: skip
_ADRES_MAX = {"contactpersoon": 50, "straat": 50, "postcode": 25, "plaats": 50}


def relatie_view(
    state: AdministrationState, record: Record, *, write_model: bool = False
) -> Record:
    """The wire form of a stored relatie (``RelatieModel``; ``RelatieWriteModel`` has no fax)."""
    view = dict(record)
    view["documents"] = state.documents_of(record["id"])
    if write_model:
        # SPEC: POST and PUT answer with RelatieWriteModel, which has no ``fax``.
        view.pop("fax", None)
    return view


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError("REL-0066")
    return value or None


def _adres(state: AdministrationState, key: str, raw: object, codes: list[str]) -> Record | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ApiError("REL-0066")
    table = _ADRES_CODES[key]
    adres: Record = {field: _text(raw, field) for field in _ADRES_MAX}
    codes.extend(table[f] for f, limit in _ADRES_MAX.items() if too_long(adres[f], limit))
    land_id = ref_id(raw.get("land"))
    if raw.get("land") is not None and (land_id is None or land_id not in state.landen):
        codes.append(table["land"])
    adres["land"] = identifier("landen", land_id) if land_id in state.landen else None
    filled = [adres["straat"], adres["postcode"], adres["plaats"], raw.get("land")]
    if key == "vestigingsAdres" and any(filled) and not all(filled):
        codes.append("REL-0060")
    return adres


def _btw_codes(state: AdministrationState, btw: str | None, vestiging: Record | None) -> list[str]:
    if btw is None:
        return []
    if len(btw) > 50:
        return ["REL-0057"]
    if len(btw) < 2:
        return ["REL-0058"]
    if not btw.isalnum() or not btw.isascii():
        return ["REL-0059"]
    if not stdnum_vat.is_valid(btw):
        return ["REL-0088"]
    prefix = btw[:2].upper()
    country = "GR" if prefix == "EL" else prefix
    land_iso = state.land_iso(ref_id(vestiging.get("land")) if vestiging else None)
    return ["REL-0087"] if land_iso is not None and land_iso != country else []


def _soort(raw: object) -> tuple[list[str], list[str]]:
    if raw is None:
        return [], ["REL-0001"]
    if not isinstance(raw, list) or not all(isinstance(s, str) and s in _SOORTEN for s in raw):
        raise ApiError("REL-0066")
    soorten = list(dict.fromkeys(raw))
    codes: list[str] = []
    if not soorten or soorten == ["Geen"]:
        codes.append("REL-0001")
    if "Eigen" in soorten:
        codes.append("REL-0048")
    if "Klant" in soorten and "Leverancier" in soorten:
        codes.append("REL-0065")
    return [s for s in soorten if s != "Geen"], codes


def _number(body: Mapping[str, Any], key: str, integral: bool) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ApiError("REL-0066")
    if integral and value != int(value):
        raise ApiError("REL-0066")
    return int(value) if integral else Decimal(value)


def _text_codes(record: Record) -> list[str]:
    codes: list[str] = []
    if record["naam"] is None or not record["naam"].strip():
        codes.append("REL-0007")
    if too_long(record["telefoon"], 25):
        codes.append("REL-0013")
    if too_long(record["mobieleTelefoon"], 25):
        codes.append("REL-0012")
    if too_long(record["email"], 250):
        codes.append("REL-0085")
    elif record["email"] is not None and not _email_list(record["email"]):
        # P-ERR REL-0084: "U kunt meerdere emailadressen opgeven door ze te scheiden met een
        # puntkomma(;)".
        codes.append("REL-0084")
    oin = record["oin"]
    if oin is not None and not (oin.isdigit() and len(oin) == 20):
        codes.append("REL-0086")
    kvk = record["kvkNummer"]
    # REL-0006 "KvkNummer is ongeldig": the sandbox accepts 8 digits (KvK-nummer) up to 12
    # (vestigingsnummer); SnelStart's exact check is not documented.
    if kvk is not None and not (kvk.isdigit() and 8 <= len(kvk) <= 12):
        codes.append("REL-0006")
    if record["iban"] is not None and not stdnum_iban.is_valid(record["iban"]):
        codes.append("REL-0011")
    if record["bic"] is not None and not stdnum_bic.is_valid(record["bic"]):
        codes.append("REL-0010")
    return codes


def _email_list(text: str) -> bool:
    parts = [part.strip() for part in text.split(";")]
    return all(
        part.count("@") == 1 and "." in part.split("@")[1] and " " not in part and part[0] != "@"
        for part in parts
    )


def _soort_codes(state: AdministrationState, record: Record) -> list[str]:
    """Rules tying fields to the relatiesoort (P-ERR REL-0002/0004/0009/0014/0016..0018/0062)."""
    klant = "Klant" in record["relatiesoort"]
    codes: list[str] = []
    if record["aanmaningsoort"] not in (None, "Nee") and not klant:
        codes.append("REL-0002")
    if record["factuurkorting"] and not klant:
        codes.append("REL-0004")
    if record["kredietLimiet"] and not klant:
        codes.append("REL-0062")
    if record["incassoSoort"] not in (None, "Geen") and not klant:
        codes.append("REL-0016")
    if record["bankieren"] and "Leverancier" not in record["relatiesoort"]:
        codes.append("REL-0014")
    if record["iban"] is None and (
        record["bankieren"] or record["incassoSoort"] in ("Core", "B2B")
    ):
        codes.append("REL-0009")
    factuur_relatie = record["factuurRelatie"]
    if factuur_relatie is not None:
        target = state.relaties.get(factuur_relatie["id"])
        if target is None:
            codes.append("REL-0017")
        elif "Klant" not in target["relatiesoort"]:
            codes.append("REL-0018")
    return codes


def _flags_and_options(body: Mapping[str, Any], record: Record) -> None:
    for key in ("bankieren", "nonactief", "ublBestandAlsBijlage"):
        record[key] = bool(body.get(key) or False)
    for key, allowed in _ENUMS.items():
        value = body.get(key)
        if value is not None and value not in allowed:
            raise ApiError("REL-0066")
        record[key] = value
    for key in _EMAIL_KEYS:
        raw = body.get(key)
        raw = raw if isinstance(raw, Mapping) else {}
        record[key] = {
            "shouldSend": bool(raw.get("shouldSend") or False),
            "email": _text(raw, "email"),
            "ccEmail": _text(raw, "ccEmail"),
        }


def _build(state: AdministrationState, body: object, existing: Record | None) -> Record:
    if not isinstance(body, Mapping):
        raise ApiError("REL-0066")
    for key, limit in _MODEL_MAX.items():
        prop = key[0].upper() + key[1:]
        if too_long(body.get(key), limit):
            raise ModelStateError.max_length(key, prop, limit)
    soorten, codes = _soort(body.get("relatiesoort"))
    record: Record = dict.fromkeys(RELATIE_FIELDS)
    record["relatiesoort"] = soorten
    for key in _SIMPLE:
        record[key] = _text(body, key)
    codes.extend(_text_codes(record))
    for key in ("vestigingsAdres", "correspondentieAdres"):
        record[key] = _adres(state, key, body.get(key), codes)
    codes.extend(_btw_codes(state, record["btwNummer"], record["vestigingsAdres"]))
    record["relatiecode"] = _number(body, "relatiecode", integral=True)
    record["krediettermijn"] = _number(body, "krediettermijn", integral=True)
    if record["krediettermijn"] is not None and not -365 <= record["krediettermijn"] <= 1000:
        codes.append("REL-0003")
    record["factuurkorting"] = _number(body, "factuurkorting", integral=False)
    record["kredietLimiet"] = _number(body, "kredietLimiet", integral=False)
    _flags_and_options(body, record)
    raw_factuur_relatie = body.get("factuurRelatie")
    factuur_relatie = ref_id(raw_factuur_relatie)
    if raw_factuur_relatie is not None and factuur_relatie is None:
        codes.append("REL-0017")
    record["factuurRelatie"] = identifier("relaties", factuur_relatie)
    codes.extend(_soort_codes(state, record))
    if existing is not None and existing["relatiesoort"] != soorten:
        codes.append("REL-0064")
    code = record["relatiecode"]
    own_id = existing["id"] if existing else None
    if code and any(
        r["relatiecode"] == code and r["id"] != own_id for r in state.relaties.values()
    ):
        codes.append("REL-0008")
    ApiError.collect(codes)
    if not code:
        record["relatiecode"] = (
            max((r["relatiecode"] for r in state.relaties.values()), default=0) + 1
        )
    record["extraVeldenKlant"] = existing["extraVeldenKlant"] if existing else []
    record["fax"] = existing["fax"] if existing else None
    return record


def _finish(state: AdministrationState, record: Record, id_: str) -> Record:
    record["id"] = id_
    record["uri"] = f"/relaties/{id_}"
    record["inkoopBoekingenUri"] = f"/relaties/{id_}/inkoopboekingen"
    record["verkoopBoekingenUri"] = f"/relaties/{id_}/verkoopboekingen"
    record["modifiedOn"] = state.stamp()
    record["documents"] = []
    state.relaties[id_] = record
    return record


def seed_own_company(state: AdministrationState) -> Record:
    """Add the administration's own company: the relatie with soort ``Eigen``.

    Every SnelStart administration has one; P-ODATA shows how to find it
    (``$filter=Relatiesoort/any(r:r eq 'Eigen')``, reference §3.1), so ``GET /relaties`` lists
    it next to customers and suppliers. Its relatiecode (0 here) is UNVERIFIED.
    """
    record: Record = dict.fromkeys(RELATIE_FIELDS)
    record.update(relatiesoort=["Eigen"], naam=state.name[:50], relatiecode=0, extraVeldenKlant=[])
    _flags_and_options({}, record)
    return _finish(state, record, state.stable_id("relatie", "eigen"))


def _list(call: Call) -> Reply:
    views = [relatie_view(call.state, r) for r in call.state.relaties.values()]
    return Reply(status=200, body=odata_list(call, views, RELATIE_FIELDS))


def _get(call: Call) -> Reply:
    record = lookup(call.state.relaties, call.params["id"], "relatie")
    return Reply(status=200, body=relatie_view(call.state, record))


def create(call: Call) -> Reply:
    """``POST /relaties``: validate and store a new relatie (201 with the write model).

    Raises:
        ApiError: For a broken REL-* rule.
        ModelStateError: For a value the model binder refuses.
    """
    body = decode_json(call.body, bad_code="REL-0066")
    if isinstance(body, Mapping) and body.get("id") not in (None, "", _EMPTY_GUID):
        raise ApiError("REL-0063")
    record = _build(call.state, body, None)
    record = _finish(call.state, record, call.state.new_id("relatie"))
    return Reply(status=201, body=relatie_view(call.state, record, write_model=True))


def _put(call: Call) -> Reply:
    existing = lookup(call.state.relaties, call.params["id"], "relatie")
    body = decode_json(call.body, bad_code="REL-0066")
    if (
        isinstance(body, Mapping)
        and body.get("id") not in (None, "", _EMPTY_GUID)
        and parse_guid(str(body["id"])) != existing["id"]
    ):
        raise ApiError("REL-0047")
    record = _build(call.state, body, existing)
    record = _finish(call.state, record, existing["id"])
    return Reply(status=200, body=relatie_view(call.state, record, write_model=True))


def _delete(call: Call) -> Reply:
    record = lookup(call.state.relaties, call.params["id"], "relatie")
    open_items = [
        f
        for _, f in call.state.iter_facturen()
        if f["relatie"]["id"] == record["id"] and f["openstaandSaldo"] != 0
    ]
    if open_items:
        raise ApiError("REL-0049" if "Klant" in record["relatiesoort"] else "REL-0053")
    del call.state.relaties[record["id"]]
    return Reply(status=200, body={})


def _boekingen(kind: str, party: str) -> Handler:
    def handler(call: Call) -> Reply:
        id_ = parse_guid(call.params["id"])
        store: dict[str, Record] = getattr(call.state, kind)
        rows = [boeking_view(call.state, b) for b in store.values() if b[party]["id"] == id_]
        return Reply(status=200, body=rows)

    return handler


ROUTES: list[Route] = [
    ("GET", ("relaties",), _list),
    ("POST", ("relaties",), create),
    ("GET", ("relaties", "{id}"), _get),
    ("PUT", ("relaties", "{id}"), _put),
    ("DELETE", ("relaties", "{id}"), _delete),
    ("GET", ("relaties", "{id}", "verkoopboekingen"), _boekingen("verkoopboekingen", "klant")),
    ("GET", ("relaties", "{id}", "inkoopboekingen"), _boekingen("inkoopboekingen", "leverancier")),
]
