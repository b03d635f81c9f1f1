"""/documenten: attaching PDFs to boekingen and relaties."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from finlink.testing.snelstart import SandboxAdministration
from finlink.testing.snelstart.entities.documenten import MAX_DOCUMENT_BYTES
from tests.testing.snelstart.support import errors, klant, verkoop

PDF = b"%PDF-1.4 factuur"


@pytest.fixture
def boeking_id(api: httpx.Client, admin: SandboxAdministration) -> str:
    relatie = api.post("/relaties", json=klant(admin)).json()
    return str(api.post("/verkoopboekingen", json=verkoop(admin, relatie["id"])).json()["id"])


def _doc(parent: str, data: bytes = PDF, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "content": base64.b64encode(data).decode("ascii"),
        "parentIdentifier": parent,
        "fileName": "factuur-2026-0001.pdf",
        "readOnly": False,
    }
    body.update(overrides)
    return body


def test_upload_answers_200_with_an_identifier(
    api: httpx.Client, admin: SandboxAdministration, boeking_id: str
) -> None:
    response = api.post("/documenten/Verkoopboekingen", json=_doc(boeking_id))
    assert response.status_code == 200  # not 201 (SPEC)
    ident = response.json()
    assert ident == {"id": ident["id"], "uri": f"/documenten/{ident['id']}"}
    [stored] = admin.documents()
    assert stored["content"] == PDF
    assert stored["type"] == "Verkoopboekingen"
    boeking = api.get(f"/verkoopboekingen/{boeking_id}").json()
    assert [d["fileName"] for d in boeking["documents"]] == ["factuur-2026-0001.pdf"]


def test_list_get_put_and_delete(api: httpx.Client, boeking_id: str) -> None:
    ident = api.post("/documenten/verkoopboekingen", json=_doc(boeking_id)).json()
    listed = api.get(f"/documenten/Verkoopboekingen/{boeking_id}").json()
    assert listed == [
        {
            "verkoopBoekingId": boeking_id,
            "fileName": "factuur-2026-0001.pdf",
            "readOnly": False,
            "id": ident["id"],
            "uri": ident["uri"],
        }
    ]
    got = api.get(f"/documenten/{ident['id']}").json()
    assert base64.b64decode(got["content"]) == PDF
    assert got["parentIdentifier"] == boeking_id
    replaced = api.put(f"/documenten/{ident['id']}", json=_doc(boeking_id, b"v2", fileName="b.pdf"))
    assert replaced.json() == ident
    assert base64.b64decode(api.get(f"/documenten/{ident['id']}").json()["content"]) == b"v2"
    assert api.delete(f"/documenten/{ident['id']}").json() == {}
    assert api.get(f"/documenten/{ident['id']}").status_code == 404


def test_documents_on_relaties(api: httpx.Client, admin: SandboxAdministration) -> None:
    relatie = api.post("/relaties", json=klant(admin)).json()
    assert api.post("/documenten/Relaties", json=_doc(relatie["id"])).status_code == 200
    assert len(api.get(f"/relaties/{relatie['id']}").json()["documents"]) == 1
    assert api.get(f"/documenten/Inkoopboekingen/{relatie['id']}").status_code == 404


def test_unknown_parent_is_404(api: httpx.Client, boeking_id: str) -> None:
    response = api.post("/documenten/Inkoopboekingen", json=_doc(boeking_id))
    assert response.status_code == 404
    assert "Message" in response.json()


def test_over_10_mb_is_blg_0006(api: httpx.Client, boeking_id: str) -> None:
    big = api.post(
        "/documenten/Verkoopboekingen", json=_doc(boeking_id, b"x" * (MAX_DOCUMENT_BYTES + 1))
    )
    assert big.json() == [{"errorCode": "BLG-0006", "message": "Bestand is groter dan 10MB."}]
    exact = _doc(boeking_id, b"x" * MAX_DOCUMENT_BYTES)
    assert api.post("/documenten/Verkoopboekingen", json=exact).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"fileName": ""}, "BLG-0007"),
        ({"fileName": None}, "BLG-0007"),
        ({"fileName": "a/b.pdf"}, "BLG-0016"),
        ({"fileName": "x" * 252 + ".pdf"}, "BLG-0017"),
        ({"content": ""}, "BLG-0011"),
    ],
)
def test_file_rules(
    api: httpx.Client, boeking_id: str, overrides: dict[str, Any], code: str
) -> None:
    assert errors(api.post("/documenten/Verkoopboekingen", json=_doc(boeking_id, **overrides))) == [
        code
    ]


def test_bad_requests(api: httpx.Client, boeking_id: str) -> None:
    assert "modelState" in api.post("/documenten/Facturen", json=_doc(boeking_id)).json()
    assert (
        "modelState"
        in api.post(
            "/documenten/Verkoopboekingen", json=_doc(boeking_id, content="not base64!")
        ).json()
    )
    assert (
        "modelState"
        in api.post("/documenten/Verkoopboekingen", json=_doc(boeking_id, content=5)).json()
    )
    assert "modelState" in api.post("/documenten/Verkoopboekingen", json=[1]).json()
    empty = api.post(
        "/documenten/Verkoopboekingen", content=b"", headers={"Content-Type": "application/json"}
    )
    assert errors(empty) == ["BLG-0009"]
    assert errors(api.get("/documenten/not-a-guid")) == ["ALG-0103"]
    unknown = "11111111-2222-3333-4444-555555555555"
    assert api.put(f"/documenten/{unknown}", json=_doc(boeking_id)).status_code == 404
    ident = api.post("/documenten/Verkoopboekingen", json=_doc(boeking_id)).json()
    assert "modelState" in api.put(f"/documenten/{ident['id']}", json="x").json()


def test_deleting_the_boeking_deletes_its_documents(
    api: httpx.Client, admin: SandboxAdministration, boeking_id: str
) -> None:
    api.post("/documenten/Verkoopboekingen", json=_doc(boeking_id))
    api.delete(f"/verkoopboekingen/{boeking_id}")
    assert admin.documents() == []
