"""Test rig for the SnelStart backend: a sandbox, a backend on it, request-body checks, 401s."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import jsonschema

from finlink.backends.snelstart import SnelStartBackend
from finlink.clock import Clock, SimulatedClock
from finlink.http import RetryPolicy
from finlink.testing.snelstart import (
    AdministrationKeys,
    Product,
    SandboxAdministration,
    SnelStartSandbox,
    openapi,
)

SPEC_FILE = Path("snelstart") / "snelstart-b2b-api-v2.openapi.json"


class RequestSpec:
    """Validates every JSON request body against the SPEC's request schema of its operation."""

    def __init__(self, document: Mapping[str, Any] | None) -> None:
        self.document = document
        self.failures: list[str] = []
        self.checked = 0
        self._routes: list[tuple[str, re.Pattern[str], dict[str, Any]]] = []
        if document is None:
            return
        for template, operations in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method, operation in operations.items():
                content = operation.get("requestBody", {}).get("content", {})
                raw = content.get("application/json", {}).get("schema", {}).get("$ref")
                if raw:
                    name = raw.rsplit("/", 1)[-1]
                    self._routes.append((method.upper(), pattern, openapi.schema(document, name)))
        # Literal paths (/documenten/Verkoopboekingen) before templates (/documenten/{id}).
        self._routes.sort(key=lambda r: r[1].pattern.count("[^/]+"))

    def hook(self, request: httpx.Request) -> None:
        """An httpx request hook: check the body of every JSON write to the API."""
        if self.document is None or request.method not in ("POST", "PUT"):
            return
        if request.url.host != "b2bapi.snelstart.nl":
            return
        path = request.url.path.removeprefix("/v2")
        for method, pattern, schema in self._routes:
            if method == request.method and pattern.match(path):
                body = json.loads(request.content)
                try:
                    jsonschema.Draft4Validator(schema).validate(body)
                except jsonschema.ValidationError as error:
                    self.failures.append(f"{request.method} {path}: {error.message}")
                self.checked += 1
                return
        self.failures.append(f"{request.method} {path}: no request schema in the SPEC")


class Unauthorized(httpx.BaseTransport):
    """Wraps the sandbox transport; when armed, answers 401 as APIM does for a dead key."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.armed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.armed and request.url.host == "b2bapi.snelstart.nl":
            body = {"statusCode": 401, "message": "Access denied due to invalid subscription key."}
            return httpx.Response(401, json=body, request=request)
        return self.inner.handle_request(request)


@attrs.define
class Rig:
    """A sandbox with one administration and a backend on it."""

    sandbox: SnelStartSandbox
    keys: AdministrationKeys
    admin: SandboxAdministration
    backend: SnelStartBackend
    spec: RequestSpec
    gate: Unauthorized
    http: httpx.Client


def make_rig(
    document: Mapping[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    product: Product = Product.TEST,
    latency: float = 0.0,
    name: str = "Bakkerij De Vries",
    retry: RetryPolicy | None = None,
) -> Rig:
    """A fresh sandbox and a backend on it (test key unless ``product`` says otherwise)."""
    clock = clock or SimulatedClock()
    sandbox = SnelStartSandbox(clock=clock, latency=latency)
    keys = sandbox.add_administration(name, product=product)
    spec = RequestSpec(document)
    gate = Unauthorized(sandbox.transport())
    http = httpx.Client(
        base_url="https://b2bapi.snelstart.nl/v2",
        transport=gate,
        event_hooks={"request": [spec.hook]},
    )
    backend = SnelStartBackend(
        administration=f"snelstart:{name}",
        koppelsleutel=keys.koppelsleutel,
        subscription_key=keys.subscription_key,
        client=http,
        clock=clock,
        test_key=product is Product.TEST,
        retry=retry,
    )
    return Rig(
        sandbox=sandbox,
        keys=keys,
        admin=sandbox.administration(name),
        backend=backend,
        spec=spec,
        gate=gate,
        http=http,
    )
