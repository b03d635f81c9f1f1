"""/landen, /btwtarieven, /kostenplaatsen and /grootboeken."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finlink.testing.snelstart import SandboxAdministration, SnelStartSandbox
from tests.testing.snelstart.support import errors, money


def test_landen_have_stable_guids_that_differ_per_administration(
    sandbox: SnelStartSandbox, admin: SandboxAdministration
) -> None:
    other = sandbox.add_administration("Stichting Acme")
    nl = admin.land_id("NL")
    assert nl != sandbox.administration(other.name).land_id("NL")
    fresh = SnelStartSandbox()
    fresh.add_administration(admin.name)
    assert fresh.administration(admin.name).land_id("NL") == nl


def test_landen_lists_every_country_and_ignores_odata(api: httpx.Client) -> None:
    everything = api.get("/landen").json()
    filtered = api.get("/landen", params={"$filter": "Landcode eq 'NL'", "$top": "1"}).json()
    assert filtered == everything  # no OData on /landen (reference §2.2)
    nl = next(land for land in everything if land["landcodeISO"] == "NL")
    assert nl["naam"] == "Nederland"
    assert api.get(f"/landen/{nl['id']}").json() == nl


def test_btwtarieven_hold_the_dutch_rates(api: httpx.Client) -> None:
    rates = api.get("/btwtarieven").json()
    current = {
        r["btwSoort"]: money(r["btwPercentage"]) for r in rates if r["datumTotEnMet"] is None
    }
    assert current == {"Geen": 0, "Laag": 9, "Hoog": 21}


def test_add_vat_rate_appears_in_btwtarieven(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    admin.add_vat_rate("Overig", Decimal("13.5"), date(2026, 1, 1))
    rows = [r for r in api.get("/btwtarieven").json() if r["btwSoort"] == "Overig"]
    assert rows == [
        {
            "btwSoort": "Overig",
            "btwPercentage": 13.5,
            "datumVanaf": "2026-01-01T00:00:00",
            "datumTotEnMet": None,
        }
    ]


def _kpl(**overrides: Any) -> dict[str, Any]:
    return {"nummer": 1001, "omschrijving": "Project Dam", **overrides}


def test_kostenplaats_is_created_active(api: httpx.Client) -> None:
    response = api.post("/kostenplaatsen", json=_kpl())
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "omschrijving": "Project Dam",
        "nonactief": False,
        "nummer": 1001,
        "id": body["id"],
        "uri": f"/kostenplaatsen/{body['id']}",
    }
    assert api.get("/kostenplaatsen").json() == [body]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (_kpl(omschrijving=""), "KPL-0004"),
        (_kpl(omschrijving=None), "KPL-0004"),
        (_kpl(omschrijving="o" * 51), "KPL-0005"),
        (_kpl(nummer=None), "KPL-0006"),
        (_kpl(nummer=0), "KPL-0006"),
        (_kpl(nummer=1_000_000_000), "KPL-0007"),
        (_kpl(nummer=-5), "KPL-0007"),
        (_kpl(nonactief=True), "KPL-0009"),
    ],
)
def test_kostenplaats_rules(api: httpx.Client, body: dict[str, Any], code: str) -> None:
    assert errors(api.post("/kostenplaatsen", json=body)) == [code]


def test_kostenplaats_nummer_is_unique_kpl_0008(api: httpx.Client) -> None:
    api.post("/kostenplaatsen", json=_kpl())
    assert api.post("/kostenplaatsen", json=_kpl(omschrijving="Ander")).json() == [
        {"errorCode": "KPL-0008", "message": "Dit nummer bestaat al"}
    ]


def test_kostenplaats_nummer_limits_are_inclusive(api: httpx.Client) -> None:
    assert api.post("/kostenplaatsen", json=_kpl(nummer=1)).status_code == 201
    assert api.post("/kostenplaatsen", json=_kpl(nummer=999_999_999)).status_code == 201


def test_kostenplaats_is_deactivated_with_put(api: httpx.Client) -> None:
    created = api.post("/kostenplaatsen", json=_kpl()).json()
    response = api.put(f"/kostenplaatsen/{created['id']}", json={**created, "nonactief": True})
    assert response.status_code == 200
    assert api.get(f"/kostenplaatsen/{created['id']}").json()["nonactief"] is True


def test_kostenplaats_put_with_another_id_is_alg_0101(api: httpx.Client) -> None:
    created = api.post("/kostenplaatsen", json=_kpl()).json()
    body = {**created, "id": "11111111-2222-3333-4444-555555555555"}
    assert errors(api.put(f"/kostenplaatsen/{created['id']}", json=body)) == ["ALG-0101"]


def test_kostenplaats_post_with_an_id_is_alg_0100(api: httpx.Client) -> None:
    body = _kpl(id="11111111-2222-3333-4444-555555555555")
    assert errors(api.post("/kostenplaatsen", json=body)) == ["ALG-0100"]


def test_kostenplaats_of_the_wrong_shape_fails_model_binding(api: httpx.Client) -> None:
    for body in ([1], _kpl(nummer="12"), _kpl(omschrijving=12)):
        response = api.post("/kostenplaatsen", json=body)
        assert response.status_code == 400
        assert "modelState" in response.json()


def test_kostenplaats_delete(api: httpx.Client) -> None:
    created = api.post("/kostenplaatsen", json=_kpl()).json()
    assert api.delete(f"/kostenplaatsen/{created['id']}").json() == {}
    assert api.get(f"/kostenplaatsen/{created['id']}").status_code == 404


def test_grootboeken_are_seeded_and_filterable(api: httpx.Client) -> None:
    rows = api.get("/grootboeken", params={"$filter": "Nummer eq 8000"}).json()
    assert [(r["nummer"], r["omschrijving"], r["grootboekfunctie"]) for r in rows] == [
        (8000, "Omzet hoog", "VerkopenOmzetHoog")
    ]
    numbers = {r["nummer"] for r in api.get("/grootboeken").json()}
    assert {1300, 1600, 4000, 8000} <= numbers


def test_grootboek_with_kostenplaats_verplicht(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    admin.add_ledger(4100, "Projectkosten", kostenplaats_verplicht=True)
    row = api.get("/grootboeken", params={"$filter": "KostenplaatsVerplicht eq true"}).json()
    assert [r["nummer"] for r in row] == [4100]
    assert api.get(f"/grootboeken/{row[0]['id']}").json()["kostenplaatsVerplicht"] is True


def test_grootboek_post_and_its_rules(api: httpx.Client) -> None:
    created = api.post("/grootboeken", json={"nummer": 4200, "omschrijving": "Reiskosten"})
    assert created.status_code == 201
    assert created.json()["rekeningCode"] == "WinstEnVerlies"
    duplicate = api.post("/grootboeken", json={"nummer": 4200, "omschrijving": "Dubbel"})
    assert errors(duplicate) == ["BOE-0086"]
    assert errors(api.post("/grootboeken", json={"nummer": 4201, "omschrijving": "x" * 51})) == [
        "BOE-0088"
    ]
    assert errors(api.post("/grootboeken", json={"nummer": 4202})) == ["BOE-0084"]
    assert api.post("/grootboeken", json={"omschrijving": "Geen nummer"}).status_code == 400
    with_id = {"nummer": 4203, "omschrijving": "x", "id": "11111111-2222-3333-4444-555555555555"}
    assert errors(api.post("/grootboeken", json=with_id)) == ["ALG-0100"]
    assert api.post("/grootboeken", json=["x"]).status_code == 400


def test_grootboeken_have_no_put(api: httpx.Client) -> None:
    ledger = api.get("/grootboeken").json()[0]
    response = api.put(f"/grootboeken/{ledger['id']}", json=ledger)
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Resource not found"}
