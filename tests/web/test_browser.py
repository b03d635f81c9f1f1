"""The web view in a real browser: headless Chromium from the system, driven by selenium.

The app runs in a real server (uvicorn on 127.0.0.1, in a thread) over an engine with
in-memory backends. Each page's screenshot is saved into docs/images/web/ for the how-to.
Where Chromium, its driver or selenium is missing these tests skip, except under CI (``CI``
or ``FINLINK_REQUIRE_BROWSER=1``), where they fail: there they must run.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from finlink.model.readback import OpenItem
from finlink.web import LocalServer, create_app
from tests.web.scenario import HOSTILE, SESSION_COOKIE, Scenario, build, host_authenticate

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images" / "web"
REQUIRED = bool(os.environ.get("CI")) or os.environ.get("FINLINK_REQUIRE_BROWSER") == "1"

pytestmark = pytest.mark.slow


def _missing() -> list[str]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium package")
    return missing


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    missing = _missing()
    if missing:
        reason = f"no browser to drive: {', '.join(missing)} missing (apt-get install chromium "
        reason += "chromium-driver; pip install selenium)"
        if REQUIRED:
            pytest.fail(reason + "; CI/FINLINK_REQUIRE_BROWSER says these tests must run")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1100,760")
    options.add_argument("--lang=en-GB")
    # An explicit driver path: Selenium Manager never looks for (or downloads) a driver;
    # and were it ever asked, offline mode forbids it any download.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        chrome = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
    try:
        yield chrome
    finally:
        chrome.quit()


def _open_items() -> list[OpenItem]:
    return [
        OpenItem(
            administration="exact:1",
            remote_id="oi-1",
            remote_relation_id="rel-000001",
            relation_id="crm-0",
            invoice_number="F2026-0042",
            due_date=None,
            amount=Decimal("1210.00"),
            open_amount=Decimal("605.00"),
        ),
        OpenItem(
            administration="snelstart:2",
            remote_id="oi-2",
            remote_relation_id="rel-000007",
            relation_id="crm-1",
            invoice_number="F2026-0043",
            amount=Decimal("242.00"),
            open_amount=Decimal("0.00"),
        ),
    ]


@attrs.define
class Site:
    """The scenario served on 127.0.0.1 and a browser signed in as Anna."""

    scenario: Scenario
    url: str
    driver: Any

    def get(self, path: str) -> None:
        self.driver.get(self.url + path)

    def sign_in(self, session: str) -> None:
        # A cookie belongs to a site: visit one of its URLs first, then set it.
        self.get("/static/finlink.css")
        self.driver.delete_all_cookies()
        self.driver.add_cookie({"name": SESSION_COOKIE, "value": session, "path": "/"})

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def text(self, css: str) -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def click(self, css: str) -> None:
        """Click something that stays on the page (a radio button)."""
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def follow(self, css: str) -> None:
        """Click a link or button that loads a new page, and wait until it has loaded."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, css).click()
        WebDriverWait(self.driver, 20).until(expected_conditions.staleness_of(old))
        WebDriverWait(self.driver, 20).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )


@pytest.fixture
def site(driver: Any) -> Iterator[Site]:
    world = build(reviews=30)
    changed = attrs.evolve(world.crm["crm-0"], email="boekhouding@devries.nl")
    app = create_app(
        world.engine,
        authenticate=host_authenticate,
        plan=lambda: world.engine.plan(relations=[changed, *list(world.crm.values())[1:]]),
        open_items=_open_items,
        page_size=10,
    )
    server = LocalServer(app).start()
    try:
        page = Site(scenario=world, url=server.url, driver=driver)
        page.sign_in("anna-session")
        yield page
    finally:
        server.stop()
        world.store.close()


def _no_alert(driver: Any) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert  # noqa: B018 - raises when no alert is open
    except NoAlertPresentException:
        return True
    return False


