"""``/documenten``: attachments on boekingen and relaties (reference §3.9).

``POST /documenten/{documenttype}`` with ``documenttype`` one of ``Verkoopboekingen``,
``Inkoopboekingen``, ``Relaties`` takes a ``DocumentContentModel`` (base64 ``content``,
``parentIdentifier``, ``fileName``, ``readOnly``) and answers **200** (not 201) with
``{id, uri}``; an unknown parent is a 404 (SPEC). A file may be at most 10 MB (BLG-0006); the
name is required (BLG-0007), without forbidden characters (BLG-0016), and not too long
(BLG-0017; the limit is not documented, the sandbox uses 255); empty content is BLG-0011.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from finlink.testing.snelstart.entities.base import Call, Reply, Route, lookup
from finlink.testing.snelstart.errors import ApiError, ModelStateError, NotFound
from finlink.testing.snelstart.state import AdministrationState, Record
from finlink.testing.snelstart.wire import decode_json, parse_guid

__all__ = ["MAX_DOCUMENT_BYTES", "ROUTES"]

#: "Bestand is groter dan 10MB" (BLG-0006).
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_FILENAME = 255
_FORBIDDEN = frozenset('\\/:*?"<>|')
_PARENTS = {
    "verkoopboekingen": ("Verkoopboekingen", "verkoopboekingen"),
    "inkoopboekingen": ("Inkoopboekingen", "inkoopboekingen"),
    "relaties": ("Relaties", "relaties"),
}


def _doctype(raw: str) -> tuple[str, str]:
    # ASP.NET binds the enum case-insensitively; an unknown value fails model binding.
    found = _PARENTS.get(raw.lower())
    if found is None:
        raise ModelStateError({"documenttype": [f"The value '{raw}' is not valid."]})
    return found


def _content(body: Mapping[str, Any]) -> tuple[bytes, list[str]]:
    codes: list[str] = []
    file_name = body.get("fileName")
    if not isinstance(file_name, str) or not file_name.strip():
        codes.append("BLG-0007")
    elif any(ch in _FORBIDDEN or ord(ch) < 32 for ch in file_name):
        codes.append("BLG-0016")
    elif len(file_name) > MAX_FILENAME:
        codes.append("BLG-0017")
    raw = body.get("content")
    if raw is not None and not isinstance(raw, str):
        raise ModelStateError({"model.content": ["Could not convert to byte[]."]})
    try:
        content = base64.b64decode(raw or "", validate=True)
    except (binascii.Error, ValueError):
        raise ModelStateError({"model.content": ["Invalid base64 content."]}) from None
    if not content:
        codes.append("BLG-0011")
    elif len(content) > MAX_DOCUMENT_BYTES:
        codes.append("BLG-0006")
    return content, codes


def _store(
    state: AdministrationState, doc_id: str, doctype: str, body: Mapping[str, Any], parent: str
) -> Record:
    content, codes = _content(body)
    ApiError.collect(codes)
    record = {
        "parentIdentifier": parent,
        "fileName": body["fileName"],
        "readOnly": bool(body.get("readOnly") or False),
    }
    state.documenten[doc_id] = {"record": record, "content": content, "type": doctype}
    return {"id": doc_id, "uri": f"/documenten/{doc_id}"}


def _post(call: Call) -> Reply:
    doctype, store_name = _doctype(call.params["documenttype"])
    body = decode_json(call.body, empty_code="BLG-0009")
    if not isinstance(body, Mapping):
        raise ModelStateError({"model": ["The request body must be a JSON object."]})
    parent = parse_guid(str(body.get("parentIdentifier") or ""))
    if parent is None or parent not in getattr(call.state, store_name):
        raise NotFound("De parent van het document is niet gevonden.")
    return Reply(status=200, body=_store(call.state, call.state.new_id("document"), doctype, body,
                                         parent))  # fmt: skip


def _list(call: Call) -> Reply:
    doctype, store_name = _doctype(call.params["documenttype"])
    parent = lookup(getattr(call.state, store_name), call.params["pid"], "parent")
    # SPEC: every document type answers with VerkoopBoekingBijlageReferenceModel, whose parent
    # field is called ``verkoopBoekingId`` even for relaties and inkoopboekingen.
    rows = [
        {
            "verkoopBoekingId": doc["parentIdentifier"],
            "fileName": doc["fileName"],
            "readOnly": doc["readOnly"],
            "id": doc["id"],
            "uri": doc["uri"],
        }
        for doc in call.state.documents_of(parent["id"])
        if call.state.documenten[doc["id"]]["type"] == doctype
    ]
    return Reply(status=200, body=rows)


def _document(call: Call) -> tuple[str, dict[str, Any]]:
    doc_id = parse_guid(call.params["id"])
    if doc_id is None:
        raise ApiError("ALG-0103")
    doc = call.state.documenten.get(doc_id)
    if doc is None:
        raise NotFound(f"Document met id '{doc_id}' niet gevonden.")
    return doc_id, doc


def _get(call: Call) -> Reply:
    doc_id, doc = _document(call)
    body = {
        "content": base64.b64encode(doc["content"]).decode("ascii"),
        **doc["record"],
        "id": doc_id,
        "uri": f"/documenten/{doc_id}",
    }
    return Reply(status=200, body=body)


def _put(call: Call) -> Reply:
    doc_id, doc = _document(call)
    body = decode_json(call.body, empty_code="BLG-0009")
    if not isinstance(body, Mapping):
        raise ModelStateError({"model": ["The request body must be a JSON object."]})
    parent = doc["record"]["parentIdentifier"]
    return Reply(status=200, body=_store(call.state, doc_id, doc["type"], body, parent))


def _delete(call: Call) -> Reply:
    doc_id, _ = _document(call)
    del call.state.documenten[doc_id]
    return Reply(status=200, body={})


ROUTES: list[Route] = [
    ("POST", ("documenten", "{documenttype}"), _post),
    ("GET", ("documenten", "{documenttype}", "{pid}"), _list),
    ("GET", ("documenten", "{id}"), _get),
    ("PUT", ("documenten", "{id}"), _put),
    ("DELETE", ("documenten", "{id}"), _delete),
]
