"""What ``finlink doctor`` checks for one administration, each finding with what to do about it.

The checks run from cheap to expensive and stop early where going on cannot help: credentials
first (environment variables, stored tokens, without a call), then one read of the reference
data, which proves the credentials and the division's consent and feeds the ledger and VAT
checks. A 403 counts against Exact's budget of 10 errors an hour per endpoint
(``exact-online.md`` §3, §6 quirk 6), so a division is probed with that one read only.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
import httpx

from finlink._errors import (
    AuthenticationError,
    BackendError,
    ConfigurationError,
    PermissionDeniedError,
)
from finlink.backends import Backend
from finlink.backends.reference import ReferenceData
from finlink.cli.config import AdministrationConfig
from finlink.clock import Clock, SystemClock
from finlink.http import TokenSet, TokenStore

__all__ = [
    "REFRESH_TOKEN_LIFETIME",
    "Finding",
    "Severity",
    "backend_clock",
    "check_credentials_present",
    "check_exact_tokens",
    "finding",
    "probe_reference",
    "rate_budget",
]

#: An Exact refresh token dies when unused this long (``exact-online.md`` §1.3, quirk 8).
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
#: Warn this long before it dies.
_REFRESH_WARNING = timedelta(days=5)


class Severity(enum.StrEnum):
    """How bad a finding is: only problems make ``finlink doctor`` exit with 1."""

    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@attrs.frozen(kw_only=True)
class Finding:
    """One result of one check.

    Attributes:
        administration: The administration it is about (None: the configuration).
        check: What was checked (``credentials``, ``tokens``, ``division``, ``vat``...).
        severity: OK, a warning, or a problem.
        message: What was found, in plain words.
        fix: What to do about it (for warnings and problems).
    """

    administration: str | None
    check: str
    severity: Severity
    message: str
    fix: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The finding as JSON-ready values."""
        return {
            "administration": self.administration,
            "check": self.check,
            "severity": self.severity.value,
            "message": self.message,
            "fix": self.fix,
        }


def finding(
    adm: AdministrationConfig, check: str, severity: Severity, message: str, fix: str | None = None
) -> Finding:
    """A finding about administration ``adm``."""
    return Finding(
        administration=adm.name, check=check, severity=severity, message=message, fix=fix
    )


def _auth_command(adm: AdministrationConfig) -> str:
    return f"finlink auth {adm.backend} {adm.name}"


def check_credentials_present(
    adm: AdministrationConfig, environ: Mapping[str, str]
) -> list[Finding]:
    """One finding per secret whose environment variable is unset or empty (none: one OK)."""
    missing = [
        finding(
            adm,
            "credentials",
            Severity.PROBLEM,
            f"environment variable {variable} (the {keyword.replace('_', ' ')}) is not set",
            f"set {variable} in the environment finlink runs in, e.g. "
            f"`export {variable}=…`; the configuration names it in "
            f"administrations.{adm.name}.{keyword}_env",
        )
        for keyword, variable in adm.secret_env.items()
        if not environ.get(variable)
    ]
    if missing:
        return missing
    if not adm.secret_env:
        return []
    names = ", ".join(adm.secret_env.values())
    return [finding(adm, "credentials", Severity.OK, f"{names} set")]


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return f"{seconds // 86400} day(s)"
    if seconds >= 3600:
        return f"{seconds // 3600} hour(s)"
    return f"{seconds // 60} minute(s)"


def check_exact_tokens(
    adm: AdministrationConfig, options: Mapping[str, Any], clock: Clock
) -> list[Finding]:
    """The stored Exact tokens: present, refresh token alive (30 idle days, §1.3)."""
    reconsent = f"run `{_auth_command(adm)}` to consent again"
    store = options.get("token_store")
    if not isinstance(store, TokenStore):
        return [
            finding(
                adm,
                "tokens",
                Severity.PROBLEM,
                "no token_store is configured, so there is nowhere to keep Exact's tokens",
                f'add token_store = "tokens/{adm.name}.json" under [administrations.{adm.name}], '
                f"then run `{_auth_command(adm)}`",
            )
        ]
    key = str(options.get("token_key", "exact"))
    try:
        tokens = store.load(key)
    except ConfigurationError as exc:
        return [
            finding(
                adm, "tokens", Severity.PROBLEM, str(exc), f"move the file away, then {reconsent}"
            )
        ]
    if tokens is None:
        return [
            finding(
                adm,
                "tokens",
                Severity.PROBLEM,
                f"no Exact Online tokens are stored yet (key {key!r})",
                f"run `{_auth_command(adm)}` to connect the administration",
            )
        ]
    return [_refreshfinding(adm, tokens, clock.now(), reconsent)]


