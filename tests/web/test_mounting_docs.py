"""The how-to's Django mounting example, run over stand-ins for Django and the host's code.

Django is not a dependency of finlink, so the example is fenced ``py`` (not run by
tests/test_docs.py); here its dispatcher runs for real: finlink's pages under the prefix with
links that keep it, everything else to Django.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from tests.web.scenario import Scenario

PAGE = Path(__file__).resolve().parents[2] / "docs" / "howto" / "bookkeepers-web-view.md"


def _django_block() -> str:
    blocks = re.findall(r"^```py\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.M | re.S)
    (block,) = [b for b in blocks if "get_asgi_application" in b]
    return str(block)


class _User:
    pk = 7
    is_authenticated = True

    def has_perm(self, permission: str) -> bool:
        return permission == "crm.do_bookkeeping"

    def get_full_name(self) -> str:
        return "Anna de Boekhouder"


@pytest.fixture
def stand_ins(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    django_app = PlainTextResponse("django")

    async def django_asgi(scope: Any, receive: Any, send: Any) -> None:
        await django_app(scope, receive, send)

    class SessionStore(dict[str, Any]):
        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    def get_user(request: Any) -> Any:
        # Only the session the test's browser holds is signed in.
        return (
            _User()
            if request.session.key == "anna"
            else types.SimpleNamespace(is_authenticated=False)
        )

    modules: dict[str, dict[str, Any]] = {
        "django": {},
        "django.core": {},
        "django.core.asgi": {"get_asgi_application": lambda: django_asgi},
        "django.contrib": {},
        "django.contrib.auth": {"get_user": get_user},
        "django.contrib.sessions": {},
        "django.contrib.sessions.backends": {},
        "django.contrib.sessions.backends.db": {"SessionStore": SessionStore},
        "django.http": {"HttpRequest": types.SimpleNamespace},
        "mysite": {},
        "mysite.finlink_setup": {"engine": scenario.engine},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setenv("FINLINK_CSRF_SECRET", "a" * 32)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)


@pytest.mark.usefixtures("stand_ins")
def test_the_django_example_serves_finlink_under_its_prefix_and_django_elsewhere() -> None:
    namespace: dict[str, Any] = {"__name__": "mysite.asgi"}
    exec(compile(_django_block(), "django asgi.py", "exec"), namespace)
    application = namespace["application"]
    # No ``with``: that would send a lifespan event, which Django's handler does not take.
    browser = TestClient(application, cookies={"sessionid": "anna"})
    reviews = browser.get("/boekhouding/reviews")
    assert reviews.status_code == 200
    assert "Anna de Boekhouder" in reviews.text
    assert 'href="/boekhouding/reviews/1"' in reviews.text  # links keep the prefix
    assert browser.get("/boekhouding/static/finlink.css").status_code == 200
    assert browser.get("/admin/").text == "django"
    assert browser.get("/boekhoudingen").text == "django"  # only the prefix itself
    stranger = TestClient(application, cookies={"sessionid": "someone-else"})
    assert stranger.get("/boekhouding/reviews").status_code == 403
