"""The OpenAPI helper, and the sandbox's bodies checked against SnelStart's schemas."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from finlink.testing.snelstart import SandboxAdministration, openapi
from tests.testing.snelstart.conftest import SPEC_FILE
from tests.testing.snelstart.support import SpecChecker, klant, spec_path, verkoop

TINY: dict[str, Any] = {
    "paths": {
        "/things/{id}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/A.Thing"}}}},
                    "404": {"description": "none"},
                }
            }
        }
    },
    "components": {
        "schemas": {
            "A.Thing": {
                "type": "object",
                "properties": {
                    "naam": {"type": "string", "maxLength": 3},
                    "soort": {"enum": ["X", "Y"], "type": "string"},
                    "child": {"$ref": "#/components/schemas/A.Thing"},
                    "parts": {"type": "array", "items": {"$ref": "#/components/schemas/B.Part"}},
                },
            },
            "B.Part": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "C.Part": {"type": "object"},
        }
    },
}  # fmt: skip


def test_schema_resolves_refs_and_allows_nulls() -> None:
    thing = openapi.schema(TINY, "Thing")
    assert thing["properties"]["parts"]["items"]["properties"]["n"]["type"] == ["integer", "null"]
    assert thing["properties"]["child"] == {"type": ["object", "null"]}  # recursion stops
    assert thing["properties"]["soort"]["enum"] == ["X", "Y", None]
    openapi.validate(TINY, "Thing", {"naam": None, "soort": None, "parts": [{"n": 1}]})
    with pytest.raises(jsonschema.ValidationError):
        openapi.validate(TINY, "Thing", {"naam": "long"})
    strict = openapi.schema(TINY, "A.Thing", nulls=False)
    with pytest.raises(jsonschema.ValidationError):
        openapi.validate(TINY, strict, {"naam": None})


def test_schema_names_must_be_unique() -> None:
    assert openapi.schema_names(TINY) == ["A.Thing", "B.Part", "C.Part"]
    with pytest.raises(KeyError):
        openapi.schema(TINY, "Part")
    with pytest.raises(KeyError):
        openapi.schema(TINY, "Nothing")


def test_response_schema_of_an_operation() -> None:
    found = openapi.response_schema(TINY, "GET", "/things/{id}", 200, nulls=False)
    assert found is not None
    assert found["properties"]["naam"]["type"] == "string"
    assert openapi.response_schema(TINY, "GET", "/things/{id}", 404) is None
    with pytest.raises(KeyError):
        openapi.response_schema(TINY, "POST", "/things/{id}", 200)


def test_load_document_reads_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    assert openapi.load_document(path)["components"] == TINY["components"]
    assert openapi.load_document(str(path)) is openapi.load_document(path)
    assert openapi.load_schema(path, "B.Part")["properties"]["n"]["type"] == ["integer", "null"]


@pytest.mark.reference
def test_spec_path_maps_concrete_paths_to_templates(reference_dir: Path) -> None:
    document = openapi.load_document(reference_dir / SPEC_FILE)
    paths = document["paths"]
    guid = "11111111-2222-3333-4444-555555555555"
    assert spec_path("GET", "/relaties", paths) == "/relaties"
    assert spec_path("GET", f"/relaties/{guid}", paths) == "/relaties/{id}"
    assert spec_path("POST", "/documenten/Verkoopboekingen", paths) == "/documenten/{documenttype}"
    assert (
        spec_path("GET", f"/documenten/Relaties/{guid}", paths)
        == "/documenten/{documenttype}/{pid}"
    )
    assert spec_path("GET", "/nothing/here/at/all", paths) is None


def _request_schema(document: Mapping[str, Any], method: str, path: str) -> dict[str, Any]:
    ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return openapi.schema(document, ref["$ref"].rsplit("/", 1)[1])


@pytest.mark.reference
def test_example_request_bodies_match_the_spec(
    reference_dir: Path, admin: SandboxAdministration
) -> None:
    document = openapi.load_document(reference_dir / SPEC_FILE)
    guid = "11111111-2222-3333-4444-555555555555"
    bodies = [
        ("post", "/relaties", klant(admin)),
        ("post", "/verkoopboekingen", verkoop(admin, guid)),
        ("post", "/kostenplaatsen", {"nummer": 1, "omschrijving": "Project"}),
        ("post", "/documenten/{documenttype}",
         {"content": "JVBERi0=", "parentIdentifier": guid, "fileName": "f.pdf", "readOnly": False}),
    ]  # fmt: skip
    for method, path, body in bodies:
        openapi.validate(document, _request_schema(document, method, path), body)


@pytest.mark.reference
def test_spec_rejects_a_wrong_body_so_the_checks_can_fail(reference_dir: Path) -> None:
    document = openapi.load_document(reference_dir / SPEC_FILE)
    with pytest.raises(jsonschema.ValidationError):
        openapi.validate(document, "RelatieModel", {"relatiecode": "twelve"})
    checker = SpecChecker(document)
    checker.check("GET", "/landen", 200, [{"naam": 5}])
    assert checker.failures


@pytest.mark.reference
def test_every_response_in_a_full_session_matches_the_spec(
    reference_dir: Path, api: httpx.Client, admin: SandboxAdministration, spec_checker: SpecChecker
) -> None:
    relatie = api.post("/relaties", json=klant(admin)).json()
    leverancier = api.post(
        "/relaties", json=klant(admin, relatiesoort=["Leverancier"], naam="Lev BV")
    ).json()
    kpl = api.post("/kostenplaatsen", json={"nummer": 9, "omschrijving": "Negen"}).json()
    boeking = api.post("/verkoopboekingen", json=verkoop(admin, relatie["id"])).json()
    inkoop = {
        "factuurnummer": "I-1", "leverancier": {"id": leverancier["id"]},
        "factuurdatum": "2026-01-02T00:00:00", "factuurbedrag": 10,
        "boekingsregels": [{"grootboek": {"id": admin.grootboek_id(4000)},
                            "kostenplaats": {"id": kpl["id"]}, "bedrag": 10}],
    }  # fmt: skip
    inkoop_id = api.post("/inkoopboekingen", json=inkoop).json()["id"]
    doc = api.post(
        "/documenten/Verkoopboekingen",
        json={"content": "JVBERi0=", "parentIdentifier": boeking["id"], "fileName": "f.pdf"},
    ).json()
    mutatie = api.get("/grootboekmutaties").json()[0]
    factuur = api.get("/verkoopfacturen").json()[0]
    for path in (
        "/relaties", f"/relaties/{relatie['id']}", f"/relaties/{relatie['id']}/verkoopboekingen",
        f"/relaties/{leverancier['id']}/inkoopboekingen", "/landen", "/kostenplaatsen",
        f"/kostenplaatsen/{kpl['id']}", "/grootboeken", "/btwtarieven", "/verkoopfacturen",
        f"/verkoopfacturen/{factuur['id']}", "/inkoopfacturen", "/grootboekmutaties",
        f"/grootboekmutaties/{mutatie['id']}", f"/verkoopboekingen/{boeking['id']}",
        f"/inkoopboekingen/{inkoop_id}", f"/documenten/{doc['id']}",
        f"/documenten/Verkoopboekingen/{boeking['id']}",
    ):  # fmt: skip
        assert api.get(path).status_code == 200, path
    api.put(f"/relaties/{relatie['id']}", json=relatie)
    api.put(f"/kostenplaatsen/{kpl['id']}", json={**kpl, "nonactief": True})
    api.delete(f"/documenten/{doc['id']}")
    assert spec_checker.checked >= 25
    assert spec_checker.failures == []
