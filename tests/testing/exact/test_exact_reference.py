"""The sandbox against Exact's recorded responses and REST reference (``reference_dir``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from finlink.testing.exact import ExactSandbox
from finlink.testing.exact.entities import ENDPOINTS
from tests.testing.exact.paths import DIVISION, api

pytestmark = pytest.mark.reference

DATE = re.compile(r"^/Date\(\d+\)/$")
URI = re.compile(r"^https?://[^/]+/api/v1/\d+/(?P<path>[\w/]+)\(guid'[0-9a-f-]{36}'\)$")
EDM = {
    "guid": {"Edm.Guid"},
    "string": {"Edm.String"},
    "int": {"Edm.Int32", "Edm.Int16", "Edm.Byte"},
    "int64": {"Edm.Int64"},
    "double": {"Edm.Double"},
    "bool": {"Edm.Boolean"},
    "datetime": {"Edm.DateTime"},
    "binary": {"Edm.Binary"},
}


#: Fields the 2025 reference tables list (exact-online.md §5.3) but the 2022 JSON lacks.
NEWER_THAN_2022 = {
    ("crm/bankaccounts", "Blocked"),
    ("documents/documents", "ProposedEntryStatus"),
    ("sync/documents/documents", "ProposedEntryStatus"),
    ("webhooks/webhooksubscriptions", "UserID"),
}


def _fixture(reference_dir: Path, name: str) -> Any:
    path = reference_dir / "exact" / "exact-dotnet-client-fixtures" / name
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _meta(reference_dir: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(
        (reference_dir / "exact" / "eol-rest-meta-subset-2022-03-23.json").read_text()
    )
    return {entry["uri"].lower(): entry for entry in data["endpoints"].values()}


def _account(sandbox: ExactSandbox, http: httpx.Client) -> dict[str, Any]:
    acme = sandbox.add_account(
        DIVISION, "Acme", Code="8", Country="NL", Language="NL", City="Houten"
    )
    body: dict[str, Any] = http.get(api(f"crm/Accounts(guid'{acme['ID']}')")).json()
    return body


def test_single_account_has_the_recorded_envelope_and_formats(
    reference_dir: Path, sandbox: ExactSandbox, http: httpx.Client
) -> None:
    recorded = _fixture(reference_dir, "APIResponse_Json_Object.txt")
    ours = _account(sandbox, http)
    assert set(ours) == set(recorded) == {"d"}
    assert set(ours["d"]["__metadata"]) == set(recorded["d"]["__metadata"])
    assert ours["d"]["__metadata"]["type"] == recorded["d"]["__metadata"]["type"]
    ours_uri = URI.match(ours["d"]["__metadata"]["uri"])
    recorded_uri = URI.match(recorded["d"]["__metadata"]["uri"])
    assert ours_uri
    assert recorded_uri
    assert ours_uri["path"] == recorded_uri["path"] == "crm/Accounts"
    missing = set(ours["d"]) - set(recorded["d"])
    assert missing == set(), f"fields the recording does not have: {missing}"
    for field in ("Code", "Country", "Language"):
        assert len(ours["d"][field]) == len(recorded["d"][field])
    assert ours["d"]["Code"] == recorded["d"]["Code"]  # both "                 8"
    assert ours["d"]["Country"] == recorded["d"]["Country"] == "NL "
    assert DATE.match(ours["d"]["Created"])
    assert DATE.match(recorded["d"]["Created"])
    deferred = recorded["d"]["BankAccounts"]["__deferred"]["uri"]
    assert deferred.endswith("/BankAccounts")
    assert ours["d"]["BankAccounts"]["__deferred"]["uri"].endswith("/BankAccounts")
    for field, value in ours["d"].items():
        assert (
            type(value) is type(recorded["d"][field])
            or value is None
            or recorded["d"][field] is None
        ), field


def test_account_pages_have_the_recorded_list_envelope(
    reference_dir: Path, sandbox: ExactSandbox, http: httpx.Client
) -> None:
    recorded = _fixture(reference_dir, "Response_Json_Array_Account_Long.txt")
    sandbox.add_account(DIVISION, "Acme")
    ours = http.get(api("crm/Accounts"), params={"$filter": "Blocked eq false"}).json()
    assert set(ours["d"]) <= {"results", "__next"}
    assert set(recorded["d"]) <= {"results", "__next"}
    assert all(len(row["Code"]) == 18 for row in recorded["d"]["results"])
    assert all(len(row["Code"]) == 18 for row in ours["d"]["results"])
    assert len(recorded["d"]["results"]) <= 60  # a recorded page never exceeds the page size


def test_gl_account_matches_the_recording(
    reference_dir: Path, sandbox: ExactSandbox, http: httpx.Client
) -> None:
    recorded = _fixture(reference_dir, "Response_Json_Object_GLAccount.txt")["d"]
    gl = next(r for r in sandbox.records(DIVISION, "financial/GLAccounts") if r["Code"] == "4000")
    ours = http.get(api(f"financial/GLAccounts(guid'{gl['ID']}')")).json()["d"]
    assert ours["__metadata"]["type"] == recorded["__metadata"]["type"]
    assert set(ours) - set(recorded) == set()
    assert ours["Type"] == recorded["Type"] == 120  # "Other costs"
    assert ours["BalanceType"] == recorded["BalanceType"] == "W"


def test_entry_lines_pad_vat_codes_and_use_fractions_like_the_recording(
    reference_dir: Path, sandbox: ExactSandbox, http: httpx.Client
) -> None:
    recorded = _fixture(reference_dir, "Response_Json_Object_SalesInvoice.txt")["d"]
    recorded_line = recorded["SalesInvoiceLines"]["results"][0]
    customer = sandbox.add_account(DIVISION, "Klant")
    gl = next(r for r in sandbox.records(DIVISION, "financial/GLAccounts") if r["Code"] == "8000")
    entry = sandbox.seed(
        DIVISION,
        "salesentry/SalesEntries",
        Customer=customer["ID"],
        Journal="70",
        SalesEntryLines=[{"GLAccount": gl["ID"], "AmountFC": 7500}],
    )
    body = http.get(
        api(f"salesentry/SalesEntries(guid'{entry['EntryID']}')"),
        params={"$expand": "SalesEntryLines"},
    ).json()["d"]
    line = body["SalesEntryLines"]["results"][0]
    assert line["VATCode"] == recorded_line["VATCode"] == "02 "
    assert line["VATPercentage"] == recorded_line["VATPercentage"] == 0.21
    assert line["VATAmountFC"] == recorded_line["VATAmountFC"] == 1575
    assert body["AmountFC"] == recorded["AmountFC"] == 9075
    assert set(body["SalesEntryLines"]) == set(recorded["SalesInvoiceLines"]) == {"results"}
    assert DATE.match(body["EntryDate"])
    assert DATE.match(recorded["InvoiceDate"])


def test_every_sandbox_field_exists_in_the_rest_reference_with_its_type(
    reference_dir: Path,
) -> None:
    meta = _meta(reference_dir)
    checked = 0
    for path, endpoint in ENDPOINTS.items():
        entry = meta.get(f"/api/v1/{{division}}/{path}")
        if entry is None:
            continue
        properties = {prop["name"]: prop for prop in entry["properties"]}
        spec = endpoint.spec
        for field in endpoint.fields:
            if (path, field.name) in NEWER_THAN_2022:
                continue
            assert field.name in properties, f"{path}: {field.name} is not in the reference"
            if field.name in spec.navigation or field.kind in ("nav", "complex"):
                continue  # collections and structured values have no Edm type
            assert properties[field.name]["type"] in EDM[field.kind], f"{path}.{field.name}"
        # sync endpoints are keyed by their rowversion (§4.7)
        key = "Timestamp" if endpoint.mode == "sync" else spec.key
        assert properties[key]["primaryKey"], path
        methods = {
            name.upper() for name, supported in entry["supportedMethods"].items() if supported
        }
        served = spec.methods if endpoint.mode == "entity" else frozenset({"GET"})
        assert served <= methods, f"{path}: {served - methods}"
        checked += 1
    assert checked >= 15


def test_current_me_fields_exist_in_the_reference(reference_dir: Path, http: httpx.Client) -> None:
    entry = _meta(reference_dir)["/api/v1/current/me"]
    names = {prop["name"] for prop in entry["properties"]}
    me = http.get("/api/v1/current/Me").json()["d"]["results"][0]
    assert set(me) - {"__metadata"} <= names
