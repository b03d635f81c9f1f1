"""Making the backend of one administration, for the commands that talk to one at a time.

``finlink auth`` and ``finlink doctor`` need one backend (or each in turn) rather than the
whole engine, and must be able to change an option for a moment (the redirect URI of a consent
flow) or drop one (a token file SnelStart's check must not write).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from finlink._errors import ConfigurationError
from finlink.backends import Backend
from finlink.cli.config import AdministrationConfig, ConfigError, resolve_backend_options
from finlink.cli.state import CliState

__all__ = ["administration_named", "close_backend", "environment", "make_backend"]


def environment(state: CliState) -> Mapping[str, str]:
    """Where ``*_env`` secrets are read: the state's mapping, or the process environment."""
    return os.environ if state.environ is None else state.environ


def administration_named(state: CliState, name: str, backend: str) -> AdministrationConfig:
    """The administration ``name`` of the configuration, which must use ``backend``.

    Raises:
        ConfigError: The configuration cannot be loaded, has no such administration, or it
            uses another backend.
    """
    config = state.config()
    administration = config.administrations.get(name)
    if administration is None:
        known = ", ".join(config.administrations)
        raise ConfigError(
            config.path, "administrations", f"has no administration {name!r} (known: {known})"
        )
    if administration.backend != backend:
        raise ConfigError(
            config.path,
            f"administrations.{name}.backend",
            f"is {administration.backend!r}, not {backend!r}",
        )
    return administration


def make_backend(
    state: CliState,
    administration: AdministrationConfig,
    *,
    overrides: Mapping[str, Any] | None = None,
    drop: tuple[str, ...] = (),
) -> tuple[Backend, dict[str, Any]]:
    """Make the backend of ``administration`` as the configuration says, with changes.

    Every secret read is registered for log redaction before the backend is made.

    Args:
        state: The invocation (configuration, environment, backend factory).
        administration: Which one.
        overrides: Options to set instead of the configured ones.
        drop: Options to leave out.

    Returns:
        The backend and the options it was made with.

    Raises:
        ConfigError: A secret's variable is unset, or the backend refuses its settings.
    """
    config = state.config()
    options, secrets = resolve_backend_options(config, administration, environment(state))
    for secret in secrets:
        state.redactor.register(secret)
    for key in drop:
        options.pop(key, None)
    options.update(overrides or {})
    try:
        backend = state.backend_factory(administration, options)
    except ConfigurationError as exc:
        raise ConfigError(config.path, f"administrations.{administration.name}", str(exc)) from exc
    return backend, options


def close_backend(backend: object) -> None:
    """Close a backend that has a ``close`` method (HTTP backends own a client)."""
    close = getattr(backend, "close", None)
    if callable(close):
        close()
