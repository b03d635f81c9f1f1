"""Helpers shared by the SnelStart sandbox tests: request bodies, error assertions, SPEC checks."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx
import jsonschema

from finlink.testing.snelstart import SandboxAdministration, openapi


def errors(response: httpx.Response) -> list[str]:
    """The error codes of a 400 in SnelStart's array shape; asserts the exact shape."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body, list), body
    for item in body:
        assert set(item) == {"errorCode", "message"}, item
        assert isinstance(item["message"], str)
        assert item["message"]
    return [item["errorCode"] for item in body]


def parties(admin: SandboxAdministration) -> list[dict[str, Any]]:
    """The administration's relaties without its own company (soort ``Eigen``)."""
    return [r for r in admin.relaties() if "Eigen" not in r["relatiesoort"]]


def address(admin: SandboxAdministration, iso: str = "NL", **overrides: Any) -> dict[str, Any]:
    """A complete vestigingsadres in country ``iso``."""
    base: dict[str, Any] = {
        "contactpersoon": "Jan Jansen",
        "straat": "Damrak 1",
        "postcode": "1012 LG",
        "plaats": "Amsterdam",
        "land": {"id": admin.land_id(iso)},
    }
    base.update(overrides)
    return base


def klant(admin: SandboxAdministration, **overrides: Any) -> dict[str, Any]:
    """A valid RelatieWriteModel for a customer."""
    body: dict[str, Any] = {
        "relatiesoort": ["Klant"],
        "naam": "Jansen Installatietechniek BV",
        "vestigingsAdres": address(admin),
        "email": "info@jansen.example",
        "btwNummer": "NL004495445B01",
        "kvkNummer": "12345678",
    }
    body.update(overrides)
    return body


def verkoop(
    admin: SandboxAdministration, klant_id: str, nummer: str = "2026-0001", **overrides: Any
) -> dict[str, Any]:
    """A balanced verkoopboeking: 100.00 on 8000 Omzet hoog plus 21.00 VAT."""
    body: dict[str, Any] = {
        "factuurnummer": nummer,
        "klant": {"id": klant_id},
        "factuurdatum": "2026-01-05T00:00:00",
        "factuurbedrag": 121.00,
        "betalingstermijn": 30,
        "omschrijving": "Onderhoud januari",
        "boekingsregels": [
            {"grootboek": {"id": admin.grootboek_id(8000)}, "bedrag": 100.00, "btwSoort": "Hoog"}
        ],
        "btw": [{"btwSoort": "VerkopenHoog", "btwBedrag": 21.00}],
    }
    body.update(overrides)
    return body


def money(value: object) -> Decimal:
    """A JSON number as Decimal, for exact comparisons."""
    return Decimal(str(value))


#: The sandbox's paths (relative to /v2) that are SPEC templates with one id.
_TEMPLATES = (
    "/relaties/{id}",
    "/relaties/{id}/verkoopboekingen",
    "/relaties/{id}/inkoopboekingen",
    "/landen/{id}",
    "/kostenplaatsen/{id}",
    "/grootboeken/{id}",
    "/grootboekmutaties/{id}",
    "/verkoopboekingen/{id}",
    "/inkoopboekingen/{id}",
    "/verkoopfacturen/{id}",
    "/documenten/{id}",
    "/documenten/{documenttype}",
    "/documenten/{documenttype}/{pid}",
)


def spec_path(method: str, path: str, paths: Mapping[str, Any]) -> str | None:
    """The SPEC template for a concrete path (``/relaties/<guid>`` → ``/relaties/{id}``)."""
    if path in paths:
        return path
    segments = path.strip("/").split("/")
    for template in _TEMPLATES:
        parts = template.strip("/").split("/")
        if len(parts) != len(segments) or method.lower() not in paths.get(template, {}):
            continue
        if all(p.startswith("{") or p == s for p, s in zip(parts, segments, strict=True)):
            return template
    return None


class SpecChecker:
    """An httpx response hook validating 2xx API bodies against the SPEC's response schemas."""

    def __init__(self, document: Mapping[str, Any] | None) -> None:
        self.document = document
        self.failures: list[str] = []
        #: How many bodies were validated.
        self.checked = 0

    def check(self, method: str, path: str, status: int, body: object) -> None:
        """Validate ``body`` (a no-op without a document or for undeclared responses)."""
        if self.document is None:
            return
        template = spec_path(method, path, self.document["paths"])
        assert template is not None, f"{method} {path} is not a SPEC operation"
        schema = openapi.response_schema(self.document, method, template, status)
        if schema is None:
            return
        try:
            jsonschema.Draft4Validator(schema).validate(body)
        except jsonschema.ValidationError as exc:
            self.failures.append(f"{method} {path}: {exc.message}")
        self.checked += 1

    def hook(self, response: httpx.Response) -> None:
        """Validate a successful response from the API host."""
        url = response.request.url
        if url.host != "b2bapi.snelstart.nl" or not 200 <= response.status_code < 300:
            return
        response.read()
        path = url.path.removeprefix("/v2")
        self.check(response.request.method, path, response.status_code, response.json())
