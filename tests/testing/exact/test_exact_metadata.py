"""Every property Exact's REST reference lists for an emulated endpoint is accepted (issue #15).

The reference is ``../shared/reference/exact/eol-rest-meta-subset-2022-03-23.json``; the
sandbox ships a compact table generated from it (``finlink.testing.exact._metadata``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from finlink.testing.exact import ExactSandbox
from finlink.testing.exact._metadata_gen import EMULATED, generate
from finlink.testing.exact.entities import ENDPOINTS
from finlink.testing.exact.properties import SOURCE, SOURCE_DATE, reference_properties
from tests.testing.exact.paths import DIVISION, api

META_NAME = "eol-rest-meta-subset-2022-03-23.json"
PRIMITIVE = {
    "Edm.Guid",
    "Edm.String",
    "Edm.DateTime",
    "Edm.Int16",
    "Edm.Int32",
    "Edm.Byte",
    "Edm.Int64",
    "Edm.Double",
    "Edm.Boolean",
    "Edm.Binary",
}
SAMPLE = {
    "Edm.Guid": "6f1d0c7e-9c1e-4c55-8a44-2f6f0a1b2c3d",
    "Edm.String": "x",
    "Edm.DateTime": "2026-01-05T00:00:00",
    "Edm.Int16": 1,
    "Edm.Int32": 1,
    "Edm.Byte": 1,
    "Edm.Int64": 1,
    "Edm.Double": 1.5,
    "Edm.Boolean": True,
    "Edm.Binary": "eA==",
}


def _reference(reference_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference_dir / "exact" / META_NAME).read_text())
    return data


def _listed(reference_dir: Path) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Emulated path → (endpoint entry, its properties), straight from the file."""
    out = {}
    for entry in _reference(reference_dir)["endpoints"].values():
        path = entry["uri"].removeprefix("/api/v1/{division}/").removeprefix("/api/v1/")
        if path in EMULATED:
            out[path] = (entry, entry["properties"])
    return out


@pytest.fixture
def roomy(sandbox: ExactSandbox) -> ExactSandbox:
    """A sandbox whose minutely limit does not get in the way of hundreds of probes."""
    sandbox.service.limiter.minute_limit = 100_000
    return sandbox


def test_the_committed_table_is_what_the_generator_makes_from_the_reference(
    reference_dir: Path,
) -> None:
    import finlink.testing.exact._metadata as module

    committed = Path(module.__file__).read_text(encoding="utf-8")
    assert committed == generate(reference_dir / "exact" / META_NAME)
    assert (SOURCE, SOURCE_DATE) == (META_NAME, "2022-03-23")


def test_every_emulated_endpoint_the_reference_lists_is_in_the_table(reference_dir: Path) -> None:
    listed = {path.lower() for path in _listed(reference_dir)}
    emulated = set(ENDPOINTS) | {"current/me"}
    in_reference = {
        entry["uri"].removeprefix("/api/v1/{division}/").lower()
        for entry in _reference(reference_dir)["endpoints"].values()
    }
    assert emulated & in_reference <= listed
    assert all(reference_properties(path) for path in EMULATED)


def _select_url(path: str, names: list[str]) -> str:
    # Commas percent-encoded, as many HTTP libraries send them.
    return api(path) + "?$select=" + "%2C".join(names)


def _first_row(http: httpx.Client, path: str, extra: str = "") -> dict[str, Any]:
    response = http.get(api(path) + "?$top=1" + extra)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["d"]["results"]
    return results[0] if results else {}


