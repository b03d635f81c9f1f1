"""``finlink auth exact|snelstart ADMINISTRATION``: connect an administration or check its keys.

``auth exact`` runs Exact Online's OAuth consent flow (reference ``exact-online.md`` §1.2):
it prints the consent URL, catches the redirect on a loopback listener (or takes the code
pasted with ``--code``), exchanges the code and stores the tokens in the administration's
``token_store``. ``auth snelstart`` checks the koppelsleutel and subscription key with one token
request and one cheap call (``snelstart.md`` §1.2) and stores nothing.
"""

from __future__ import annotations

import logging
import secrets
import webbrowser
from urllib.parse import parse_qs, urlsplit

import click

from finlink._errors import AuthenticationError, PermissionDeniedError
from finlink.backends.exact import ExactBackend
from finlink.backends.protocol import RelationKeys
from finlink.cli.administration import administration_named, close_backend, make_backend
from finlink.cli.config import ConfigError
from finlink.cli.loopback import LOOPBACK_HOST, CallbackListener
from finlink.cli.state import CliState, pass_state

__all__ = ["auth"]

logger = logging.getLogger("finlink.cli")

_LOOPBACK_NAMES = (LOOPBACK_HOST, "localhost")
_DEFAULT_PATH = "/callback"


@click.group()
def auth() -> None:
    """Connect an administration (Exact Online consent) or check its keys (SnelStart)."""


def _loopback_target(uri: str) -> tuple[int | None, str] | None:
    """(port, path) when ``uri`` is an http URL on this machine's loopback address."""
    parts = urlsplit(uri)
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_NAMES:
        return None
    return parts.port, parts.path or "/"


def _code_from(pasted: str) -> str:
    """The code itself, also when the whole redirect URL was pasted."""
    if pasted.startswith(("http://", "https://")):
        codes = parse_qs(urlsplit(pasted).query).get("code")
        if not codes:
            raise click.BadParameter("the pasted URL has no code=… in it", param_hint="--code")
        return codes[0]
    return pasted.strip()


def _listener(configured: str | None, override: str | None, port: int) -> tuple[str, int, str]:
    """The redirect URI of the flow, and the port and path to listen on."""
    uri = override or configured
    target = _loopback_target(uri) if uri else None
    if target is not None:
        uri_port, path = target
        if uri_port is None:
            raise click.UsageError(
                f"the redirect URI {uri} names no port; use http://127.0.0.1:PORT{path}"
            )
        if port not in (0, uri_port):
            raise click.UsageError(f"--port {port} differs from the redirect URI's port {uri_port}")
        assert uri is not None  # target is only found for a URI
        return uri, uri_port, path
    if override is not None:
        raise click.UsageError(
            "--redirect-uri must be http://127.0.0.1:PORT/… for the loopback listener; "
            "with another redirect URI, paste the code with --code"
        )
    # The configured URI is the CRM's own (https://…): listen on loopback and use that as
    # the redirect URI of this flow; Exact accepts it only when it is registered for the app.
    return "", port, _DEFAULT_PATH


@auth.command("exact")
@click.argument("administration")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Loopback port to receive the redirect on (0: the redirect URI's port, or any free one).",
)
@click.option(
    "--redirect-uri",
    default=None,
    help="Redirect URI for this flow instead of the configured one (registered for the app).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the consent URL in a browser.")
