"""Verkoop- and inkoopboekingen, the open invoices they create, payments and mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import SandboxAdministration
from tests.testing.snelstart.support import errors, klant, money, verkoop


@pytest.fixture
def klant_id(api: httpx.Client, admin: SandboxAdministration) -> str:
    return str(api.post("/relaties", json=klant(admin)).json()["id"])


@pytest.fixture
def leverancier_id(api: httpx.Client, admin: SandboxAdministration) -> str:
    body = klant(admin, relatiesoort=["Leverancier"], naam="Groothandel BV", krediettermijn=60)
    return str(api.post("/relaties", json=body).json()["id"])


def inkoop(admin: SandboxAdministration, leverancier: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "factuurnummer": "INK-77",
        "leverancier": {"id": leverancier},
        "factuurdatum": "2026-01-02T00:00:00",
        "factuurbedrag": 60.50,
        "boekingsregels": [
            {"grootboek": {"id": admin.grootboek_id(4000)}, "bedrag": 50.00, "btwSoort": "Hoog"}
        ],
        "btw": [{"btwSoort": "InkopenHoog", "btwBedrag": 10.50}],
    }
    body.update(overrides)
    return body


def test_verkoopboeking_creates_an_open_invoice(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    response = api.post("/verkoopboekingen", json=verkoop(admin, klant_id))
    assert response.status_code == 201
    boeking = response.json()
    assert money(boeking["factuurbedrag"]) == Decimal("121.00")
    [factuur] = api.get("/verkoopfacturen").json()
    assert factuur["factuurnummer"] == "2026-0001"
    assert factuur["verkoopBoeking"]["id"] == boeking["id"]
    assert factuur["relatie"]["id"] == klant_id
    assert money(factuur["openstaandSaldo"]) == money(factuur["factuurBedrag"]) == 121
    assert factuur["factuurDatum"] == "2026-01-05T00:00:00"
    assert factuur["vervalDatum"] == "2026-02-04T00:00:00"  # 30 days betalingstermijn
    assert api.get(f"/verkoopfacturen/{factuur['id']}").json() == factuur
    assert api.get(f"/verkoopboekingen/{boeking['id']}").json()["factuurnummer"] == "2026-0001"


def test_payments_lower_openstaand_saldo_and_bump_modified_on(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str, clock: SimulatedClock
) -> None:
    api.post("/verkoopboekingen", json=verkoop(admin, klant_id))
    clock.advance(minutes=30)  # well within the token's hour
    admin.record_payment("2026-0001", Decimal("21.00"))
    [factuur] = api.get("/verkoopfacturen").json()
    assert money(factuur["openstaandSaldo"]) == 100
    assert factuur["modifiedOn"] == "2026-01-05T09:30:00"
    admin.record_payment("2026-0001", Decimal("100.00"))
    paid = api.get("/verkoopfacturen", params={"$filter": "OpenstaandSaldo eq 0"}).json()
    assert [f["factuurnummer"] for f in paid] == ["2026-0001"]


def test_unknown_invoice_payment_raises_key_error(admin: SandboxAdministration) -> None:
    with pytest.raises(KeyError):
        admin.record_payment("nope", Decimal(1))


def test_duplicate_factuurnummer_is_boe_0021(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    api.post("/verkoopboekingen", json=verkoop(admin, klant_id))
    assert api.post("/verkoopboekingen", json=verkoop(admin, klant_id)).json() == [
        {"errorCode": "BOE-0021", "message": "Het factuurnummer bestaat al"}
    ]
    assert len(admin.invoices()) == 1


def test_out_of_balance_is_boe_0039(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    body = verkoop(admin, klant_id, factuurbedrag=121.01)
    assert errors(api.post("/verkoopboekingen", json=body)) == ["BOE-0039"]
    assert admin.invoices() == []


def test_balance_is_exact_in_decimal(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    regels = [
        {"grootboek": {"id": admin.grootboek_id(8000)}, "bedrag": 0.1, "btwSoort": "Hoog"},
        {"grootboek": {"id": admin.grootboek_id(8000)}, "bedrag": 0.2, "btwSoort": "Hoog"},
    ]
    body = verkoop(admin, klant_id, boekingsregels=regels, btw=[], factuurbedrag=0.3)
    assert api.post("/verkoopboekingen", json=body).status_code == 201


@pytest.mark.parametrize("nummer", ["", None, "F" * 26])
def test_factuurnummer_required_and_at_most_25_boe_0058(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str, nummer: str | None
) -> None:
    body = verkoop(admin, klant_id, factuurnummer=nummer)
    assert errors(api.post("/verkoopboekingen", json=body)) == ["BOE-0058"]


def test_factuurnummer_of_25_is_accepted(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    assert api.post("/verkoopboekingen", json=verkoop(admin, klant_id, "F" * 25)).status_code == 201


def test_verkoop_to_a_leverancier_is_boe_0060(
    api: httpx.Client, admin: SandboxAdministration, leverancier_id: str
) -> None:
    assert errors(api.post("/verkoopboekingen", json=verkoop(admin, leverancier_id))) == [
        "BOE-0060"
    ]


def test_verkoop_to_an_unknown_relatie_is_rel_0005(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = verkoop(admin, "11111111-2222-3333-4444-555555555555")
    assert errors(api.post("/verkoopboekingen", json=body)) == ["REL-0005"]


def test_verkoop_to_an_inactive_klant_is_boe_0054(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    admin.edit_relatie(klant_id, nonactief=True)
    assert errors(api.post("/verkoopboekingen", json=verkoop(admin, klant_id))) == ["BOE-0054"]


def test_kostenplaats_required_by_the_ledger_is_boe_0022(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    ledger = admin.add_ledger(8200, "Omzet projecten", kostenplaats_verplicht=True)
    regels = [{"grootboek": {"id": ledger["id"]}, "bedrag": 100.00}]
    body = verkoop(admin, klant_id, boekingsregels=regels)
    assert errors(api.post("/verkoopboekingen", json=body)) == ["BOE-0022"]
    kpl = api.post("/kostenplaatsen", json={"nummer": 7, "omschrijving": "Dam"}).json()
    regels[0]["kostenplaats"] = {"id": kpl["id"]}
    assert api.post("/verkoopboekingen", json=body).status_code == 201


def test_line_rules(api: httpx.Client, admin: SandboxAdministration, klant_id: str) -> None:
    kpl = api.post("/kostenplaatsen", json={"nummer": 8, "omschrijving": "Oud"}).json()
    api.put(f"/kostenplaatsen/{kpl['id']}", json={**kpl, "nonactief": True})
    dead = admin.add_ledger(8300, "Vervallen", nonactief=True)
    unknown = {"id": "11111111-2222-3333-4444-555555555555"}
    omzet = {"id": admin.grootboek_id(8000)}
    cases: list[tuple[list[dict[str, Any]], str]] = [
        ([{"grootboek": unknown, "bedrag": 121}], "BOE-0037"),
        ([{"grootboek": {"id": dead["id"]}, "bedrag": 121}], "BOE-0008"),
        ([{"grootboek": omzet, "kostenplaats": unknown, "bedrag": 121}], "BOE-0019"),
        ([{"grootboek": omzet, "kostenplaats": {"id": kpl["id"]}, "bedrag": 121}], "BOE-0026"),
        ([{"grootboek": omzet, "bedrag": 121, "omschrijving": "o" * 251}], "BOE-0071"),
        ([], "BOE-0023"),
    ]
    for regels, code in cases:
        body = verkoop(admin, klant_id, boekingsregels=regels, btw=[])
        assert errors(api.post("/verkoopboekingen", json=body)) == [code], code
    zero = verkoop(admin, klant_id, boekingsregels=[{"grootboek": omzet, "bedrag": 0}], btw=[],
                   factuurbedrag=0)  # fmt: skip
    assert errors(api.post("/verkoopboekingen", json=zero)) == ["BOE-0028"]


def test_header_rules(api: httpx.Client, admin: SandboxAdministration, klant_id: str) -> None:
    assert errors(
        api.post("/verkoopboekingen", json=verkoop(admin, klant_id, omschrijving="o" * 251))
    ) == ["BOE-0071"]
    assert errors(
        api.post("/verkoopboekingen", json=verkoop(admin, klant_id, boekstuk="b" * 26))
    ) == ["BOE-0068"]
    old = verkoop(admin, klant_id, factuurdatum="2020-12-31T00:00:00")
    assert errors(api.post("/verkoopboekingen", json=old)) == ["BOE-0033"]
    oldest_allowed = verkoop(admin, klant_id, "OUD-1", factuurdatum="2021-01-01T00:00:00")
    assert api.post("/verkoopboekingen", json=oldest_allowed).status_code == 201


def test_verlegd_vat_cannot_be_combined_boe_0062(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    btw = [
        {"btwSoort": "VerkopenHoog", "btwBedrag": 21.00},
        {"btwSoort": "VerkopenVerlegd", "btwBedrag": 1.00},
    ]
    body = verkoop(admin, klant_id, btw=btw, factuurbedrag=122.00)
    assert errors(api.post("/verkoopboekingen", json=body)) == ["BOE-0062"]


def test_missing_vat_ledger_is_boe_0081(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    admin.delete("grootboeken", admin.grootboek_id(1510))
    assert errors(api.post("/verkoopboekingen", json=verkoop(admin, klant_id))) == ["BOE-0081"]


def test_bad_values_fail_model_binding(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    for overrides in (
        {"betalingstermijn": 1000},
        {"factuurbedrag": "121"},
        {"factuurdatum": "gisteren"},
        {"btw": [{"btwSoort": "Hoog", "btwBedrag": 21}]},
        {"btw": "21"},
        {"boekingsregels": ["x"]},
    ):
        response = api.post("/verkoopboekingen", json=verkoop(admin, klant_id, **overrides))
        assert response.status_code == 400, overrides
        assert "modelState" in response.json(), overrides
    regels = [{"grootboek": {"id": admin.grootboek_id(8000)}, "bedrag": 121, "btwSoort": "Hog"}]
    bad = api.post("/verkoopboekingen", json=verkoop(admin, klant_id, boekingsregels=regels))
    assert "modelState" in bad.json()


def test_put_changes_the_invoice_but_keeps_payments(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    boeking = api.post("/verkoopboekingen", json=verkoop(admin, klant_id)).json()
    admin.record_payment("2026-0001", Decimal(21))
    regels = [{"grootboek": {"id": admin.grootboek_id(8000)}, "bedrag": 200.00}]
    changed = {**boeking, "boekingsregels": regels, "btw": [], "factuurbedrag": 200.00}
    assert api.put(f"/verkoopboekingen/{boeking['id']}", json=changed).status_code == 200
    [factuur] = api.get("/verkoopfacturen").json()
    assert money(factuur["factuurBedrag"]) == 200
    assert money(factuur["openstaandSaldo"]) == 179


def test_put_with_another_id_is_alg_0101(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    boeking = api.post("/verkoopboekingen", json=verkoop(admin, klant_id)).json()
    body = {**boeking, "id": "11111111-2222-3333-4444-555555555555"}
    assert errors(api.put(f"/verkoopboekingen/{boeking['id']}", json=body)) == ["ALG-0101"]
    with_id = verkoop(admin, klant_id, "NIEUW", id="11111111-2222-3333-4444-555555555555")
    assert errors(api.post("/verkoopboekingen", json=with_id)) == ["ALG-0100"]


def test_delete_removes_boeking_and_invoice_unless_paid(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    one = api.post("/verkoopboekingen", json=verkoop(admin, klant_id, "D-1")).json()
    two = api.post("/verkoopboekingen", json=verkoop(admin, klant_id, "D-2")).json()
    admin.record_payment("D-2", Decimal(1))
    assert api.delete(f"/verkoopboekingen/{one['id']}").json() == {}
    assert api.get(f"/verkoopboekingen/{one['id']}").status_code == 404
    assert [f["factuurnummer"] for f in admin.invoices()] == ["D-2"]
    assert errors(api.delete(f"/verkoopboekingen/{two['id']}")) == ["BOE-0083"]


def test_inkoopboeking_creates_an_inkoopfactuur(
    api: httpx.Client, admin: SandboxAdministration, leverancier_id: str
) -> None:
    response = api.post("/inkoopboekingen", json=inkoop(admin, leverancier_id))
    assert response.status_code == 201
    [factuur] = api.get("/inkoopfacturen").json()
    assert factuur["inkoopBoeking"]["id"] == response.json()["id"]
    assert factuur["vervalDatum"] == "2026-03-03T00:00:00"  # the leverancier's 60 days
    assert money(factuur["openstaandSaldo"]) == Decimal("60.50")
    admin.record_payment("INK-77", Decimal("60.50"), kind="inkoop")
    assert money(api.get("/inkoopfacturen").json()[0]["openstaandSaldo"]) == 0
    assert api.get(f"/inkoopfacturen/{factuur['id']}").status_code == 404  # no GET by id


def test_inkoop_party_rules(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str, leverancier_id: str
) -> None:
    unknown = "11111111-2222-3333-4444-555555555555"
    assert errors(api.post("/inkoopboekingen", json=inkoop(admin, unknown))) == ["BOE-0002"]
    assert errors(api.post("/inkoopboekingen", json=inkoop(admin, klant_id))) == ["BOE-0003"]
    no_date = inkoop(admin, leverancier_id, factuurdatum=None)
    assert "modelState" in api.post("/inkoopboekingen", json=no_date).json()


def test_inkoop_factuurnummer_is_unique_per_leverancier(
    api: httpx.Client, admin: SandboxAdministration, leverancier_id: str
) -> None:
    other = api.post(
        "/relaties", json=klant(admin, relatiesoort=["Leverancier"], naam="Ander BV")
    ).json()["id"]
    assert api.post("/inkoopboekingen", json=inkoop(admin, leverancier_id)).status_code == 201
    assert api.post("/inkoopboekingen", json=inkoop(admin, other)).status_code == 201
    assert errors(api.post("/inkoopboekingen", json=inkoop(admin, leverancier_id))) == ["BOE-0021"]
    with pytest.raises(KeyError):
        admin.record_payment("INK-77", Decimal(1), kind="inkoop")
    paid = admin.record_payment("INK-77", Decimal(1), kind="inkoop", relatie_id=other)
    assert paid["openstaandSaldo"] == Decimal("59.50")


def test_grootboekmutaties_per_kostenplaats(
    api: httpx.Client, admin: SandboxAdministration, leverancier_id: str
) -> None:
    kpl = api.post("/kostenplaatsen", json={"nummer": 42, "omschrijving": "Project 42"}).json()
    regels = [
        {"grootboek": {"id": admin.grootboek_id(4000)}, "kostenplaats": {"id": kpl["id"]},
         "bedrag": 30.00, "omschrijving": "Materiaal"},
        {"grootboek": {"id": admin.grootboek_id(4000)}, "bedrag": 20.00},
    ]  # fmt: skip
    api.post("/inkoopboekingen", json=inkoop(admin, leverancier_id, boekingsregels=regels))
    rows = api.get(
        "/grootboekmutaties", params={"$filter": f"Kostenplaats/Id eq guid'{kpl['id']}'"}
    ).json()
    assert [(money(r["debet"]), money(r["credit"]), money(r["saldo"])) for r in rows] == [
        (Decimal(30), Decimal(0), Decimal(30))
    ]
    assert rows[0]["factuurNummer"] == "INK-77"
    assert rows[0]["relatiePublicIdentifier"]["id"] == leverancier_id
    assert rows[0]["omschrijving"] == "Materiaal"
    everything = api.get("/grootboekmutaties").json()
    assert sum(money(r["saldo"]) for r in everything) == 0  # double entry balances
    assert api.get(f"/grootboekmutaties/{rows[0]['id']}").json() == rows[0]


def test_grootboekmutaties_apply_is_not_emulated(api: httpx.Client) -> None:
    response = api.get(
        "/grootboekmutaties", params={"$apply": "aggregate(Saldo with sum as Totaal)"}
    )
    assert response.status_code == 501


def test_payments_book_bank_mutations(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    api.post("/verkoopboekingen", json=verkoop(admin, klant_id))
    admin.record_payment("2026-0001", Decimal(50), on=date(2026, 1, 20))
    bank = api.get(
        "/grootboekmutaties",
        params={"$filter": f"Grootboek/Id eq guid'{admin.grootboek_id(1100)}'"},
    ).json()
    assert [(money(r["debet"]), r["datum"]) for r in bank] == [(Decimal(50), "2026-01-20T00:00:00")]


def test_direct_debit_mandate_rules(
    api: httpx.Client, admin: SandboxAdministration, klant_id: str
) -> None:
    machtiging = {
        "kenmerk": "M-1",
        "omschrijving": "Incasso januari",
        "datum": "2026-01-05T00:00:00",
    }
    no_iban = verkoop(admin, klant_id, eenmaligeIncassoMachtiging=machtiging)
    assert errors(api.post("/verkoopboekingen", json=no_iban)) == ["BOE-0052"]
    admin.edit_relatie(klant_id, iban="NL91ABNA0417164300")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"eenmaligeIncassoMachtiging": {**machtiging, "omschrijving": "o" * 51}}, "BOE-0056"),
        ({"eenmaligeIncassoMachtiging": {**machtiging, "kenmerk": "k" * 51}}, "BOE-0057"),
        ({"eenmaligeIncassoMachtiging": machtiging,
          "doorlopendeIncassoMachtiging": {"id": "11111111-2222-3333-4444-555555555555"}},
         "BOE-0064"),
        ({"doorlopendeIncassoMachtiging": {"id": "11111111-2222-3333-4444-555555555555"}},
         "BOE-0066"),
    ]  # fmt: skip
    for overrides, code in cases:
        response = api.post("/verkoopboekingen", json=verkoop(admin, klant_id, **overrides))
        assert code in errors(response), code
    missing = verkoop(admin, klant_id, eenmaligeIncassoMachtiging={"kenmerk": "x"})
    assert "modelState" in api.post("/verkoopboekingen", json=missing).json()
    ok = api.post(
        "/verkoopboekingen", json=verkoop(admin, klant_id, eenmaligeIncassoMachtiging=machtiging)
    )
    assert ok.status_code == 201
    assert ok.json()["eenmaligeIncassoMachtiging"] == machtiging