def _seed_rows(sandbox: ExactSandbox) -> None:
    acme = sandbox.add_account(DIVISION, "Acme", supplier=True)
    sandbox.seed(DIVISION, "crm/Contacts", Account=acme["ID"], LastName="Jansen")
    sandbox.seed(DIVISION, "crm/BankAccounts", Account=acme["ID"], BankAccount="NL91ABNA0417164300")
    gl = next(r for r in sandbox.records(DIVISION, "financial/GLAccounts") if r["Code"] == "8000")
    sandbox.seed(
        DIVISION,
        "salesentry/SalesEntries",
        Customer=acme["ID"],
        Journal="70",
        SalesEntryLines=[{"GLAccount": gl["ID"], "AmountFC": 100}],
    )
    cost = next(r for r in sandbox.records(DIVISION, "financial/GLAccounts") if r["Code"] == "4000")
    sandbox.seed(
        DIVISION,
        "purchaseentry/PurchaseEntries",
        Supplier=acme["ID"],
        Journal="60",
        PurchaseEntryLines=[{"GLAccount": cost["ID"], "AmountFC": 50}],
    )
    sandbox.seed(DIVISION, "hrm/Costcenters", Code="P1", Description="Project 1")
    document = sandbox.seed(DIVISION, "documents/Documents", Subject="Factuur", Type=10)
    sandbox.seed(
        DIVISION,
        "documents/DocumentAttachments",
        Document=document["ID"],
        FileName="f.pdf",
        Attachment=b"%PDF",
    )
    sandbox.seed(
        DIVISION,
        "webhooks/WebhookSubscriptions",
        CallbackURL="https://crm.example.nl/hook",
        Topic="Accounts",
        ClientID=uuid.UUID(sandbox.app.client_id),
    )
    gone = sandbox.add_account(DIVISION, "Weg")
    sandbox.service.stores[DIVISION].delete("crm/Accounts", gone["ID"], 2)


def _mandatory(path: str) -> str:
    """A `$filter` term satisfying the endpoint's mandatory filter or sync rule (§4.4, §4.7)."""
    if path.startswith("sync/"):
        return "Timestamp gt 0L"
    endpoint = ENDPOINTS.get(path.lower())
    if endpoint is not None and endpoint.spec.mandatory_filter:
        return "ID ne null"
    return ""


def test_every_listed_property_is_accepted_in_select_filter_and_orderby(
    reference_dir: Path, roomy: ExactSandbox, http: httpx.Client
) -> None:
    _seed_rows(roomy)
    selected = filtered = ordered = sync_only = 0
    total = primitive_total = 0
    for path, (_, props) in _listed(reference_dir).items():
        names = [prop["name"] for prop in props]
        primitive = [prop["name"] for prop in props if prop["type"] in PRIMITIVE]
        total += len(names)
        if path == "current/Me":
            response = http.get("/api/v1/current/Me?$select=" + "%2C".join(names))
            assert response.status_code == 200, response.text
            assert set(names) <= set(response.json()["d"]["results"][0])
            selected += len(names)
            continue
        mandatory = _mandatory(path)
        query = f"&$filter={mandatory}" if mandatory else ""
        response = http.get(_select_url(path, names) + query)
        assert response.status_code == 200, f"{path}: {response.text}"
        rows = response.json()["d"]["results"]
        assert rows, f"{path} has no row to show the selected properties on"
        assert set(rows[0]) == {"__metadata", *names}, path
        selected += len(names)
        primitive_total += len(primitive)
        # $orderby: every primitive property at once.
        params = {"$orderby": ",".join(primitive), "$top": "1"}
        if mandatory:
            params["$filter"] = mandatory
        response = http.get(api(path), params=params)
        assert response.status_code == 200, f"{path}: {response.text}"
        ordered += len(primitive)
        if path.startswith("sync/"):
            # "only the timestamp field is allowed as parameter" (§4.7): Exact's own rule.
            sync_only += len(primitive)
            continue
        terms = [f"{name} eq null" for name in primitive]
        expression = " or ".join(terms)
        if mandatory:
            expression = f"{mandatory} and ({expression})"
        response = http.get(api(path), params={"$filter": expression})
        assert response.status_code == 200, f"{path}: {response.text}"
        filtered += len(primitive)
    # The figures of the closing note (N of N).
    assert selected == total == 1215
    assert ordered == primitive_total == 1169
    assert filtered == primitive_total - sync_only == 777


def _body(props: list[dict[str, Any]], endpoint: dict[str, Any]) -> dict[str, Any]:
    return {prop["name"]: SAMPLE[prop["type"]] for prop in props if prop["type"] in PRIMITIVE}


@pytest.mark.parametrize(
    "path",
    [p for p in EMULATED if p.lower() in ENDPOINTS and ENDPOINTS[p.lower()].mode == "entity"],
)
def test_every_listed_property_is_accepted_in_a_body_with_its_type(
    reference_dir: Path, path: str
) -> None:
    listed = _listed(reference_dir)
    endpoint_entry, props = listed[path]
    spec = ENDPOINTS[path.lower()].spec
    body = _body(props, endpoint_entry)
    stored = spec.coerce(body)  # no 400: every name is known and every value fits its type
    for prop in props:
        name = prop["name"]
        writable = spec.field_map[name].writable and name not in spec.navigation
        if prop["type"] in PRIMITIVE:
            assert (name in stored) == writable, f"{path}.{name}"


