"""Fixtures of the web view's tests: the scenario, the app, a client signed in as Anna."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("starlette", reason="the web tests need finlink[web]")

from starlette.testclient import TestClient

from finlink.web import WebAction, create_app
from tests.web.scenario import SESSION_COOKIE, Scenario, build, host_authenticate


@pytest.fixture
def scenario() -> Iterator[Scenario]:
    world = build(reviews=30)
    yield world
    world.store.close()


@pytest.fixture
def actions() -> list[WebAction]:
    return []


@pytest.fixture
def client(scenario: Scenario, actions: list[WebAction]) -> Iterator[TestClient]:
    app = create_app(
        scenario.engine,
        authenticate=host_authenticate,
        plan=lambda: scenario.engine.plan(relations=list(scenario.crm.values())),
        on_action=actions.append,
        page_size=10,
    )
    with TestClient(app, cookies={SESSION_COOKIE: "anna-session"}) as test_client:
        yield test_client
