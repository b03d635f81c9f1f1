"""Opening the state store the configuration names: an SQLite file, or PostgreSQL.

Every command that needs the store comes through :func:`open_store`, so ``[postgres]`` in
``finlink.toml`` is honoured everywhere (``sync``, ``status``, ``review``, ``doctor``,
``db upgrade``...). PostgreSQL needs the ``postgres`` extra; without it the message says what
to install.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping

import attrs

from finlink._errors import FinlinkError
from finlink.cli.config import ConfigError, FinlinkConfig, postgres_dsn
from finlink.http import Secret
from finlink.sync.store import SQLiteStore, StateStore
from finlink.sync.store import _sqlite_schema as sqlite_schema

__all__ = ["SchemaReport", "open_store", "store_schema", "upgrade_store"]


@attrs.frozen(kw_only=True)
class SchemaReport:
    """Where the state store is and which schema version it has and needs.

    Attributes:
        kind: ``"sqlite"`` or ``"postgres"``.
        where: The file, or ``user@host:port/dbname`` and the namespace (never a password).
        found: The schema version the store has (0: none made yet).
        needed: The version this finlink writes.
    """

    kind: str
    where: str
    found: int
    needed: int

    @property
    def current(self) -> bool:
        """Whether the schema is the one this finlink needs."""
        return self.found == self.needed


def _dsn(
    config: FinlinkConfig,
    environ: Mapping[str, str],
    on_secret: Callable[[Secret], None] | None,
) -> str:
    dsn, secrets = postgres_dsn(config, environ)
    for secret in secrets:
        if on_secret is not None:
            on_secret(secret)
    return dsn


def _describe(config: FinlinkConfig, dsn: str) -> str:
    from finlink.sync.store._postgres_setup import describe_dsn  # noqa: PLC0415

    assert config.postgres is not None  # only called for PostgreSQL
    return f"{describe_dsn(dsn)} (namespace {config.postgres.namespace!r})"


def open_store(
    config: FinlinkConfig,
    environ: Mapping[str, str],
    *,
    on_secret: Callable[[Secret], None] | None = None,
) -> StateStore:
    """Open (and migrate) the state store the configuration names.

    Raises:
        ConfigError: The store cannot be opened (a missing folder, a wrong DSN, a server that
            does not answer, the ``postgres`` extra not installed, a newer schema); the
            message names the key.
    """
    if config.postgres is None:
        try:
            return SQLiteStore(config.state_store)
        except (OSError, FinlinkError) as exc:
            # A folder that does not exist, a file that is not a database: set-up problems.
            raise ConfigError(config.path, "state_store", str(exc)) from exc
    dsn = _dsn(config, environ, on_secret)
    try:
        from finlink.sync.store import PostgresStore  # noqa: PLC0415

        return PostgresStore(dsn, namespace=config.postgres.namespace)
    except FinlinkError as exc:
        raise ConfigError(config.path, "postgres", str(exc)) from exc


def store_schema(config: FinlinkConfig, environ: Mapping[str, str]) -> SchemaReport:
    """Report the store's schema version without changing anything.

    Raises:
        ConfigError: The PostgreSQL store cannot be reached (or the extra is missing).
    """
    if config.postgres is None:
        return _sqlite_schema(config)
    dsn = _dsn(config, environ, None)
    try:
        from finlink.sync.store import PostgresStore  # noqa: PLC0415

        found, needed = PostgresStore.schema_version(dsn)
    except FinlinkError as exc:
        raise ConfigError(config.path, "postgres", str(exc)) from exc
    return SchemaReport(kind="postgres", where=_describe(config, dsn), found=found, needed=needed)


def _sqlite_schema(config: FinlinkConfig) -> SchemaReport:
    path = config.state_store
    needed = sqlite_schema.MIGRATIONS[-1].version
    found = 0
    if path.exists():
        try:
            # Read-only: reporting the version must not create or migrate anything.
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                found = sqlite_schema.schema_version(conn)
            finally:
                conn.close()
        except (sqlite3.Error, FinlinkError) as exc:
            raise ConfigError(config.path, "state_store", f"{path}: {exc}") from exc
    return SchemaReport(kind="sqlite", where=str(path), found=found, needed=needed)


def upgrade_store(
    config: FinlinkConfig, environ: Mapping[str, str]
) -> tuple[SchemaReport, SchemaReport]:
    """Create or migrate the store's schema; return the report before and after.

    Raises:
        ConfigError: The store cannot be reached or migrated (a newer schema, say).
    """
    if config.postgres is None:
        before = store_schema(config, environ)
        open_store(config, environ).close()
        return before, attrs.evolve(before, found=before.needed)
    before = store_schema(config, environ)
    dsn = _dsn(config, environ, None)
    try:
        from finlink.sync.store import PostgresStore  # noqa: PLC0415

        found = PostgresStore.upgrade(dsn)
    except FinlinkError as exc:
        raise ConfigError(config.path, "postgres", str(exc)) from exc
    return before, attrs.evolve(before, found=found)
