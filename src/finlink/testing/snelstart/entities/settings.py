"""``/landen``, ``/btwtarieven``, ``/kostenplaatsen`` and ``/grootboeken`` (reference §3.2-§3.5).

``/landen``, ``/btwtarieven`` and ``/kostenplaatsen`` have **no OData**: they return everything
and ignore ``$filter``/``$top`` (§2.2, §5 quirk 12). ``/grootboeken`` has OData, POST and GET by
id but no PUT or DELETE (§3.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from finlink.testing.snelstart.entities.base import Call, Reply, Route, lookup, odata_list, too_long
from finlink.testing.snelstart.errors import ApiError, ModelStateError
from finlink.testing.snelstart.odata import FieldType, Many
from finlink.testing.snelstart.state import Record
from finlink.testing.snelstart.wire import decode_json, parse_guid

__all__ = ["GROOTBOEK_FIELDS", "ROUTES"]

_EMPTY_GUID = "00000000-0000-0000-0000-000000000000"

#: ``GrootboekModel`` (SPEC) for OData.
GROOTBOEK_FIELDS: dict[str, FieldType] = {
    "modifiedOn": "datetime",
    "omschrijving": "string",
    "kostenplaatsVerplicht": "boolean",
    "rekeningCode": "string",
    "nonactief": "boolean",
    "nummer": "int32",
    "grootboekfunctie": "string",
    "grootboekRubriek": "string",
    "rgsCode": Many({"versie": "string", "rgsCode": "string"}),
    "btwSoort": Many("string"),
    "vatRateCode": "string",
    "id": "guid",
    "uri": "string",
}


def _landen(call: Call) -> Reply:
    return Reply(status=200, body=[dict(r) for r in call.state.landen.values()])


def _land(call: Call) -> Reply:
    return Reply(status=200, body=dict(lookup(call.state.landen, call.params["id"], "land")))


def _btwtarieven(call: Call) -> Reply:
    return Reply(status=200, body=[dict(r) for r in call.state.btwtarieven])


# --------------------------------------------------------------------------- kostenplaatsen


def _kostenplaats_body(call: Call, existing: Record | None) -> Record:
    body = decode_json(call.body)
    if not isinstance(body, Mapping):
        raise ModelStateError({"model": ["The request body must be a JSON object."]})
    codes: list[str] = []
    omschrijving = body.get("omschrijving")
    if omschrijving is not None and not isinstance(omschrijving, str):
        raise ModelStateError({"model.omschrijving": ["Error converting value."]})
    if not omschrijving or not omschrijving.strip():
        codes.append("KPL-0004")
    elif too_long(omschrijving, 50):
        codes.append("KPL-0005")
    nummer = body.get("nummer")
    if nummer is not None and (isinstance(nummer, bool) or not isinstance(nummer, int | Decimal)):
        raise ModelStateError({"model.nummer": ["Error converting value."]})
    own_id = existing["id"] if existing else None
    if nummer is None or nummer == 0:
        codes.append("KPL-0006")
    elif not 1 <= nummer <= 999_999_999 or nummer != int(nummer):
        codes.append("KPL-0007")
    elif any(
        k["nummer"] == nummer and k["id"] != own_id for k in call.state.kostenplaatsen.values()
    ):
        codes.append("KPL-0008")
    nonactief = bool(body.get("nonactief") or False)
    if existing is None and nonactief:
        # P-ERR KPL-0009: create it active, then deactivate it with PUT (reference §3.3).
        codes.append("KPL-0009")
    ApiError.collect(codes)
    assert isinstance(nummer, int | Decimal)
    return {"omschrijving": omschrijving, "nonactief": nonactief, "nummer": int(nummer)}


def _kostenplaatsen(call: Call) -> Reply:
    return Reply(status=200, body=[dict(r) for r in call.state.kostenplaatsen.values()])


def _kostenplaats(call: Call) -> Reply:
    record = lookup(call.state.kostenplaatsen, call.params["id"], "kostenplaats")
    return Reply(status=200, body=dict(record))


def _post_kostenplaats(call: Call) -> Reply:
    raw = decode_json(call.body)
    if isinstance(raw, Mapping) and raw.get("id") not in (None, "", _EMPTY_GUID):
        raise ApiError("ALG-0100")
    record = _kostenplaats_body(call, None)
    id_ = call.state.new_id("kostenplaats")
    record.update(id=id_, uri=f"/kostenplaatsen/{id_}")
    call.state.kostenplaatsen[id_] = record
    return Reply(status=201, body=dict(record))


def _put_kostenplaats(call: Call) -> Reply:
    existing = lookup(call.state.kostenplaatsen, call.params["id"], "kostenplaats")
    raw = decode_json(call.body)
    if (
        isinstance(raw, Mapping)
        and raw.get("id") not in (None, "", _EMPTY_GUID)
        and parse_guid(str(raw["id"])) != existing["id"]
    ):
        raise ApiError("ALG-0101")
    existing.update(_kostenplaats_body(call, existing))
    return Reply(status=200, body=dict(existing))


def _delete_kostenplaats(call: Call) -> Reply:
    record = lookup(call.state.kostenplaatsen, call.params["id"], "kostenplaats")
    del call.state.kostenplaatsen[record["id"]]
    return Reply(status=200, body={})


# --------------------------------------------------------------------------- grootboeken


def _grootboeken(call: Call) -> Reply:
    records = list(call.state.grootboeken.values())
    return Reply(status=200, body=odata_list(call, records, GROOTBOEK_FIELDS))


def _grootboek(call: Call) -> Reply:
    return Reply(
        status=200, body=dict(lookup(call.state.grootboeken, call.params["id"], "grootboek"))
    )


def _post_grootboek(call: Call) -> Reply:
    body: Any = decode_json(call.body)
    if not isinstance(body, Mapping):
        raise ModelStateError({"model": ["The request body must be a JSON object."]})
    if body.get("id") not in (None, "", _EMPTY_GUID):
        raise ApiError("ALG-0100")
    codes: list[str] = []
    omschrijving = body.get("omschrijving")
    if not isinstance(omschrijving, str) or not omschrijving.strip():
        codes.append("BOE-0084")
    elif too_long(omschrijving, 50):
        codes.append("BOE-0088")
    nummer = body.get("nummer")
    if isinstance(nummer, bool) or not isinstance(nummer, int):
        raise ModelStateError({"model.nummer": ["The Nummer field is required."]})
    if call.state.grootboek_by_nummer(nummer) is not None:
        codes.append("BOE-0086")
    ApiError.collect(codes)
    assert isinstance(omschrijving, str)
    record = call.state.add_grootboek(
        nummer=nummer,
        omschrijving=omschrijving,
        rekening_code=str(body.get("rekeningCode") or "WinstEnVerlies"),
        functie=str(body.get("grootboekfunctie") or "Diversen"),
        kostenplaats_verplicht=bool(body.get("kostenplaatsVerplicht") or False),
        nonactief=bool(body.get("nonactief") or False),
    )
    return Reply(status=201, body=dict(record))


ROUTES: list[Route] = [
    ("GET", ("landen",), _landen),
    ("GET", ("landen", "{id}"), _land),
    ("GET", ("btwtarieven",), _btwtarieven),
    ("GET", ("kostenplaatsen",), _kostenplaatsen),
    ("POST", ("kostenplaatsen",), _post_kostenplaats),
    ("GET", ("kostenplaatsen", "{id}"), _kostenplaats),
    ("PUT", ("kostenplaatsen", "{id}"), _put_kostenplaats),
    ("DELETE", ("kostenplaatsen", "{id}"), _delete_kostenplaats),
    ("GET", ("grootboeken",), _grootboeken),
    ("POST", ("grootboeken",), _post_grootboek),
    ("GET", ("grootboeken", "{id}"), _grootboek),
]
