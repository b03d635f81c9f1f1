"""/relaties: creation, reading, PUT, DELETE and every REL-* rule the sandbox enforces."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import MESSAGES, SandboxAdministration
from tests.testing.snelstart.support import address, errors, klant, parties, verkoop


def test_post_creates_a_relatie_with_server_fields(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    response = api.post("/relaties", json=klant(admin))
    assert response.status_code == 201
    body = response.json()
    assert body["relatiesoort"] == ["Klant"]
    assert body["relatiecode"] == 1
    assert body["modifiedOn"] == "2026-01-05T09:00:00"
    assert body["uri"] == f"/relaties/{body['id']}"
    assert body["vestigingsAdres"]["land"]["id"] == admin.land_id("NL")
    assert "fax" not in body  # POST answers with RelatieWriteModel (SPEC)
    assert api.get(f"/relaties/{body['id']}").json()["fax"] is None
    assert [r["id"] for r in parties(admin)] == [body["id"]]


def test_relatiecode_is_assigned_after_the_highest_in_use(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    api.post("/relaties", json=klant(admin, relatiecode=40))
    assert api.post("/relaties", json=klant(admin)).json()["relatiecode"] == 41


def test_duplicate_relatiecode_is_rel_0008_with_the_vendor_message(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    assert api.post("/relaties", json=klant(admin, relatiecode=12)).status_code == 201
    response = api.post("/relaties", json=klant(admin, relatiecode=12))
    assert response.json() == [{"errorCode": "REL-0008", "message": "Relatiecode reeds in gebruik"}]


@pytest.mark.parametrize(
    ("soort", "code"),
    [
        (["Klant", "Leverancier"], "REL-0065"),
        (["Eigen"], "REL-0048"),
        (["Geen"], "REL-0001"),
        ([], "REL-0001"),
        (None, "REL-0001"),
    ],
)
def test_relatiesoort_rules(
    api: httpx.Client, admin: SandboxAdministration, soort: Any, code: str
) -> None:
    assert errors(api.post("/relaties", json=klant(admin, relatiesoort=soort))) == [code]


def test_relatiesoort_of_unknown_value_is_rel_0066(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    assert errors(api.post("/relaties", json=klant(admin, relatiesoort=["Debiteur"]))) == [
        "REL-0066"
    ]


def test_relatiesoort_cannot_change_after_creation(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    created = api.post("/relaties", json=klant(admin)).json()
    changed = {**created, "relatiesoort": ["Leverancier"]}
    assert errors(api.put(f"/relaties/{created['id']}", json=changed)) == ["REL-0064"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("naam", "", "REL-0007"),
        ("naam", None, "REL-0007"),
        ("telefoon", "0" * 26, "REL-0013"),
        ("mobieleTelefoon", "0" * 26, "REL-0012"),
        ("email", "a" * 246 + "@x.nl", "REL-0085"),
        ("kvkNummer", "12AB5678", "REL-0006"),
        ("iban", "NL00BANK0123456789", "REL-0011"),
        ("bic", "NOTABIC!", "REL-0010"),
        ("krediettermijn", 1001, "REL-0003"),
        ("krediettermijn", -366, "REL-0003"),
    ],
)
def test_field_rules(
    api: httpx.Client, admin: SandboxAdministration, field: str, value: object, code: str
) -> None:
    assert errors(api.post("/relaties", json=klant(admin, **{field: value}))) == [code]


def test_field_limits_are_inclusive(api: httpx.Client, admin: SandboxAdministration) -> None:
    body = klant(
        admin,
        telefoon="0" * 25,
        mobieleTelefoon="0" * 25,
        vestigingsAdres=address(admin, straat="s" * 50, postcode="p" * 25, plaats="q" * 50),
        iban="NL91ABNA0417164300",
        bic="ABNANL2A",
        krediettermijn=1000,
    )
    assert api.post("/relaties", json=body).status_code == 201


@pytest.mark.parametrize(
    "case",
    [
        ("vestigingsAdres", "straat", 51, "REL-0020"),
        ("vestigingsAdres", "postcode", 26, "REL-0021"),
        ("vestigingsAdres", "plaats", 51, "REL-0022"),
        ("vestigingsAdres", "contactpersoon", 51, "REL-0023"),
        ("correspondentieAdres", "straat", 51, "REL-0025"),
        ("correspondentieAdres", "postcode", 26, "REL-0026"),
        ("correspondentieAdres", "plaats", 51, "REL-0027"),
        ("correspondentieAdres", "contactpersoon", 51, "REL-0028"),
    ],
)
def test_address_field_lengths(
    api: httpx.Client, admin: SandboxAdministration, case: tuple[str, str, int, str]
) -> None:
    key, field, length, code = case
    body = klant(admin, **{key: address(admin, **{field: "x" * length})})
    assert errors(api.post("/relaties", json=body)) == [code]


def test_every_broken_rule_is_reported_at_once(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = klant(admin, naam="", telefoon="0" * 30, relatiesoort=["Klant", "Leverancier"])
    assert sorted(errors(api.post("/relaties", json=body))) == ["REL-0007", "REL-0013", "REL-0065"]


def test_naam_longer_than_50_fails_model_validation(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    response = api.post("/relaties", json=klant(admin, naam="n" * 51))
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request is invalid.",
        "modelState": {
            "model.naam": ["The field Naam must be a string with a maximum length of 50."]
        },
    }


def test_incomplete_vestigingsadres_is_rel_0060(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    partial = {"straat": "Damrak 1", "plaats": "Amsterdam"}
    assert errors(api.post("/relaties", json=klant(admin, vestigingsAdres=partial))) == ["REL-0060"]


def test_address_with_only_a_contactpersoon_is_not_partial(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = klant(admin, vestigingsAdres={"contactpersoon": "Jan"}, btwNummer=None)
    assert api.post("/relaties", json=body).status_code == 201


def test_unknown_land_is_rel_0056_and_rel_0055(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    unknown = {"id": "11111111-2222-3333-4444-555555555555"}
    body = klant(
        admin,
        vestigingsAdres=address(admin, land=unknown),
        correspondentieAdres=address(admin, land=unknown),
    )
    assert sorted(errors(api.post("/relaties", json=body))) == ["REL-0055", "REL-0056"]


def test_land_given_as_iso_code_is_not_found(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = klant(admin, vestigingsAdres=address(admin, land={"id": "NL"}))
    assert "REL-0056" in errors(api.post("/relaties", json=body))


@pytest.mark.parametrize(
    ("btw", "code"),
    [
        ("N" * 51, "REL-0057"),
        ("N", "REL-0058"),
        ("NL 0044.95.445.B01", "REL-0059"),
        ("NL123456789B01", "REL-0088"),
        ("BE0403019261", "REL-0087"),
    ],
)
def test_btw_nummer_rules(
    api: httpx.Client, admin: SandboxAdministration, btw: str, code: str
) -> None:
    assert errors(api.post("/relaties", json=klant(admin, btwNummer=btw))) == [code]


def test_btw_nummer_of_the_address_country_is_accepted(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = klant(admin, btwNummer="BE0403019261", vestigingsAdres=address(admin, "BE"))
    assert api.post("/relaties", json=body).status_code == 201


def test_greek_vat_prefix_el_matches_country_gr(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = klant(admin, btwNummer="EL094259216", vestigingsAdres=address(admin, "GR"))
    assert api.post("/relaties", json=body).status_code == 201


def test_post_with_an_id_is_rel_0063(api: httpx.Client, admin: SandboxAdministration) -> None:
    body = klant(admin, id="11111111-2222-3333-4444-555555555555")
    assert errors(api.post("/relaties", json=body)) == ["REL-0063"]


def test_post_with_the_empty_guid_is_accepted(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = klant(admin, id="00000000-0000-0000-0000-000000000000")
    assert api.post("/relaties", json=body).status_code == 201


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'{"naam": 5, "relatiesoort": ["Klant"]}']
)
def test_malformed_body_is_rel_0066(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/relaties", content=raw, headers={"Content-Type": "application/json"})
    assert errors(response) == ["REL-0066"]


def test_empty_body_is_alg_0106(api: httpx.Client) -> None:
    response = api.post("/relaties", content=b"", headers={"Content-Type": "application/json"})
    assert errors(response) == ["ALG-0106"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("relatiecode", "12"),
        ("relatiecode", 1.5),
        ("factuurkorting", "5%"),
        ("incassoSoort", "SEPA"),
        ("vestigingsAdres", "Damrak 1"),
        ("naam", 12),
    ],
)
def test_values_of_the_wrong_type_are_rel_0066(
    api: httpx.Client, admin: SandboxAdministration, field: str, value: object
) -> None:
    assert errors(api.post("/relaties", json=klant(admin, **{field: value}))) == ["REL-0066"]


def test_put_replaces_the_record_and_bumps_modified_on(
    api: httpx.Client, admin: SandboxAdministration, clock: SimulatedClock
) -> None:
    created = api.post("/relaties", json=klant(admin, telefoon="020-1234567")).json()
    clock.advance(minutes=5)
    body = {**created, "naam": "Jansen Techniek BV"}
    body.pop("telefoon")
    response = api.put(f"/relaties/{created['id']}", json=body)
    assert response.status_code == 200
    updated = api.get(f"/relaties/{created['id']}").json()
    assert updated["naam"] == "Jansen Techniek BV"
    assert updated["telefoon"] is None  # PUT is a whole replacement
    assert updated["modifiedOn"] == "2026-01-05T09:05:00"
    assert updated["relatiecode"] == created["relatiecode"]


def test_put_with_another_id_in_the_body_is_rel_0047(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    created = api.post("/relaties", json=klant(admin)).json()
    body = {**created, "id": "11111111-2222-3333-4444-555555555555"}
    assert errors(api.put(f"/relaties/{created['id']}", json=body)) == ["REL-0047"]


def test_put_keeping_its_own_relatiecode_is_not_a_duplicate(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    created = api.post("/relaties", json=klant(admin, relatiecode=7)).json()
    assert api.put(f"/relaties/{created['id']}", json=created).status_code == 200


def test_unknown_id_is_404_with_message(api: httpx.Client) -> None:
    response = api.get("/relaties/11111111-2222-3333-4444-555555555555")
    assert response.status_code == 404
    assert set(response.json()) == {"Message"}


def test_malformed_id_is_alg_0103(api: httpx.Client) -> None:
    assert errors(api.get("/relaties/not-a-guid")) == ["ALG-0103"]


def test_delete_refuses_a_klant_with_open_invoices(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    relatie = api.post("/relaties", json=klant(admin)).json()
    api.post("/verkoopboekingen", json=verkoop(admin, relatie["id"]))
    assert errors(api.delete(f"/relaties/{relatie['id']}")) == ["REL-0049"]
    admin.record_payment("2026-0001", 121)
    assert api.delete(f"/relaties/{relatie['id']}").json() == {}
    assert api.get(f"/relaties/{relatie['id']}").status_code == 404


def test_delete_refuses_a_leverancier_with_open_invoices(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    relatie = api.post("/relaties", json=klant(admin, relatiesoort=["Leverancier"])).json()
    boeking = verkoop(admin, relatie["id"])
    boeking.pop("klant")
    boeking["leverancier"] = {"id": relatie["id"]}
    boeking["btw"] = [{"btwSoort": "InkopenHoog", "btwBedrag": 21.00}]
    boeking["boekingsregels"][0]["grootboek"] = {"id": admin.grootboek_id(4000)}
    assert api.post("/inkoopboekingen", json=boeking).status_code == 201
    assert errors(api.delete(f"/relaties/{relatie['id']}")) == ["REL-0053"]


def test_relatie_boekingen_lists_only_that_relaties_boekingen(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    one = api.post("/relaties", json=klant(admin)).json()
    two = api.post("/relaties", json=klant(admin, naam="Tweede BV")).json()
    api.post("/verkoopboekingen", json=verkoop(admin, one["id"], "A-1"))
    api.post("/verkoopboekingen", json=verkoop(admin, two["id"], "A-2"))
    rows = api.get(f"/relaties/{one['id']}/verkoopboekingen").json()
    assert [r["factuurnummer"] for r in rows] == ["A-1"]
    assert api.get(f"/relaties/{one['id']}/inkoopboekingen").json() == []


def test_every_code_the_sandbox_answers_has_a_vendor_message() -> None:
    assert all(code[:3] in {"ALG", "REL", "KPL", "BOE", "BLG"} for code in MESSAGES)
    assert MESSAGES["ALG-0104"] == "Ongeldig OData filter"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email": "info@jansen.example;sales-at-jansen"}, "REL-0084"),
        ({"email": "@jansen.example"}, "REL-0084"),
        ({"oin": "1234"}, "REL-0086"),
        ({"relatiesoort": ["Leverancier"], "aanmaningsoort": "Consument"}, "REL-0002"),
        ({"relatiesoort": ["Leverancier"], "factuurkorting": 2.5}, "REL-0004"),
        ({"relatiesoort": ["Leverancier"], "kredietLimiet": 1000}, "REL-0062"),
        (
            {"relatiesoort": ["Leverancier"], "incassoSoort": "Core", "iban": "NL91ABNA0417164300"},
            "REL-0016",
        ),
        ({"bankieren": True, "iban": "NL91ABNA0417164300"}, "REL-0014"),
        ({"relatiesoort": ["Leverancier"], "bankieren": True}, "REL-0009"),
        ({"incassoSoort": "B2B"}, "REL-0009"),
        ({"factuurRelatie": {"id": "11111111-2222-3333-4444-555555555555"}}, "REL-0017"),
        ({"factuurRelatie": {"id": "not-a-guid"}}, "REL-0017"),
    ],
)
def test_rules_tied_to_soort_and_contact_fields(
    api: httpx.Client, admin: SandboxAdministration, overrides: dict[str, Any], code: str
) -> None:
    assert errors(api.post("/relaties", json=klant(admin, **overrides))) == [code]


def test_klant_only_fields_are_fine_on_a_klant(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    body = klant(
        admin,
        email="info@jansen.example; boekhouding@jansen.example",
        oin="00000001234567890000",
        aanmaningsoort="Onderneming",
        factuurkorting=2.5,
        kredietLimiet=5000,
        incassoSoort="Core",
        iban="NL91ABNA0417164300",
    )
    created = api.post("/relaties", json=body)
    assert created.status_code == 201
    assert created.json()["incassoSoort"] == "Core"


def test_factuur_relatie_must_be_a_klant(api: httpx.Client, admin: SandboxAdministration) -> None:
    leverancier = api.post(
        "/relaties", json=klant(admin, relatiesoort=["Leverancier"], naam="Lev")
    ).json()
    hoofdkantoor = api.post("/relaties", json=klant(admin, naam="Hoofdkantoor")).json()
    wrong = klant(admin, naam="Filiaal", factuurRelatie={"id": leverancier["id"]})
    assert errors(api.post("/relaties", json=wrong)) == ["REL-0018"]
    right = klant(admin, naam="Filiaal", factuurRelatie={"id": hoofdkantoor["id"]})
    created = api.post("/relaties", json=right).json()
    assert created["factuurRelatie"] == {
        "id": hoofdkantoor["id"],
        "uri": f"/relaties/{hoofdkantoor['id']}",
    }