def test_a_review_resolved_by_a_click_is_carried_out_on_the_next_sync(site: Site) -> None:
    site.get("/reviews")
    site.screenshot("reviews")
    site.follow('a[href="/reviews/1"]')
    assert site.text("h1") == "Review 1: relation crm-0"
    site.screenshot("review")
    chosen = site.scenario.twins[1]
    site.follow("#link-2")
    assert site.text(".notice") == "Decision saved: the next sync links the record."
    item = site.scenario.store.get_review(1)
    assert item is not None
    assert item.remote_id == chosen
    site.scenario.engine.sync_relations([site.scenario.crm["crm-0"]])
    link = site.scenario.store.get_link("exact:1", "relation", "crm-0")
    assert link is not None
    assert link.remote_id == chosen
    (record,) = [r for r in site.scenario.exact.stored_relations() if r.remote_id == chosen]
    assert record.data.email == "info@firma0.nl"  # the link brought it in line with the CRM


def test_a_retry_from_the_error_log_reaches_the_backend(site: Site) -> None:
    site.get("/errors")
    assert "crm-9" in site.text("table.list")
    site.screenshot("errors")
    site.follow("button.retry")
    assert site.text(".notice") == "Sent again: it went through."
    assert "crm-9" in [r.crm_key for r in site.scenario.exact.stored_relations()]
    assert site.scenario.store.get_error("exact:1", "relation", "crm-9") is None
    assert "0 failed record(s)" in site.text("main")


def test_a_conflict_decided_field_by_field_in_the_browser(site: Site) -> None:
    site.get("/conflicts")
    site.screenshot("conflicts")
    site.follow('a[href="/conflicts/3"]')
    assert site.text("h1") == "Conflict 3: relation crm-5"
    site.click('input[name="choice:email"][value="crm"]')
    site.click('input[name="choice:iban"][value="accounting"]')
    site.screenshot("conflict")
    site.follow("#save")
    assert site.text(".notice") == "Choices saved: the next sync carries them out."
    item = site.scenario.store.get_review(3)
    assert item is not None
    assert item.choices == {"email": "crm", "iban": "accounting"}


def test_a_hostile_relation_name_shows_as_text_and_runs_nothing(site: Site) -> None:
    from selenium.webdriver.common.by import By

    site.get("/reviews/2")
    cells = site.driver.find_elements(By.CSS_SELECTOR, "table.compare td")
    assert HOSTILE in [cell.text for cell in cells]
    assert site.driver.find_elements(By.TAG_NAME, "script") == []
    assert _no_alert(site.driver)
    assert site.text("p.record-name") == f"{HOSTILE} (exact:1)"
    evidence = [item.text for item in site.driver.find_elements(By.CSS_SELECTOR, "tr.evidence li")]
    assert f"same name '{HOSTILE}'" in evidence


def test_a_post_without_the_csrf_token_is_refused_in_the_browser(site: Site) -> None:
    site.get("/reviews/1")
    # Remove the token from the dismiss form as a forged form would lack it. (WebDriver's
    # script runs outside the page's CSP; the page itself runs no script.)
    site.driver.execute_script(
        "document.querySelector('#dismiss').form.querySelector('[name=csrf_token]').remove()"
    )
    site.follow("#dismiss")
    assert site.text("h1") == "Not allowed"
    assert "security token" in site.text("p.error")
    assert site.scenario.store.get_review(1).is_open  # type: ignore[union-attr]


def test_a_user_the_host_refuses_sees_no_data(site: Site) -> None:
    site.sign_in("mallory-session")
    site.get("/reviews")
    assert site.text("h1") == "Not allowed"
    assert "crm-0" not in site.driver.page_source


def test_each_page_shows_its_data_and_is_screenshot_for_the_docs(site: Site) -> None:
    site.get("/")
    assert site.text("h1") == "Status per administration"
    site.screenshot("status")
    site.get("/plan")
    assert "boekhouding@devries.nl" in site.text("table.plan")
    site.screenshot("plan")
    site.get("/open-items")
    assert "F2026-0042" in site.text("table.list")
    site.screenshot("open-items")
