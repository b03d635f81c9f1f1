"""Finding backends by name, through the ``finlink.backends`` entry-point group.

A package registers its backend in its own ``pyproject.toml``::

    [project.entry-points."finlink.backends"]
    acme = "acme_finlink:AcmeBackend"

and hosts then create it with ``load_backend("acme", **config)``. finlink registers its own
backends (``memory``, and ``exact``/``snelstart`` as they land) the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from finlink._errors import ConfigurationError
from finlink.backends.protocol import Backend

__all__ = ["ENTRY_POINT_GROUP", "available_backends", "load_backend"]

#: The entry-point group backends register under.
ENTRY_POINT_GROUP = "finlink.backends"


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_backends() -> tuple[str, ...]:
    """The names of every installed backend, sorted."""
    return tuple(sorted(_entry_points()))


def load_backend(name: str, /, **config: Any) -> Backend:
    """Create the backend registered as ``name`` with ``config`` as keyword arguments.

    Raises:
        ConfigurationError: No backend has that name (the message lists the known ones), the
            entry point cannot be imported, or the factory refuses the configuration.
    """
    found = _entry_points()
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise ConfigurationError(f"unknown backend {name!r}; installed backends: {known}")
    try:
        factory: Callable[..., Any] = found[name].load()
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"backend {name!r} cannot be loaded: {exc}") from exc
    try:
        backend = factory(**config)
    except TypeError as exc:
        raise ConfigurationError(
            f"backend {name!r} does not accept this configuration: {exc}"
        ) from exc
    if not isinstance(backend, Backend):
        raise ConfigurationError(
            f"backend {name!r} made a {type(backend).__name__}, which lacks the Backend methods"
        )
    return backend
