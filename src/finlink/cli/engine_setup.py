"""Turning a checked configuration into a running :class:`~finlink.sync.SyncEngine`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from finlink._errors import ConfigurationError, FinlinkError
from finlink.backends import Backend, load_backend
from finlink.cli.config import AdministrationConfig, ConfigError, FinlinkConfig
from finlink.cli.config import resolve_backend_options as resolve_options
from finlink.cli.store_setup import open_store
from finlink.http import Secret
from finlink.model.booking import Booking, Project
from finlink.model.relation import Relation
from finlink.sync import (
    AdministrationSettings,
    ConflictPolicy,
    DefaultRouter,
    Router,
    SyncEngine,
    accounting_wins,
    by_extra_field,
    crm_wins,
    field_ownership,
    manual,
    newest_wins,
)
from finlink.sync.store import StateStore

__all__ = [
    "SHARED_BACKENDS",
    "BackendFactory",
    "CountingRouter",
    "build_engine",
    "load_default_backend",
    "shared_options",
]

#: Backends that take ``rate_limit_state`` and ``token_store``: the ones ``[postgres]`` wires.
SHARED_BACKENDS = frozenset({"exact", "snelstart"})

_POLICIES: dict[str, ConflictPolicy] = {
    "crm_wins": crm_wins,
    "accounting_wins": accounting_wins,
    "newest_wins": newest_wins,
    "manual": manual,
}


class BackendFactory(Protocol):
    """Makes the backend of one administration (tests pass their own)."""

    def __call__(self, administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
        """Return the backend of ``administration`` made with ``options``.

        Raises:
            ConfigurationError: The backend refuses the options.
        """
        ...


def load_default_backend(administration: AdministrationConfig, options: dict[str, Any]) -> Backend:
    """Make the backend through its entry point (:func:`finlink.backends.load_backend`).

    Raises:
        ConfigurationError: Unknown backend, or it refuses the options.
    """
    return load_backend(administration.backend, **options)


class CountingRouter:
    """Wraps a router and calls ``on_record`` once per record routed.

    The engine routes each record just before it syncs it, so counting routing calls is how
    the command line shows per-record progress without reaching into the engine.
    """

    def __init__(self, inner: Router) -> None:
        self.inner = inner
        self.on_record: Callable[[], None] | None = None

    def __call__(
        self, record: Relation | Project | Booking, administrations: Sequence[str]
    ) -> Sequence[str]:
        """Route ``record`` with the wrapped router, then report progress."""
        try:
            return self.inner(record, administrations)
        finally:
            if self.on_record is not None:
                self.on_record()


def _router(config: FinlinkConfig) -> Router:
    routing = config.routing
    base = DefaultRouter(
        frozenset(routing.relations_to) if routing.relations_to is not None else None
    )
    if routing.field is not None:
        return by_extra_field(routing.field, routing.map, fallback=base)
    return base


def _policy(config: FinlinkConfig) -> ConflictPolicy:
    policy = _POLICIES[config.conflicts.policy]
    if config.conflicts.owners:
        return field_ownership(config.conflicts.owners, default=policy)
    return policy


def shared_options(config: FinlinkConfig, store: StateStore) -> dict[str, Any]:
    """The shared rate budget and token store, when the state store is in PostgreSQL.

    With a ``[postgres]`` table every worker on the database shares each administration's
    rate budget and the Exact tokens, in the same namespace (tenant) and on the store's
    connection pool. Without one (SQLite) a process keeps both to itself: nothing is returned.

    Raises:
        ConfigError: The budget's or the tokens' tables cannot be made.
    """
    pool = getattr(store, "pool", None)
    if config.postgres is None or pool is None:
        return {}
    from finlink.http import PostgresRateLimitState, PostgresTokenStore  # noqa: PLC0415

    namespace = config.postgres.namespace
    try:
        return {
            "rate_limit_state": PostgresRateLimitState(pool, namespace=namespace),
            "token_store": PostgresTokenStore(pool, namespace=namespace),
        }
    except FinlinkError as exc:
        raise ConfigError(config.path, "postgres", str(exc)) from exc


def build_engine(
    config: FinlinkConfig,
    *,
    environ: Mapping[str, str],
    backend_factory: BackendFactory = load_default_backend,
    on_secret: Callable[[Secret], None] | None = None,
) -> tuple[SyncEngine, CountingRouter]:
    """Make the backends, the store and the engine the configuration describes.

    Args:
        config: The checked configuration.
        environ: Where ``*_env`` secrets are read from.
        backend_factory: Makes each backend (default: by entry point).
        on_secret: Called with every secret read, before any backend is made (register
            it for log redaction there).

    Returns:
        The engine and its router (to hang progress reporting on).

    Raises:
        ConfigError: A secret's variable is unset, or a backend refuses its settings (the
            message names the administration's key).
    """
    backends: dict[str, Backend] = {}
    store = open_store(config, environ, on_secret=on_secret)
    try:
        shared = shared_options(config, store)
        for name, administration in config.administrations.items():
            options, secrets = resolve_options(config, administration, environ)
            if administration.backend in SHARED_BACKENDS:
                # A token file named in the configuration wins over the shared store.
                for keyword, value in shared.items():
                    options.setdefault(keyword, value)
            for secret in secrets:
                if on_secret is not None:
                    on_secret(secret)
            try:
                backends[name] = backend_factory(administration, options)
            except ConfigurationError as exc:
                raise ConfigError(config.path, f"administrations.{name}", str(exc)) from exc
    except BaseException:
        store.close()  # nothing will use it
        raise
    settings = {
        name: AdministrationSettings(
            ledger_map=dict(adm.ledger_map), sync_contacts=adm.sync_contacts
        )
        for name, adm in config.administrations.items()
    }
    router = CountingRouter(_router(config))
    engine = SyncEngine(
        store=store,
        backends=backends,
        router=router,
        conflict_policy=_policy(config),
        settings=settings,
    )
    return engine, router
