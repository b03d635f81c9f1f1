"""Token scopes per operation (reference ``snelstart.md`` §1.2, §3.12).

Each SnelStart operation lists the scopes its token needs ("Voor deze operatie zijn de
volgende scopes benodigd: …", SPEC); "Indien niet de juiste scopes in het token aanwezig
zijn" the answer is HTTP 403. Which scopes a coupling gets is agreed at certification (P-CERT),
so by default a sandbox administration has them all; pass ``scopes=`` to
``add_administration`` to test a narrower coupling.
"""

from __future__ import annotations

__all__ = ["ALL_SCOPES", "required_scopes"]

_READ_WRITE = {
    "relaties": "relaties",
    "landen": "settings",
    "kostenplaatsen": "settings",
    "btwtarieven": "settings",
    "grootboeken": "boekhouden",
    "grootboekmutaties": "boekhouden",
    "verkoopboekingen": "boekhouden",
    "inkoopboekingen": "boekhouden",
}

#: Every scope an operation of the sandbox can ask for.
ALL_SCOPES: frozenset[str] = frozenset(
    {f"{area}:{mode}" for area in set(_READ_WRITE.values()) for mode in ("read", "write")}
    | {"orders:read", "documenten:read", "documenten:write"}
)


def required_scopes(method: str, path: str) -> frozenset[str]:
    """The scopes a token needs for ``method path`` (``path`` relative to ``/v2``)."""
    segments = [s.lower() for s in path.split("/") if s]
    if not segments:
        return frozenset()
    resource = segments[0]
    mode = "read" if method == "GET" else "write"
    if resource in ("verkoopfacturen", "inkoopfacturen"):
        return frozenset({"orders:read"})
    if resource == "documenten":
        if mode == "read":
            return frozenset({"documenten:read"})
        return frozenset({"boekhouden:write", "documenten:write"})
    area = _READ_WRITE.get(resource)
    if area is None:
        return frozenset()
    needed = {f"{area}:{mode}"}
    if resource == "relaties" and len(segments) == 3:
        # /relaties/{id}/verkoopboekingen also needs boekhouden:read (§3.1, §3.12).
        needed.add("boekhouden:read")
    return frozenset(needed)
