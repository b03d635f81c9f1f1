"""The bookkeeper's view: review queue, conflicts, error log, status and go-live plan.

An ASGI application (Starlette, server-rendered Jinja2 pages, no JavaScript) that a host
mounts under its own path, in Starlette, FastAPI, Django (via ASGI) or any ASGI server.
Needs the ``web`` extra (``pip install 'finlink[web]'``)::

    from finlink.web import WebUser, create_app

    def who(request):
        user = my_session_user(request)          # the host's own login
        return WebUser(id=user.email, name=user.full_name) if user.is_bookkeeper else None

    app.mount("/finlink", create_app(engine, authenticate=who))

The host authenticates; finlink has no login of its own. Every form carries a CSRF token,
every page the security headers, every action is logged with its user (logger
``finlink.web``). ``docs/howto/bookkeepers-web-view.md`` shows the mounting and
``finlink serve`` runs it locally.
"""

try:
    import jinja2  # noqa: F401 - checked here so the message names the extra
    import starlette  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - the test run has the extra
    if exc.name not in ("jinja2", "starlette", "markupsafe", "anyio"):
        raise
    raise ModuleNotFoundError(
        f"finlink.web needs {exc.name}, which is not installed: pip install 'finlink[web]'",
        name=exc.name,
    ) from exc

from finlink.web._app import PlanSource, create_app
from finlink.web._local import LocalServer, create_local_app
from finlink.web._security import Authenticate, WebAction, WebUser

__all__ = [
    "Authenticate",
    "LocalServer",
    "PlanSource",
    "WebAction",
    "WebUser",
    "create_app",
    "create_local_app",
]
