"""``finlink doctor``: check the configuration, credentials and reference data, and say what to do.

Exit status 0 when all is well (warnings allowed), 1 when a problem was found, 2 when the
configuration file itself cannot be loaded (then nothing else can be checked).
"""

from __future__ import annotations

from collections.abc import Mapping

import click

from finlink._errors import ConfigurationError
from finlink.cli.administration import close_backend, environment, make_backend
from finlink.cli.config import AdministrationConfig, FinlinkConfig
from finlink.cli.doctor_checks import (
    Finding,
    Severity,
    backend_clock,
    check_credentials_present,
    check_exact_tokens,
    probe_reference,
    rate_budget,
)
from finlink.cli.doctor_reference import check_reference
from finlink.cli.doctor_store import check_state_store
from finlink.cli.output import EXIT_ATTENTION, EXIT_OK, dump_json, json_option
from finlink.cli.state import CliState, pass_state

__all__ = ["diagnose", "doctor"]


_NOTHING = object()


def _problems(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.PROBLEM for f in findings)


def _configuration(config: FinlinkConfig, environ: Mapping[str, str]) -> list[Finding]:
    count = len(config.administrations)
    return [
        Finding(
            administration=None,
            check="configuration",
            severity=Severity.OK,
            message=f"{config.path} loads ({count} administration(s))",
        ),
        *check_state_store(config, environ),
    ]


def _administration(state: CliState, adm: AdministrationConfig) -> list[Finding]:
    findings = check_credentials_present(adm, environment(state))
    if _problems(findings):
        return findings  # without the secrets no backend can be made
    try:
        backend, options = make_backend(state, adm)
    except ConfigurationError as exc:
        return [
            *findings,
            Finding(
                administration=adm.name,
                check="configuration",
                severity=Severity.PROBLEM,
                message=str(exc),
                fix=f"correct the settings under [administrations.{adm.name}]",
            ),
        ]
    try:
        if adm.backend == "exact":
            tokens = check_exact_tokens(adm, options, backend_clock(backend))
            findings.extend(tokens)
            if _problems(tokens):
                # A call would only be refused (and spend a token request) the same way.
                return findings
        budget = rate_budget(adm, backend)
        reference, access = probe_reference(adm, backend)
        findings.append(access)
        if reference is not None:
            findings.extend(check_reference(adm, options, reference))
        left = budget()
        if left is not None:
            findings.append(left)
    finally:
        close_backend(backend)
    return findings


def diagnose(state: CliState) -> list[Finding]:
    """Every finding for the configuration and each administration in it.

    Raises:
        ConfigError: The configuration file cannot be loaded.
    """
    config = state.config()
    findings = _configuration(config, environment(state))
    for administration in config.administrations.values():
        findings.extend(_administration(state, administration))
    return findings


def _print(findings: list[Finding]) -> None:
    current: object = _NOTHING
    for finding in findings:
        if finding.administration != current:
            current = finding.administration
            click.echo(f"[{current or 'configuration'}]")
        label = {"ok": "ok", "warning": "WARNING", "problem": "PROBLEM"}[finding.severity]
        click.echo(f"  {label:<8} {finding.check}: {finding.message}")
        if finding.fix and finding.severity is not Severity.OK:
            click.echo(f"  {'':<8} what to do: {finding.fix}")
    problems = sum(f.severity is Severity.PROBLEM for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    if problems:
        click.echo(f"{problems} problem(s), {warnings} warning(s).")
    else:
        click.echo(f"All is well ({warnings} warning(s)).")


@click.command()
@json_option
@pass_state
@click.pass_context
def doctor(ctx: click.Context, state: CliState, as_json: bool) -> None:
    """Check the configuration, credentials and reference data; say what to do about problems.

    Checks that the state store opens at a schema this finlink can use (for PostgreSQL:
    that the server answers), that every secret's environment variable is set, that Exact
    tokens are stored and their refresh token is alive, that each administration answers (an
    Exact division must be consented to), that every ledger code in ledger_map exists and
    that every VAT category finlink sends maps to a VAT code. Exit status 0 when all is well,
    1 when problems were found, 2 when the configuration file cannot be loaded.
    """
    state.as_json = as_json
    findings = diagnose(state)
    problems = _problems(findings)
    if as_json:
        dump_json(
            {
                "ok": not problems,
                "problems": sum(f.severity is Severity.PROBLEM for f in findings),
                "warnings": sum(f.severity is Severity.WARNING for f in findings),
                "findings": [f.to_dict() for f in findings],
            }
        )
    else:
        _print(findings)
    ctx.exit(EXIT_ATTENTION if problems else EXIT_OK)