def test_unsimulated_properties_read_as_null_and_come_back_when_set(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    created = http.post(
        api("crm/Contacts"),
        json={"Account": str(acme["ID"]), "LastName": "Jansen", "BirthPlace": "Utrecht"},
        headers={"Prefer": "return=representation"},
    )
    assert created.status_code == 201, created.text
    key = created.json()["d"]["ID"]
    # The request from issue #15, commas percent-encoded.
    url = _select_url("crm/Contacts", ["ID", "Code", "FirstName", "MiddleName", "LastName"])
    row = http.get(url).json()["d"]["results"][0]
    assert row["ID"] == key
    assert row["Code"] is None  # listed by Exact, not simulated: null like an unset field
    assert row["LastName"] == "Jansen"
    one = http.get(api(f"crm/Contacts(guid'{key}')")).json()["d"]
    assert one["BirthPlace"] == "Utrecht"  # a writable property a client set is kept
    assert "BirthName" not in one  # unset and unsimulated: only on request
    picked = http.get(api(f"crm/Contacts(guid'{key}')"), params={"$select": "BirthName"})
    assert picked.json()["d"] == {"__metadata": one["__metadata"], "BirthName": None}


def test_types_and_read_only_flags_of_unsimulated_properties_are_respected(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    wrong = http.post(
        api("crm/Contacts"),
        json={"Account": str(acme["ID"]), "LastName": "J", "BirthDate": 12},
    )
    assert wrong.status_code == 400
    assert "'BirthDate' to type 'System.DateTime'" in wrong.text
    ignored = http.post(
        api("crm/Contacts"),
        json={"Account": str(acme["ID"]), "LastName": "J", "Code": "C1"},
        headers={"Prefer": "return=representation"},
    )
    assert ignored.status_code == 201
    key = ignored.json()["d"]["ID"]
    again = http.get(api(f"crm/Contacts(guid'{key}')"), params={"$select": "Code"})
    assert again.json()["d"]["Code"] is None  # read-only: Exact ignores what was sent
    mismatch = http.get(api("crm/Contacts"), params={"$filter": "BirthDate eq 'gisteren'"})
    assert mismatch.status_code == 400
    assert "incompatible with operand types 'System.DateTime'" in mismatch.text
    structured = http.get(api("system/Divisions"), params={"$orderby": "Class_01"})
    assert structured.status_code == 400
    unknown = http.get(api("crm/Contacts"), params={"$select": "Shoesize"})
    assert unknown.status_code == 400
    assert "No property 'Shoesize'" in unknown.text


def _wire_sample(edm: str) -> Any:
    """What the sandbox answers for a :data:`SAMPLE` value it stored."""
    if edm == "Edm.DateTime":
        return "/Date(1767571200000)/"  # 2026-01-05T00:00:00 UTC
    return SAMPLE[edm]


def test_unsimulated_writable_properties_travel_through_put_on_every_crud_endpoint(
    reference_dir: Path, roomy: ExactSandbox, http: httpx.Client
) -> None:
    _seed_rows(roomy)
    checked = 0
    for path, (entry, props) in _listed(reference_dir).items():
        endpoint = ENDPOINTS.get(path.lower())
        if endpoint is None or endpoint.mode != "entity" or "PUT" not in endpoint.spec.methods:
            continue  # entry lines are written through their header only (not emulated)
        assert entry["supportedMethods"]["put"], path
        fields = endpoint.spec.field_map
        sent = {
            prop["name"]: SAMPLE[prop["type"]]
            for prop in props
            if prop["type"] in PRIMITIVE
            and not fields[prop["name"]].simulated
            and fields[prop["name"]].writable
        }
        if not sent:
            continue
        row = _first_row(http, path, "&$filter=ID ne null" if _mandatory(path) else "")
        key = row["__metadata"]["uri"].rsplit("(", 1)[1].rstrip(")")
        answer = http.put(api(f"{path}({key})"), json=sent)
        assert answer.status_code == 204, f"{path}: {answer.text}"
        back = http.get(api(f"{path}({key})"), params={"$select": ",".join(sent)})
        assert back.status_code == 200, f"{path}: {back.text}"
        wire = {prop["name"]: _wire_sample(prop["type"]) for prop in props if prop["name"] in sent}
        assert {name: back.json()["d"][name] for name in sent} == wire, path
        checked += len(sent)
    assert checked == 172