def _refreshfinding(
    adm: AdministrationConfig, tokens: TokenSet, now: datetime, reconsent: str
) -> Finding:
    if tokens.refresh_token is None:
        return finding(
            adm, "tokens", Severity.PROBLEM, "the stored tokens have no refresh token", reconsent
        )
    # Every refresh renews the refresh token, so it dies 30 days after the last issue.
    dies = tokens.issued_at + REFRESH_TOKEN_LIFETIME
    unused = _age(tokens.age(now))
    if now >= dies:
        return finding(
            adm,
            "tokens",
            Severity.PROBLEM,
            f"the Exact refresh token expired on {dies:%Y-%m-%d %H:%M %Z} "
            f"(unused for {unused}); only a new consent helps",
            f"{reconsent}; afterwards let finlink run (any call refreshes it) at least "
            "every few weeks",
        )
    if dies - now <= _REFRESH_WARNING:
        return finding(
            adm,
            "tokens",
            Severity.WARNING,
            f"the Exact refresh token dies on {dies:%Y-%m-%d %H:%M %Z} unless used before",
            f"run any finlink command on {adm.name} (e.g. `finlink doctor`) before then",
        )
    access = "valid" if not tokens.expires_within(now) else "expired (renewed on the next call)"
    return finding(
        adm,
        "tokens",
        Severity.OK,
        f"tokens stored {unused} ago; access token {access}; refresh token valid until "
        f"{dies:%Y-%m-%d}",
    )


def probe_reference(
    adm: AdministrationConfig, backend: Backend
) -> tuple[ReferenceData | None, Finding]:
    """Read the reference data once: proves credentials and consent (one finding either way)."""
    division = adm.options.get("division")
    try:
        reference = backend.reference_data(refresh=True)
    except PermissionDeniedError as exc:
        if adm.backend == "exact":
            message = (
                f"Exact Online refuses division {division}: it is not among the divisions "
                f"consented to ({exc})"
            )
            fix = (
                f"run `{_auth_command(adm)}` and tick division {division} on Exact's consent "
                f"screen, or correct administrations.{adm.name}.division"
            )
        else:
            message = f"the credentials may not read this administration ({exc})"
            fix = "check that the keys belong to this administration and grant access to it"
        return None, finding(adm, "access", Severity.PROBLEM, message, fix)
    except AuthenticationError as exc:
        return None, finding(
            adm,
            "access",
            Severity.PROBLEM,
            f"the credentials were refused: {exc}",
            f"check the secrets the configuration names, then run `{_auth_command(adm)}`",
        )
    except BackendError as exc:
        return None, finding(
            adm,
            "access",
            Severity.PROBLEM,
            f"the reference data could not be read: {exc}",
            "check the network connection and the host setting, then try again later",
        )
    where = f"division {division}" if adm.backend == "exact" and division else "the administration"
    return reference, finding(adm, "access", Severity.OK, f"{where} answers")


def rate_budget(adm: AdministrationConfig, backend: Backend) -> Callable[[], Finding | None]:
    """Watch the backend's responses for rate-limit headers; call the result for a finding.

    Exact sends ``X-RateLimit-Remaining`` (the day) and ``X-RateLimit-Minutely-Remaining`` on
    every division call (``exact-online.md`` §3.1); other backends send nothing, and then
    nothing is reported.
    """
    seen: dict[str, str] = {}
    http = getattr(backend, "http", None)
    if isinstance(http, httpx.Client):

        def remember(response: httpx.Response) -> None:
            for name in ("X-RateLimit-Remaining", "X-RateLimit-Limit"):
                if name in response.headers:
                    seen[name] = response.headers[name]

        http.event_hooks["response"] = [*http.event_hooks["response"], remember]

    def report() -> Finding | None:
        if "X-RateLimit-Remaining" not in seen:
            return None
        left, limit = seen["X-RateLimit-Remaining"], seen.get("X-RateLimit-Limit", "?")
        return finding(adm, "rate budget", Severity.OK, f"{left} of {limit} calls left today")

    return report


def backend_clock(backend: object) -> Clock:
    """The backend's clock when it shows one (tokens are aged on it), else the system's."""
    clock = getattr(backend, "clock", None)
    return clock if isinstance(clock, Clock) else SystemClock()