@click.option("--code", default=None, help="Paste the code (or the redirect URL) by hand.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds to wait for the redirect.",
)
@pass_state
def auth_exact(
    state: CliState,
    administration: str,
    *,
    port: int,
    redirect_uri: str | None,
    open_browser: bool,
    code: str | None,
    timeout: float,
) -> None:
    """Consent to Exact Online for ADMINISTRATION and store the tokens in its token_store.

    Prints the consent URL; after the user consents, Exact redirects to the redirect URI.
    When that is http://127.0.0.1:PORT/… on this machine, finlink receives the code there;
    otherwise paste the code with --code. Exit status 2 when Exact refuses.
    """
    adm = administration_named(state, administration, "exact")
    config = state.config()
    if adm.token_store is None:
        raise ConfigError(
            config.path,
            f"administrations.{administration}.token_store",
            'is required for Exact Online: the tokens are kept there (token_store = "tokens.json")',
        )
    configured = adm.options.get("redirect_uri")
    configured = configured if isinstance(configured, str) else None
    if code is not None:
        flow_uri = redirect_uri or configured
        if flow_uri is None:
            raise click.UsageError("no redirect URI configured; give --redirect-uri")
        _exchange(state, administration, flow_uri, _code_from(code))
        return
    flow_uri, listen_port, path = _listener(configured, redirect_uri, port)
    flow_state = secrets.token_urlsafe(16)
    try:
        listener = CallbackListener(port=listen_port, path=path, state=flow_state)
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {LOOPBACK_HOST}:{listen_port}: {exc}") from exc
    with listener:
        if not flow_uri:
            flow_uri = f"http://{LOOPBACK_HOST}:{listener.port}{path}"
            click.echo(
                f"Using redirect URI {flow_uri}: it must be registered for the app in Exact's "
                "App Center (register a fixed port and pass it with --port)."
            )
        backend, _ = make_backend(state, adm, overrides={"redirect_uri": flow_uri})
        try:
            url = _exact(backend).oauth.authorization_url(state=flow_state)
        finally:
            close_backend(backend)
        click.echo("Open this URL in a browser, sign in and tick the division(s) finlink may use:")
        click.echo(f"  {url}")
        click.echo(f"Waiting for the redirect on {LOOPBACK_HOST}:{listener.port} (Ctrl-C stops)…")
        if open_browser:
            webbrowser.open(url)
        received = listener.wait(timeout)
    _exchange(state, administration, flow_uri, received)


def _exact(backend: object) -> ExactBackend:
    if not isinstance(backend, ExactBackend):
        raise click.UsageError(
            f"the backend made is a {type(backend).__name__}, not an Exact Online backend"
        )
    return backend


def _exchange(state: CliState, administration: str, flow_uri: str, code: str) -> None:
    adm = administration_named(state, administration, "exact")
    backend, _ = make_backend(state, adm, overrides={"redirect_uri": flow_uri})
    try:
        tokens = _exact(backend).connect(code)
    finally:
        close_backend(backend)
    logger.info("stored new Exact Online tokens for %s", administration)
    click.echo(f"Connected: tokens stored in {adm.token_store}.")
    click.echo(
        f"The access token is valid until {tokens.expires_at:%Y-%m-%d %H:%M %Z} and is "
        "refreshed by itself; the refresh token dies when unused for 30 days."
    )
    click.echo("Run `finlink doctor` to check the division's consent and reference data.")


@auth.command("snelstart")
@click.argument("administration")
@pass_state
def auth_snelstart(state: CliState, administration: str) -> None:
    """Check ADMINISTRATION's koppelsleutel and subscription key with SnelStart.

    One token request and one small read; prints OK or what is wrong. Stores nothing: the
    token fetched for the check is kept in memory only. Exit status 2 when SnelStart refuses.
    """
    adm = administration_named(state, administration, "snelstart")
    # drop the token store: this check must not write a token to any file.
    backend, _ = make_backend(state, adm, drop=("token_store",))
    try:
        # The token request happens on the first call; the call itself reads at most a
        # handful of relations (a lookup by a relation code no administration uses).
        backend.find_relations(RelationKeys(code="0"))
    except AuthenticationError as exc:
        raise AuthenticationError(
            f"SnelStart refused the credentials of {administration}: {exc}. Check the "
            "koppelsleutel (per administration, from SnelStart's web portal) and the "
            "subscription key (from the developer portal) in the variables the configuration "
            "names."
        ) from exc
    except PermissionDeniedError as exc:
        raise PermissionDeniedError(
            f"SnelStart accepted the koppelsleutel of {administration} but refused the call: "
            f"{exc}. Check that the subscription key belongs to a product with access to "
            "this administration."
        ) from exc
    finally:
        close_backend(backend)
    click.echo(f"OK: SnelStart accepts the koppelsleutel and subscription key of {administration}.")
