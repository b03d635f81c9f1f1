"""``finlink doctor``'s state-store check: reachable, and at the schema this finlink needs."""

from __future__ import annotations

from collections.abc import Mapping

from finlink.cli.config import ConfigError, FinlinkConfig
from finlink.cli.doctor_checks import Finding, Severity
from finlink.cli.store_setup import store_schema

__all__ = ["check_state_store"]

_CHECK = "state store"


def _finding(severity: Severity, message: str, fix: str | None = None) -> Finding:
    return Finding(administration=None, check=_CHECK, severity=severity, message=message, fix=fix)


def check_state_store(config: FinlinkConfig, environ: Mapping[str, str]) -> list[Finding]:
    """Check that the state store can be opened and has a schema this finlink can use.

    Nothing is created or migrated: the check only reads.
    """
    if config.postgres is None:
        folder = config.state_store.parent
        if not folder.is_dir():
            return [
                _finding(
                    Severity.PROBLEM,
                    f"the state store's folder {folder} does not exist",
                    f"create {folder}, or point state_store at a file in an existing folder",
                )
            ]
    try:
        report = store_schema(config, environ)
    except ConfigError as exc:
        fix = (
            "correct [postgres] (dsn or dsn_env) and check that the server runs and accepts "
            "this user; the password belongs in PGPASSWORD or ~/.pgpass"
            if config.postgres is not None
            else "restore the state store file from a backup, or point state_store elsewhere"
        )
        return [_finding(Severity.PROBLEM, str(exc), fix)]
    where = f"the {report.kind} state store at {report.where}"
    if report.found > report.needed:
        return [
            _finding(
                Severity.PROBLEM,
                f"{where} has schema version {report.found}, written by a newer finlink "
                f"(this one knows up to {report.needed})",
                "upgrade finlink on this machine to the version the other workers run",
            )
        ]
    if report.found == 0:
        return [
            _finding(
                Severity.OK if report.kind == "sqlite" else Severity.WARNING,
                f"{where} has no finlink tables yet; they are made on first use",
                "run 'finlink db upgrade' to make them now",
            )
        ]
    if report.found < report.needed:
        return [
            _finding(
                Severity.WARNING,
                f"{where} has schema version {report.found}; this finlink migrates it to "
                f"{report.needed} when it opens it",
                "run 'finlink db upgrade' before starting the workers",
            )
        ]
    return [_finding(Severity.OK, f"{where} answers, schema version {report.found} (current)")]
