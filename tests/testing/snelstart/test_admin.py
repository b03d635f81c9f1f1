"""The test-facing API: seeding, inspecting, bookkeeper changes, reset."""

from __future__ import annotations

import logging

import httpx
import pytest

from finlink.clock import SimulatedClock
from finlink.testing.snelstart import (
    TOKEN_URL,
    AdministrationKeys,
    Product,
    SandboxAdministration,
    SnelStartSandbox,
    WireRequest,
)
from finlink.testing.snelstart.errors import ApiError
from tests.testing.snelstart.support import klant, parties


def test_edit_relatie_as_the_bookkeeper_bumps_modified_on(
    api: httpx.Client, admin: SandboxAdministration, clock: SimulatedClock
) -> None:
    created = api.post("/relaties", json=klant(admin)).json()
    clock.advance(minutes=10)
    edited = admin.edit_relatie(created["id"], naam="Jansen & Zn BV", telefoon="020-555")
    assert edited["modifiedOn"] == "2026-01-05T09:10:00"
    changed = api.get(
        "/relaties", params={"$filter": "ModifiedOn gt datetime'2026-01-05T09:00:00'"}
    ).json()
    assert [r["naam"] for r in changed] == ["Jansen & Zn BV"]


def test_edit_refuses_unknown_fields_and_collections(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    created = api.post("/relaties", json=klant(admin)).json()
    with pytest.raises(ValueError, match="unknown field"):
        admin.edit_relatie(created["id"], name="x")
    with pytest.raises(ValueError, match="unknown collection"):
        admin.edit("artikelen", created["id"], naam="x")
    with pytest.raises(KeyError):
        admin.edit_relatie("11111111-2222-3333-4444-555555555555", naam="x")
    with pytest.raises(ValueError, match="unknown collection"):
        admin.records("artikelen")
    with pytest.raises(ValueError, match="unknown collection"):
        admin.delete("artikelen", created["id"])


def test_kostenplaats_edit_has_no_modified_on(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    kpl = api.post("/kostenplaatsen", json={"nummer": 3, "omschrijving": "Drie"}).json()
    assert admin.edit("kostenplaatsen", kpl["id"], omschrijving="Drie!") == {
        **kpl,
        "omschrijving": "Drie!",
    }


def test_bookkeeper_deletion_is_invisible_to_modified_on(
    api: httpx.Client, admin: SandboxAdministration
) -> None:
    created = api.post("/relaties", json=klant(admin)).json()
    admin.delete("relaties", created["id"])
    assert created["id"] not in [r["id"] for r in api.get("/relaties").json()]


def test_add_relatie_validates_like_the_api(admin: SandboxAdministration) -> None:
    created = admin.add_relatie(klant(admin, relatiecode=5))
    assert created["relatiecode"] == 5
    with pytest.raises(ApiError) as raised:
        admin.add_relatie(klant(admin, relatiecode=5))
    assert raised.value.codes == ("REL-0008",)


def test_lookups_raise_key_error_for_unknown_codes(admin: SandboxAdministration) -> None:
    with pytest.raises(KeyError):
        admin.land_id("XX")
    with pytest.raises(KeyError):
        admin.grootboek_id(9999)
    admin.add_country("XK", "Kosovo")
    assert admin.land_id("xk")


def test_records_are_copies(api: httpx.Client, admin: SandboxAdministration) -> None:
    api.post("/relaties", json=klant(admin))
    admin.relaties()[0]["naam"] = "changed"
    assert admin.relaties()[0]["naam"] != "changed"
    assert admin.bookings() == admin.bookings("inkoop") == []
    assert admin.records("grootboekmutaties") == []


def test_reset_keeps_keys_but_clears_data_faults_calls_and_tokens(
    sandbox: SnelStartSandbox, api: httpx.Client, keys: AdministrationKeys,
    admin: SandboxAdministration,
) -> None:  # fmt: skip
    api.post("/relaties", json=klant(admin))
    sandbox.faults.fail("/relaties")
    sandbox.reset()
    assert parties(admin) == []
    assert admin.calls() == []
    assert sandbox.faults.pending() == []
    assert api.get("/relaties").status_code == 401  # tokens were revoked
    token = api.post(
        TOKEN_URL, data={"grant_type": "clientkey", "clientkey": keys.koppelsleutel}
    ).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    assert [r["naam"] for r in api.get("/relaties").json()] == ["Acme BV"]  # own company only
    assert len(api.get("/landen").json()) > 10  # defaults are back


def test_administration_without_defaults_is_empty(sandbox: SnelStartSandbox) -> None:
    keys = sandbox.add_administration("Leeg BV", product=Product.MAATWERK, seed_defaults=False)
    bare = sandbox.administration(keys.name)
    assert bare.records("landen") == bare.records("grootboeken") == []
    assert keys.subscription_key == sandbox.subscription_key(Product.MAATWERK)
    assert repr(bare) == "SandboxAdministration(name='Leeg BV', product='maatwerk')"
    assert "Leeg BV" in repr(sandbox)
    sandbox.reset()
    assert bare.records("landen") == []


def test_unknown_administration_raises_key_error(sandbox: SnelStartSandbox) -> None:
    with pytest.raises(KeyError):
        sandbox.administration("nope")


def test_handle_is_the_shared_wire_entry_point(sandbox: SnelStartSandbox) -> None:
    response = sandbox.handle(WireRequest(method="GET", service="api", path="/v2/landen"))
    assert response.status == 401
    assert response.outcome == "send"


def test_a_sandbox_bug_answers_500_and_is_logged(
    api: httpx.Client, admin: SandboxAdministration, caplog: pytest.LogCaptureFixture
) -> None:
    created = api.post("/relaties", json=klant(admin)).json()
    admin.edit_relatie(created["id"], relatiecode="abc")  # corrupt state on purpose
    with caplog.at_level(logging.ERROR, logger="finlink.testing.snelstart"):
        response = api.post("/relaties", json=klant(admin))
    assert response.status_code == 500
    assert response.json() == {"Message": "An error has occurred."}
    assert "sandbox failed" in caplog.text


def test_every_name_in_all_is_importable() -> None:
    import finlink.testing.snelstart as package

    missing = [name for name in package.__all__ if not hasattr(package, name)]
    assert missing == []
    assert {"SnelStartSandbox", "ApiError", "SandboxServer", "TOKEN_URL"} <= set(package.__all__)
