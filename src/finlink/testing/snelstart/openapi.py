"""Load schemas from SnelStart's OpenAPI description to validate bodies against them.

SnelStart publishes an OpenAPI 3.0.1 export of the B2B API v2 (reference ``snelstart.md`` §0
"SPEC", §7). finlink does not ship it; point these helpers at your copy::

    from finlink.testing.snelstart import openapi

    schema = openapi.load_schema(path_to_json, "RelatieWriteModel")
    doc = openapi.load_document(path_to_json)
    openapi.validate(doc, "RelatieWriteModel", body)          # raises on a mismatch
    schema = openapi.response_schema(doc, "GET", "/relaties", 200)

Schemas come back with every ``$ref`` resolved inline, ready for any JSON Schema validator.
The export marks nothing ``nullable``, yet ASP.NET serialises unset reference-type properties
as ``null`` and real responses contain nulls (a client fork had to make fields nullable, §6);
with ``nulls=True`` (the default) every property also accepts ``null``.

``validate`` needs the ``jsonschema`` package, which finlink does not depend on; the other
functions need only the standard library.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "load_document",
    "load_schema",
    "response_schema",
    "schema",
    "schema_names",
    "validate",
]

_PREFIX = "#/components/schemas/"


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Mapping[str, Any]:
    with Path(path).open(encoding="utf-8") as handle:
        document: Mapping[str, Any] = json.load(handle)
    return document


def load_document(path: str | Path) -> Mapping[str, Any]:
    """Read an OpenAPI JSON document (cached per path).

    Raises:
        OSError: When the file cannot be read.
        ValueError: When it is not JSON.
    """
    return _load(str(Path(path).resolve()))


def schema_names(document: Mapping[str, Any]) -> list[str]:
    """Every schema name under ``components.schemas``."""
    return list(document["components"]["schemas"])


def _full_name(document: Mapping[str, Any], name: str) -> str:
    names: Mapping[str, Any] = document["components"]["schemas"]
    if name in names:
        return name
    matches = [n for n in names if n.endswith("." + name)]
    if len(matches) != 1:
        raise KeyError(f"{name!r} matches {len(matches)} schemas")
    return str(matches[0])


def _resolve(document: Mapping[str, Any], node: Any, seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_resolve(document, item, seen) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_PREFIX):
        target = ref[len(_PREFIX) :]
        if target in seen:  # a recursive model: stop resolving, accept any object
            return {"type": "object"}
        return _resolve(document, document["components"]["schemas"][target], (*seen, target))
    return {key: _resolve(document, value, seen) for key, value in node.items()}


def _allow_nulls(node: Any) -> Any:
    if isinstance(node, list):
        return [_allow_nulls(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _allow_nulls(value) for key, value in node.items()}
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def schema(document: Mapping[str, Any], name: str, *, nulls: bool = True) -> dict[str, Any]:
    """The schema called ``name`` with ``$ref``s resolved.

    ``name`` is the full name (``SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel``) or a
    unique last part (``RelatieModel``).

    Raises:
        KeyError: When no schema, or more than one, has that name.
    """
    full = _full_name(document, name)
    resolved = _resolve(document, copy.deepcopy(document["components"]["schemas"][full]), (full,))
    return _allow_nulls(resolved) if nulls else dict(resolved)


def load_schema(path: str | Path, name: str, *, nulls: bool = True) -> dict[str, Any]:
    """The schema called ``name`` from the OpenAPI JSON file at ``path`` (see :func:`schema`).

    Raises:
        OSError: When the file cannot be read.
        KeyError: When no schema, or more than one, has that name.
    """
    return schema(load_document(path), name, nulls=nulls)


def response_schema(
    document: Mapping[str, Any], method: str, path: str, status: int, *, nulls: bool = True
) -> dict[str, Any] | None:
    """The JSON schema of an operation's response, or None when the SPEC declares none.

    ``path`` is the SPEC's template, e.g. ``"/relaties/{id}"``.

    Raises:
        KeyError: When the path, method or status is not in the document.
    """
    operation = document["paths"][path][method.lower()]
    content = operation["responses"][str(status)].get("content", {})
    raw = content.get("application/json", {}).get("schema")
    if raw is None:
        return None
    resolved = _resolve(document, copy.deepcopy(raw), ())
    return _allow_nulls(resolved) if nulls else dict(resolved)


def validate(
    document: Mapping[str, Any], name_or_schema: str | Mapping[str, Any], body: object
) -> None:
    """Validate ``body`` against a named schema (or an already loaded one).

    Raises:
        jsonschema.ValidationError: When ``body`` does not match.
        ModuleNotFoundError: When ``jsonschema`` is not installed (``finlink[testing]``).
    """
    try:
        import jsonschema  # noqa: PLC0415 - the testing extra's, not a runtime dependency
    except ModuleNotFoundError as exc:  # pragma: no cover - the test run has jsonschema
        raise ModuleNotFoundError(
            "validating against SnelStart's OpenAPI schemas needs jsonschema: "
            "install it with `pip install 'finlink[testing]'`",
            name="jsonschema",
        ) from exc

    found = schema(document, name_or_schema) if isinstance(name_or_schema, str) else name_or_schema
    jsonschema.Draft4Validator(found).validate(body)
