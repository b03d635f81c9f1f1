"""The ``finlink.toml`` file: administrations, state store, routing and conflict policy.

The state store is an SQLite file (``state_store = "finlink.db"``, the default) or, for
several workers, PostgreSQL (a ``[postgres]`` table with ``dsn`` or ``dsn_env`` and the
tenant's ``namespace``); every command opens the one the file names.

:func:`load_config` reads and checks the file into a typed :class:`FinlinkConfig`; every
mistake is reported with the key it is about (``administrations.exact.backend: unknown backend
'exakt'; installed backends: memory``). Secrets are never in the file: a key ending in ``_env``
names the environment variable that holds the value, and :func:`resolve_backend_options` reads
it when the backend is made. See ``docs/configuration.md`` for the full layout.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from finlink._errors import ConfigurationError
from finlink.backends import available_backends
from finlink.http import Secret

__all__ = [
    "CONFLICT_POLICIES",
    "AdministrationConfig",
    "ConfigError",
    "ConflictConfig",
    "FinlinkConfig",
    "PostgresConfig",
    "RoutingConfig",
    "load_config",
    "postgres_dsn",
    "resolve_backend_options",
]

#: The conflict policies the file may name (see :mod:`finlink.sync.conflicts`).
CONFLICT_POLICIES = ("crm_wins", "accounting_wins", "newest_wins", "manual")
_OWNERS = ("crm", "accounting", "manual")
_TOP_KEYS = frozenset({"state_store", "postgres", "administrations", "routing", "conflicts"})
_RESERVED = frozenset({"backend", "ledger_map", "sync_contacts"})
_SECRET_SUFFIX = "_env"  # noqa: S105 - the suffix of a variable name, not a secret
# Keys that would hold a credential in plain text. The file is often committed or shared;
# credentials belong in the environment (or a token store), so these are refused outright.
_PLAIN_SECRET_ENDINGS = (
    "secret",
    "password",
    "koppelsleutel",
    "subscription_key",
    "api_key",
    "access_token",
    "refresh_token",
)


class ConfigError(ConfigurationError):
    """The configuration file is missing, unreadable or wrong; the message names the key.

    Attributes:
        key: The dotted key the problem is about (empty for the file as a whole).
    """

    def __init__(self, path: Path | str, key: str, message: str) -> None:
        self.key = key
        where = f"{key}: " if key else ""
        super().__init__(f"{path}: {where}{message}")


@attrs.frozen(kw_only=True)
class AdministrationConfig:
    """One administration: which backend serves it and with what settings.

    Attributes:
        name: The administration id used in the state store, in routing and in
            ``Booking.administration`` (the key under ``[administrations]``).
        backend: The backend's entry-point name (``exact``, ``snelstart``, ``memory``...).
        options: Plain keyword arguments for the backend (no secrets).
        secret_env: Backend keyword → the environment variable holding its value
            (from ``client_secret_env = "EXACT_CLIENT_SECRET"``).
        token_store: A token file for backends that keep OAuth tokens, resolved against the
            configuration file's folder; passed as a ``FileTokenStore``.
        ledger_map: CRM ledger code → this administration's ledger code.
        sync_contacts: Whether contacts are sent.
    """

    name: str
    backend: str
    options: Mapping[str, Any] = attrs.field(factory=dict)
    secret_env: Mapping[str, str] = attrs.field(factory=dict)
    token_store: Path | None = None
    ledger_map: Mapping[str, str] = attrs.field(factory=dict)
    sync_contacts: bool = True


@attrs.frozen(kw_only=True)
class RoutingConfig:
    """Which administrations relations and projects go to (bookings name their own).

    Attributes:
        relations_to: Limit relations and projects to these administrations (None: all).
        field: Route relations by this ``Relation.extra`` field instead.
        map: Value of that field → the administrations such relations go to.
    """

    relations_to: tuple[str, ...] | None = None
    field: str | None = None
    map: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ConflictConfig:
    """Who wins when both sides changed a field.

    Attributes:
        policy: One of :data:`CONFLICT_POLICIES`.
        owners: Field → ``crm``, ``accounting`` or ``manual``; fields not listed follow
            ``policy``.
    """

    policy: str = "crm_wins"
    owners: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class PostgresConfig:
    """The ``[postgres]`` table: the state store in PostgreSQL instead of an SQLite file.

    Exactly one of ``dsn`` and ``dsn_env`` is set. A DSN in the file carries no password
    (libpq reads it from ``PGPASSWORD`` or ``~/.pgpass``); ``dsn_env`` names an environment
    variable holding the whole DSN, password and all.

    Attributes:
        dsn: The libpq DSN (``postgresql://finlink@db.internal:5432/finlink``).
        dsn_env: The environment variable holding the DSN.
        namespace: The tenant whose state this configuration reads and writes.
    """

    dsn: str | None = None
    dsn_env: str | None = None
    namespace: str = "default"


@attrs.frozen(kw_only=True)
class FinlinkConfig:
    """The whole configuration file, checked.

    Attributes:
        path: The file it was read from.
        state_store: The SQLite state store file (unused when ``postgres`` is set).
        administrations: By administration id, in file order.
        routing: Routing of relations and projects.
        conflicts: The conflict policy.
        postgres: The PostgreSQL state store, when the file has a ``[postgres]`` table.
    """

    path: Path
    state_store: Path
    administrations: Mapping[str, AdministrationConfig]
    routing: RoutingConfig = RoutingConfig()
    conflicts: ConflictConfig = ConflictConfig()
    postgres: PostgresConfig | None = None


class _Reader:
    """Checks values of one file, raising :class:`ConfigError` with the key's dotted path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.path, key, message)

    def table(self, value: object, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, not {_kind(value)}")
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be non-empty text, not {_kind(value)}")
        return value

    def texts(self, value: object, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.error(key, f"must be a list of text, not {_kind(value)}")
        return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(value))

    def boolean(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_kind(value)}")
        return value

    def unknown(self, table: Mapping[str, Any], allowed: Collection[str], prefix: str) -> None:
        for name in table:
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.error(_key(prefix, name), f"is not a known key (known: {known})")

    def administrations_named(
        self, names: tuple[str, ...], key: str, known: Collection[str]
    ) -> None:
        for i, name in enumerate(names):
            if name not in known:
                raise self.error(
                    f"{key}[{i}]", f"names {name!r}, which is not under [administrations]"
                )


def _kind(value: object) -> str:
    return {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def load_config(
    path: str | os.PathLike[str], *, known_backends: Collection[str] | None = None
) -> FinlinkConfig:
    """Read and check a ``finlink.toml`` file.

    Args:
        path: The file.
        known_backends: Backend names to accept (default: the installed ones,
            :func:`finlink.backends.available_backends`).

    Raises:
        ConfigError: The file is missing or not TOML, or a key is unknown, of the wrong type,
            names an unknown backend or administration, or holds a secret in plain text.
    """
    file = Path(path)
    read = _Reader(file)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise read.error("", "no such configuration file (give one with --config)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise read.error("", f"cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise read.error("", f"is not valid TOML: {exc}") from exc
    read.unknown(raw, _TOP_KEYS, "")
    base = file.parent
    store = Path(read.text(raw.get("state_store", "finlink.db"), "state_store"))
    admins_raw = read.table(raw.get("administrations"), "administrations")
    if not admins_raw:
        raise read.error("administrations", "must name at least one administration")
    backends = set(available_backends() if known_backends is None else known_backends)
    administrations = {
        name: _administration(read, name, value, backends, base)
        for name, value in admins_raw.items()
    }
    postgres = None
    if "postgres" in raw:
        if "state_store" in raw:
            raise read.error(
                "postgres",
                "and state_store name two state stores; keep [postgres] for PostgreSQL "
                "or state_store for an SQLite file",
            )
        postgres = _postgres(read, raw["postgres"])
    return FinlinkConfig(
        path=file,
        state_store=store if store.is_absolute() else base / store,
        administrations=administrations,
        routing=_routing(read, raw.get("routing", {}), administrations),
        conflicts=_conflicts(read, raw.get("conflicts", {})),
        postgres=postgres,
    )


def _postgres(read: _Reader, value: object) -> PostgresConfig:
    table = read.table(value, "postgres")
    read.unknown(table, ("dsn", "dsn_env", "namespace"), "postgres")
    if ("dsn" in table) == ("dsn_env" in table):
        raise read.error(
            "postgres",
            'needs one of dsn (e.g. dsn = "postgresql://finlink@db:5432/finlink") or dsn_env '
            '(the environment variable holding the DSN, e.g. dsn_env = "FINLINK_DATABASE_URL")',
        )
    dsn = read.text(table["dsn"], "postgres.dsn") if "dsn" in table else None
    if dsn is not None and _has_password(dsn):
        raise read.error(
            "postgres.dsn",
            "holds a password; secrets never go in the configuration file: put the password "
            'in PGPASSWORD or ~/.pgpass, or the whole DSN in a variable named by dsn_env = "..."',
        )
    return PostgresConfig(
        dsn=dsn,
        dsn_env=read.text(table["dsn_env"], "postgres.dsn_env") if "dsn_env" in table else None,
        namespace=read.text(table.get("namespace", "default"), "postgres.namespace"),
    )


def _has_password(dsn: str) -> bool:
    """Whether a DSN (URL or ``key=value`` form) carries a password."""
    if dsn.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(dsn)
        return bool(parts.password) or "password" in parse_qs(parts.query)
    return re.search(r"(^|\s)password\s*=", dsn) is not None


def postgres_dsn(config: FinlinkConfig, environ: Mapping[str, str]) -> tuple[str, list[Secret]]:
    """The DSN of the configured PostgreSQL state store, read from the environment if named.

    Returns:
        The DSN, and the secrets to mask in logs (the DSN when it came from a variable).

    Raises:
        ConfigError: Without a ``[postgres]`` table, or when the named variable is unset.
    """
    postgres = config.postgres
    if postgres is None:
        raise ConfigError(config.path, "postgres", "is not set: the state store is SQLite")
    if postgres.dsn is not None:
        return postgres.dsn, []
    assert postgres.dsn_env is not None  # one of the two is set, checked on loading
    value = environ.get(postgres.dsn_env)
    if not value:
        raise ConfigError(
            config.path, "postgres.dsn_env", f"environment variable {postgres.dsn_env} is not set"
        )
    return value, [Secret(value)]


def _administration(
    read: _Reader, name: str, value: object, backends: set[str], base: Path
) -> AdministrationConfig:
    prefix = f"administrations.{name}"
    table = read.table(value, prefix)
    if "backend" not in table:
        raise read.error(f"{prefix}.backend", 'is required (e.g. backend = "exact")')
    backend = read.text(table["backend"], f"{prefix}.backend")
    if backend not in backends:
        known = ", ".join(sorted(backends)) or "none"
        raise read.error(
            f"{prefix}.backend", f"unknown backend {backend!r}; installed backends: {known}"
        )
    ledger = read.table(table.get("ledger_map", {}), f"{prefix}.ledger_map")
    ledger_map = {
        str(code): read.text(target, f"{prefix}.ledger_map.{code}")
        for code, target in ledger.items()
    }
    sync_contacts = read.boolean(table.get("sync_contacts", True), f"{prefix}.sync_contacts")
    options: dict[str, Any] = {}
    secret_env: dict[str, str] = {}
    token_store: Path | None = None
    for key, option in table.items():
        full = f"{prefix}.{key}"
        if key in _RESERVED:
            continue
        if key == "token_store":
            token = Path(read.text(option, full))
            token_store = token if token.is_absolute() else base / token
        elif key.endswith(_SECRET_SUFFIX):
            secret_env[key.removesuffix(_SECRET_SUFFIX)] = read.text(option, full)
        elif key.lower().endswith(_PLAIN_SECRET_ENDINGS):
            raise read.error(
                full,
                "secrets never go in the configuration file; name the environment variable "
                f'that holds it instead: {key}{_SECRET_SUFFIX} = "VARIABLE"',
            )
        else:
            options[key] = option
    return AdministrationConfig(
        name=name,
        backend=backend,
        options=options,
        secret_env=secret_env,
        token_store=token_store,
        ledger_map=ledger_map,
        sync_contacts=sync_contacts,
    )


def _routing(
    read: _Reader, value: object, administrations: Mapping[str, AdministrationConfig]
) -> RoutingConfig:
    table = read.table(value, "routing")
    read.unknown(table, ("relations_to", "field", "map"), "routing")
    relations_to = None
    if "relations_to" in table:
        relations_to = read.texts(table["relations_to"], "routing.relations_to")
        read.administrations_named(relations_to, "routing.relations_to", administrations)
    field = read.text(table["field"], "routing.field") if "field" in table else None
    mapping: dict[str, tuple[str, ...]] = {}
    for key, targets in read.table(table.get("map", {}), "routing.map").items():
        names = read.texts(targets, f"routing.map.{key}")
        read.administrations_named(names, f"routing.map.{key}", administrations)
        mapping[key] = names
    if mapping and field is None:
        raise read.error("routing.field", "is required when routing.map is given")
    if field is not None and not mapping:
        raise read.error("routing.map", "is required when routing.field is given")
    return RoutingConfig(relations_to=relations_to, field=field, map=mapping)


def _conflicts(read: _Reader, value: object) -> ConflictConfig:
    table = read.table(value, "conflicts")
    read.unknown(table, ("policy", "owners"), "conflicts")
    policy = read.text(table.get("policy", "crm_wins"), "conflicts.policy")
    if policy not in CONFLICT_POLICIES:
        raise read.error(
            "conflicts.policy",
            f"unknown policy {policy!r}; choose one of {', '.join(CONFLICT_POLICIES)}",
        )
    owners: dict[str, str] = {}
    for field, owner in read.table(table.get("owners", {}), "conflicts.owners").items():
        text = read.text(owner, f"conflicts.owners.{field}")
        if text not in _OWNERS:
            raise read.error(
                f"conflicts.owners.{field}",
                f"owner must be one of {', '.join(_OWNERS)}, not {text!r}",
            )
        owners[field] = text
    return ConflictConfig(policy=policy, owners=owners)


def resolve_backend_options(
    config: FinlinkConfig, administration: AdministrationConfig, environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[Secret]]:
    """The keyword arguments for one administration's backend, with its secrets read.

    Each ``<name>_env`` key becomes the keyword ``<name>`` holding a :class:`~finlink.http.Secret`
    with the variable's value; ``token_store`` becomes a :class:`~finlink.http.FileTokenStore`.

    Returns:
        The keyword arguments, and every secret read (to register for log redaction).

    Raises:
        ConfigError: A variable is not set or empty, or the token file's folder is missing.
    """
    prefix = f"administrations.{administration.name}"
    options = dict(administration.options)
    secrets: list[Secret] = []
    for keyword, variable in administration.secret_env.items():
        value = environ.get(variable)
        if not value:
            raise ConfigError(
                config.path,
                f"{prefix}.{keyword}{_SECRET_SUFFIX}",
                f"environment variable {variable} is not set",
            )
        secret = Secret(value)
        secrets.append(secret)
        options[keyword] = secret
    if administration.token_store is not None:
        # Imported here: the file store needs fcntl, which only POSIX has.
        from finlink.http import FileTokenStore  # noqa: PLC0415

        try:
            options["token_store"] = FileTokenStore(administration.token_store)
        except ConfigurationError as exc:
            raise ConfigError(config.path, f"{prefix}.token_store", str(exc)) from exc
    return options, secrets
