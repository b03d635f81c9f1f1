"""The web view's pages and refusals, through Starlette's test client (no browser)."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from finlink.model.enums import PaymentStatus
from finlink.sync import OperationKind
from finlink.sync.store import ReviewResolution
from finlink.web import WebAction, WebUser, create_app
from finlink.web._i18n import CATALOGUES
from tests.web.scenario import SESSION_COOKIE, Scenario, host_authenticate

PAGES = [
    "/",
    "/reviews",
    "/reviews/1",
    "/conflicts",
    "/conflicts/3",
    "/errors",
    "/plan",
    "/open-items",
]
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "finlink" / "web" / "templates"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


def link_form(client: TestClient, review_id: int, remote_id: str, **extra: str) -> dict[str, str]:
    page = client.get(f"/reviews/{review_id}")
    token = csrf_token(page.text)
    return {"csrf_token": token, "decision": "link", "remote_id": remote_id, **extra}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_user_the_host_lets_in(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "Signed in as Anna de Boer" in response.text
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_speaks_dutch_to_a_dutch_browser(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"accept-language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert response.status_code == 200
    assert '<html lang="nl">' in response.text
    assert "Ingelogd als Anna de Boer" in response.text
    assert "Signed in" not in response.text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "script-src" not in csp  # nothing may run at all: default-src 'none' covers it
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_the_stylesheet_is_served_and_may_be_cached(client: TestClient) -> None:
    response = client.get("/static/finlink.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert response.headers.get("cache-control") != "no-store"


@pytest.mark.parametrize("path", [*PAGES, "/plan.csv"])
def test_a_user_the_host_refuses_gets_403_and_no_data(client: TestClient, path: str) -> None:
    client.cookies.set(SESSION_COOKIE, "mallory-session")
    response = client.get(path)
    assert response.status_code == 403
    assert "Not allowed" in response.text
    for data in ("crm-0", "crm-9", "exact:1", "csrf_token"):
        assert data not in response.text


def test_a_request_without_any_session_is_refused(scenario: Scenario) -> None:
    app = create_app(scenario.engine, authenticate=host_authenticate)
    with TestClient(app) as anonymous:
        assert anonymous.get("/").status_code == 403
        response = anonymous.post("/reviews/1", data={"decision": "dismiss"})
    assert response.status_code == 403
    assert scenario.store.get_review(1).is_open  # type: ignore[union-attr]


def test_a_refused_user_cannot_post_even_with_a_valid_token(
    client: TestClient, scenario: Scenario
) -> None:
    form = link_form(client, 1, scenario.twins[1])
    client.cookies.set(SESSION_COOKIE, "mallory-session")
    assert client.post("/reviews/1", data=form).status_code == 403
    assert scenario.store.get_review(1).is_open  # type: ignore[union-attr]


def test_the_host_callable_may_be_async_and_anything_but_a_user_refuses(
    scenario: Scenario,
) -> None:
    async def who(request: object) -> WebUser | None:
        return WebUser(id="async-user")

    with TestClient(create_app(scenario.engine, authenticate=who)) as c:
        assert "Signed in as async-user" in c.get("/").text

    def sloppy(request: object) -> object:
        return "admin"  # a host bug: not a WebUser

    with TestClient(create_app(scenario.engine, authenticate=sloppy)) as c:  # type: ignore[arg-type]
        assert c.get("/").status_code == 403


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, scenario: Scenario, actions: list[WebAction]
) -> None:
    client.get("/reviews/1")  # the browser has its CSRF cookie
    response = client.post("/reviews/1", data={"decision": "link", "remote_id": scenario.twins[1]})
    assert response.status_code == 403
    assert "security token" in response.text
    assert scenario.store.get_review(1).is_open  # type: ignore[union-attr]
    assert [(a.action, a.outcome, a.user.id) for a in actions] == [
        ("csrf", "refused", "anna@example.nl")
    ]


def test_a_wrong_or_foreign_csrf_token_is_refused(client: TestClient, scenario: Scenario) -> None:
    form = link_form(client, 1, scenario.twins[1])
    wrong = {**form, "csrf_token": "0" * 64}
    assert client.post("/reviews/1", data=wrong).status_code == 403
    # Anna's token is worthless to Bert, even in Anna's browser (the token binds the user).
    client.cookies.set(SESSION_COOKIE, "bert-session")
    assert client.post("/reviews/1", data=form).status_code == 403
    # And worthless without the browser's CSRF cookie it was made for.
    client.cookies.set(SESSION_COOKIE, "anna-session")
    client.cookies.delete("finlink_csrf")
    assert client.post("/reviews/1", data=form).status_code == 403
    assert scenario.store.get_review(1).is_open  # type: ignore[union-attr]


def test_linking_a_review_is_recorded_and_carried_out_on_the_next_sync(
    client: TestClient,
    scenario: Scenario,
    actions: list[WebAction],
    caplog: pytest.LogCaptureFixture,
) -> None:
    chosen = scenario.twins[1]
    with caplog.at_level(logging.INFO, logger="finlink.web"):
        response = client.post(
            "/reviews/1", data=link_form(client, 1, chosen), follow_redirects=False
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/reviews?done=linked"
    item = scenario.store.get_review(1)
    assert item is not None
    assert item.resolution is ReviewResolution.LINK
    assert item.remote_id == chosen
    assert [(a.user.id, a.action, a.outcome) for a in actions] == [
        ("anna@example.nl", "review.link", "done")
    ]
    assert any(
        "anna@example.nl" in r.getMessage() and "review.link" in r.getMessage()
        for r in caplog.records
    )
    scenario.engine.sync_relations([scenario.crm["crm-0"]])
    link = scenario.store.get_link("exact:1", "relation", "crm-0")
    assert link is not None
    assert link.remote_id == chosen
    assert "Decision saved" in client.get("/reviews?done=linked").text


@pytest.mark.parametrize(("decision", "resolution"), [("create", "create"), ("dismiss", "dismiss")])
def test_create_and_dismiss_are_recorded(
    client: TestClient, scenario: Scenario, decision: str, resolution: str
) -> None:
    token = csrf_token(client.get("/reviews/1").text)
    response = client.post(
        "/reviews/1", data={"csrf_token": token, "decision": decision}, follow_redirects=False
    )
    assert response.status_code == 303
    item = scenario.store.get_review(1)
    assert item is not None
    assert item.resolution == resolution


def test_linking_to_a_record_that_is_not_a_candidate_is_refused(
    client: TestClient, scenario: Scenario
) -> None:
    response = client.post("/reviews/1", data=link_form(client, 1, "rel-999999"))
    assert response.status_code == 400
    assert scenario.store.get_review(1).is_open  # type: ignore[union-attr]


def test_settling_a_settled_review_again_says_why(client: TestClient, scenario: Scenario) -> None:
    form = link_form(client, 1, scenario.twins[0])
    scenario.engine.resolve_review(1, dismiss=True)
    response = client.post("/reviews/1", data=form)
    assert response.status_code == 409
    assert "already settled" in client.get("/reviews/1").text


def test_a_hostile_relation_name_is_shown_as_text(client: TestClient) -> None:
    for path in ("/reviews", "/reviews/2", "/plan"):
        html = client.get(path).text
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_review_page_shows_both_candidates_side_by_side_with_differences(
    client: TestClient, scenario: Scenario
) -> None:
    html = client.get("/reviews/1").text
    for remote_id in scenario.twins:
        assert f"Candidate {remote_id}" in html
        assert f'value="{remote_id}"' in html
    # The second twin has a phone number the CRM lacks: that cell is marked.
    assert re.search(r'<td class="differs"[^>]*>030 123 4567</td>', html)
    assert "same postcode 3511 AB" in html


def test_the_review_queue_pages_by_keyset_through_every_item(client: TestClient) -> None:
    seen: list[str] = []
    path: str | None = "/reviews"
    while path is not None:
        html = client.get(path).text
        seen += re.findall(r"<td>(\d+)</td>\s*<td><span class=\"name\">", html)
        found = re.search(r'<a rel="next" href="([^"]+)"', html)
        path = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [str(n) for n in range(1, 34)]


def test_the_review_queue_filters_per_administration(client: TestClient) -> None:
    html = client.get("/reviews?administration=exact%3A1").text
    assert "crm-0" in html
    assert "bulk-00000" not in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/reviews?administration=nowhere", 400),
        ("/reviews?after=abc", 400),
        ("/reviews?after=-1", 400),
        ("/reviews/9999", 404),
        ("/conflicts/1", 404),  # a match review is no conflict
        ("/errors?administration=nowhere", 400),
    ],
)
def test_bad_parameters_get_a_clear_refusal(client: TestClient, path: str, status: int) -> None:
    assert client.get(path).status_code == status


def test_the_error_log_shows_the_reason_and_filters(client: TestClient) -> None:
    html = client.get("/errors").text
    assert "crm-9" in html
    assert "1 failed record(s)" in html
    assert "crm-9" in client.get("/errors?administration=exact%3A1&entity=relation").text
    assert "crm-9" not in client.get("/errors?administration=snelstart%3A2").text
    assert "crm-9" not in client.get("/errors?entity=booking").text


def test_the_status_page_counts_per_administration(client: TestClient) -> None:
    html = client.get("/").text
    assert "exact:1" in html
    assert "snelstart:2" in html
    assert 'href="/reviews?administration=snelstart%3A2">31</a>' in html


def test_the_plan_page_shows_operations_and_changes(client: TestClient) -> None:
    html = client.get("/plan").text
    assert "Go-live plan" in html
    assert "crm-9" in html  # never created: the plan creates it


def test_without_a_plan_or_open_items_the_pages_say_so(scenario: Scenario) -> None:
    app = create_app(scenario.engine, authenticate=host_authenticate)
    with TestClient(app, cookies={SESSION_COOKIE: "anna-session"}) as c:
        assert "did not supply one" in c.get("/plan").text
        assert c.get("/plan.csv").status_code == 404
        assert "did not supply them" in c.get("/open-items").text


def test_mounted_under_a_prefix_links_and_cookies_follow_it(scenario: Scenario) -> None:
    inner = create_app(scenario.engine, authenticate=host_authenticate)
    host = Starlette(routes=[Mount("/books/finlink", app=inner)])
    with TestClient(host, cookies={SESSION_COOKIE: "anna-session"}) as c:
        response = c.get("/books/finlink/reviews")
        assert response.status_code == 200
        assert 'href="/books/finlink/reviews/1"' in response.text
        assert 'href="/books/finlink/static/finlink.css"' in response.text
        assert "Path=/books/finlink/" in response.headers["set-cookie"]
        assert c.get("/books/finlink/static/finlink.css").status_code == 200


def test_both_languages_have_every_text() -> None:
    assert set(CATALOGUES["nl"]) == set(CATALOGUES["en"])
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", template.read_text()))
    assert used, "the templates use no texts?"
    # Keys put together in a template ("plan.kind." ~ kind): every value they can take.
    dynamic = {
        "entity.": ["relation", "relation_supplier", "contact", "project", "booking", "document"],
        "nav.": ["status", "reviews", "conflicts", "errors", "plan", "open_items"],
        "plan.kind.": [kind.value for kind in OperationKind],
        "payment.": [status.value for status in PaymentStatus],
        "reviews.kind_": ["match", "conflict", "duplicate", "other"],
    }
    assert {key for key in used if key.endswith((".", "_"))} == set(dynamic)
    used = {key for key in used if key not in dynamic}
    used |= {prefix + value for prefix, values in dynamic.items() for value in values}
    missing = sorted(used - set(CATALOGUES["en"]))
    assert missing == []
    for language, catalogue in CATALOGUES.items():
        empty = [k for k, v in catalogue.items() if not v.strip()]
        assert empty == [], language


def test_create_app_checks_its_arguments(scenario: Scenario) -> None:
    with pytest.raises(ValueError, match="page_size"):
        create_app(scenario.engine, authenticate=host_authenticate, page_size=0)
    with pytest.raises(ValueError, match="csrf_secret"):
        create_app(scenario.engine, authenticate=host_authenticate, csrf_secret="short")
    with pytest.raises(ValueError, match=r"WebUser\.id"):
        WebUser(id="")


def test_a_shared_csrf_secret_lets_another_process_accept_the_form(scenario: Scenario) -> None:
    secret = "s" * 32
    first = create_app(scenario.engine, authenticate=host_authenticate, csrf_secret=secret)
    second = create_app(scenario.engine, authenticate=host_authenticate, csrf_secret=secret)
    with TestClient(first, cookies={SESSION_COOKIE: "anna-session"}) as c:
        c.get("/reviews/1")
        form = {"csrf_token": csrf_token(c.get("/reviews/1").text), "decision": "dismiss"}
        cookies = dict(c.cookies)
    with TestClient(second, cookies=cookies) as c:
        assert c.post("/reviews/1", data=form, follow_redirects=False).status_code == 303


def test_the_conflicts_page_lists_conflicts_and_not_matches(client: TestClient) -> None:
    html = client.get("/conflicts").text
    assert 'href="/conflicts/3"' in html
    assert "email, iban" in html
    assert 'href="/conflicts/1"' not in html
    # The review queue sends a conflict to its own page.
    assert 'href="/conflicts/3"' in client.get("/reviews").text


def test_the_conflict_page_shows_the_three_versions_per_field(client: TestClient) -> None:
    html = client.get("/conflicts/3").text
    for value in (
        "info@firma5.nl",  # last synced
        "crm@firma5.nl",
        "boekhouder@firma5.nl",
        "NL91ABNA0417164300",
        "NL02ABNA0123456789",
        "NL20INGB0001234567",
    ):
        assert value in html
    assert 'name="choice:email"' in html
    assert 'name="choice:iban"' in html


def test_a_conflict_decided_per_field_is_carried_out_on_the_next_sync(
    client: TestClient, scenario: Scenario, actions: list[WebAction]
) -> None:
    token = csrf_token(client.get("/conflicts/3").text)
    form = {"csrf_token": token, "choice:email": "crm", "choice:iban": "accounting"}
    response = client.post("/conflicts/3", data=form, follow_redirects=False)
    assert response.status_code == 303
    item = scenario.store.get_review(3)
    assert item is not None
    assert item.choices == {"email": "crm", "iban": "accounting"}
    assert [(a.action, a.outcome, a.detail) for a in actions] == [
        ("conflict.resolve", "done", "email=crm, iban=accounting")
    ]
    scenario.engine.sync_relations([scenario.crm["crm-5"]])
    link = scenario.store.get_link("snelstart:2", "relation", "crm-5")
    assert link is not None
    remote = scenario.snel.get_relation(link.remote_id).data
    assert remote.email == "crm@firma5.nl"
    assert remote.iban == "NL20INGB0001234567"


def test_a_conflict_needs_a_choice_for_every_field(client: TestClient, scenario: Scenario) -> None:
    token = csrf_token(client.get("/conflicts/3").text)
    response = client.post("/conflicts/3", data={"csrf_token": token, "choice:email": "crm"})
    assert response.status_code == 400
    assert "iban" in response.text
    assert scenario.store.get_review(3).is_open  # type: ignore[union-attr]
    no_token = client.post("/conflicts/3", data={"choice:email": "crm", "choice:iban": "crm"})
    assert no_token.status_code == 403


def test_retry_from_the_error_log_sends_the_record(
    client: TestClient, scenario: Scenario, actions: list[WebAction]
) -> None:
    token = csrf_token(client.get("/errors").text)
    form = {
        "csrf_token": token,
        "administration": "exact:1",
        "entity": "relation",
        "crm_key": "crm-9",
        "filter_administration": "exact:1",
    }
    response = client.post("/errors/retry", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/errors?administration=exact%3A1&done=retried"
    assert scenario.store.get_error("exact:1", "relation", "crm-9") is None
    assert "crm-9" in [r.crm_key for r in scenario.exact.stored_relations()]
    assert [(a.action, a.target, a.outcome) for a in actions] == [
        ("error.retry", "exact:1 relation crm-9", "done")
    ]
    assert "Sent again: it went through." in client.get("/errors?done=retried").text


def test_retry_of_something_finlink_cannot_send_says_why(
    client: TestClient, scenario: Scenario
) -> None:
    token = csrf_token(client.get("/errors").text)
    form = {"csrf_token": token, "administration": "exact:1", "entity": "relation"}
    assert client.post("/errors/retry", data={**form, "crm_key": ""}).status_code == 400
    response = client.post("/errors/retry", data={**form, "crm_key": "crm-unknown"})
    assert response.status_code == 409
    assert "That did not work" in response.text


def test_the_plan_downloads_as_csv(client: TestClient, actions: list[WebAction]) -> None:
    response = client.get("/plan.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert "crm-9" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert [a.action for a in actions] == ["plan.download"]


def test_a_plan_given_with_its_records_downloads_each_created_field(scenario: Scenario) -> None:
    import csv

    records = list(scenario.crm.values())
    app = create_app(
        scenario.engine,
        authenticate=host_authenticate,
        plan=lambda: (scenario.engine.plan(relations=records), records),
    )
    with TestClient(app, cookies={SESSION_COOKIE: "anna-session"}) as c:
        rows = list(csv.DictReader(io.StringIO(c.get("/plan.csv").text)))
        assert "crm-9" in c.get("/plan").text  # the page takes the pair as well
    created = [r for r in rows if r["crm_key"] == "crm-9" and r["administration"] == "exact:1"]
    assert {r["kind"] for r in created} == {"create"}
    names = [r for r in created if r["field"] == "name"]
    assert names
    assert names[0]["new_value"] == scenario.crm["crm-9"].name


def test_the_open_items_page_shows_payment_status(scenario: Scenario) -> None:
    from decimal import Decimal

    from finlink.model.readback import OpenItem

    item = OpenItem(
        administration="exact:1",
        remote_id="oi-1",
        remote_relation_id="rel-000001",
        relation_id="crm-0",
        invoice_number="F2026-0042",
        amount=Decimal("1210.00"),
        open_amount=Decimal("605.00"),
    )
    app = create_app(scenario.engine, authenticate=host_authenticate, open_items=lambda: [item])
    with TestClient(app, cookies={SESSION_COOKIE: "anna-session"}) as c:
        html = c.get("/open-items").text
        assert "F2026-0042" in html
        assert "partly paid" in html
        assert "deels betaald" in c.get("/open-items", headers={"accept-language": "nl"}).text


def test_status_warnings_are_said_in_both_languages(client: TestClient, scenario: Scenario) -> None:
    scenario.store.record_failure(
        "snelstart:2",
        "relation",
        "crm-4",
        kind="AuthenticationError",
        message="koppelsleutel refused",
        retriable=False,
    )
    english = client.get("/").text
    assert "The administration refused finlink&#39;s credentials: koppelsleutel refused" in english
    dutch = client.get("/", headers={"accept-language": "nl"}).text
    assert "De administratie weigerde de inloggegevens van finlink" in dutch


def test_status_warnings_come_from_the_structured_fields_not_the_english_text() -> None:
    from finlink.sync import AdministrationStatus
    from finlink.web._views import status_warnings

    # The English sentences are for logs; their wording may change (here: none at all), the
    # Dutch page still says what the fields hold.
    status = AdministrationStatus(
        administration="exact:1",
        name="Exact",
        outbox_depth=0,
        failed=0,
        review_open=0,
        pending_intents=0,
        last_successful_run=None,
        warnings=(),
        credentials_refused="de vernieuwingstoken is verlopen",
    )
    assert status_warnings(status) == [
        ("status.warn_credentials", {"detail": "de vernieuwingstoken is verlopen"})
    ]


def test_a_nearly_spent_day_budget_and_unknown_outcomes_are_warned_about() -> None:
    from datetime import UTC, datetime

    from finlink.http import Window, WindowBudget
    from finlink.sync import AdministrationStatus
    from finlink.web._views import status_warnings

    day = Window(limit=5000, seconds=86400.0, name="day")
    minute = Window(limit=60, seconds=60.0, name="minute")
    low = WindowBudget(
        window=day, used=4800, remaining=200, resets_at=datetime(2026, 1, 6, tzinfo=UTC)
    )
    status = AdministrationStatus(
        administration="exact:1",
        name="Exact",
        outbox_depth=0,
        failed=0,
        review_open=0,
        pending_intents=2,
        last_successful_run=None,
        warnings=("2 write(s) with unknown outcome; the next run checks them", "odd news"),
        rate_budget=(WindowBudget(window=minute, used=60, remaining=0, resets_at=None), low),
        rate_budget_low=(low,),
    )
    said = status_warnings(status)
    assert said == [
        ("status.warn_pending", {"count": 2}),
        ("", {"text": "odd news"}),
        (
            "status.warn_budget",
            {
                "remaining": "200",
                "limit": "5,000",
                "window": day.label(),
                "resets": "2026-01-06 00:00 UTC",
            },
        ),
    ]


def test_opening_a_review_shows_the_kept_candidates_without_calling_the_vendor(
    client: TestClient, scenario: Scenario
) -> None:
    scenario.exact.calls.clear()
    html = client.get("/reviews/1").text
    assert "030 123 4567" in html  # the second twin's phone, from the record kept
    assert dict(scenario.exact.calls) == {}


def test_a_candidate_without_a_kept_record_is_read_or_said_to_be_unreadable(
    client: TestClient, scenario: Scenario
) -> None:
    # The bulk items were raised without records, and r-0 exists nowhere.
    html = client.get("/reviews/4").text
    assert "could not be read from the administration" in html
    assert scenario.snel.calls["get_relation"] == 1


NL = {"accept-language": "nl"}


def test_a_refused_retry_says_why_in_dutch(client: TestClient, scenario: Scenario) -> None:
    token = csrf_token(client.get("/errors").text)
    form = {"csrf_token": token, "administration": "exact:1", "entity": "relation"}
    unknown = client.post("/errors/retry", data={**form, "crm_key": "crm-unknown"}, headers=NL)
    assert unknown.status_code == 409
    assert "Er is niets om opnieuw te verzenden voor dit gegeven" in unknown.text
    assert "nothing to retry" not in unknown.text  # not the engine's English
    # Refused for its data in a batch sync: nothing is kept to send; the CRM must send it.
    scenario.store.record_failure(
        "exact:1",
        "relation",
        "crm-7",
        kind="ValidationError",
        message="name: longer than 50 characters [max_length]",
        field_path="name",
        rule="max_length",
        retriable=False,
    )
    refused = client.post("/errors/retry", data={**form, "crm_key": "crm-7"}, headers=NL)
    assert refused.status_code == 409
    assert "Verbeter het in het CRM en sla het daar op" in refused.text
    assert "the administration refused it" not in refused.text
    english = client.post("/errors/retry", data={**form, "crm_key": "crm-7"})
    assert "Correct it in the CRM and save it there" in english.text


def test_the_error_log_offers_retry_only_where_finlink_can_send_again(
    client: TestClient, scenario: Scenario
) -> None:
    scenario.store.record_failure(
        "snelstart:2",
        "relation",
        "crm-7",
        kind="ValidationError",
        message="name: longer than 50 characters [max_length]",
        field_path="name",
        rule="max_length",
        retriable=False,
    )
    html = client.get("/errors", headers=NL).text
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    keys = [re.search(r'name="crm_key" value="([^"]+)"', f)[1] for f in forms]  # type: ignore[index]
    assert keys == ["crm-9"]  # the passing failure, not the one refused for its data
    assert "Verbeter het gegeven eerst in het CRM" in html


def test_the_plan_page_says_evidence_conflicts_and_notes_in_dutch(client: TestClient) -> None:
    html = client.get("/plan", headers=NL).text
    assert "Wacht op beoordeling: Deze relatie staat misschien al in de administratie" in html
    assert "zelfde postcode 3511 AB en huisnummer 1" in html  # crm-0's evidence
    assert "geen relatie in de administratie lijkt er genoeg op" in html  # crm-9's create
    assert "E-mailadres: CRM crm@firma5.nl, administratie boekhouder@firma5.nl" in html
    for english in ("waiting for review", "same postcode", "possible match", "close enough"):
        assert english not in html


def test_every_text_the_plan_details_can_use_is_in_both_languages() -> None:
    from finlink.sync.report import ConflictDecision, Operation
    from finlink.web._views import plan_details

    notes = (
        "dismissed in the review queue",
        "changed in the CRM after it was booked; finlink does not change booked invoices: "
        "book a credit note and a new invoice",
        "waiting for review: possible match (kvk, 90): same KvK 12345678",
    )
    op = Operation(
        administration="exact:1",
        entity="relation",
        crm_key="crm-1",
        kind=OperationKind.UPDATE,
        changes={"email": ("a@b.nl", "c@d.nl")},
        conflicts=tuple(
            ConflictDecision(field="iban", crm_value="x", accounting_value="y", resolution=r)
            for r in ("crm", "accounting", "manual", "other")
        ),
        notes=notes,
    )
    for language in ("nl", "en"):
        details = list(plan_details(op, language))
        keys = {key for key, _ in details if key}
        assert {"plan.note_dismissed", "plan.note_booked", "plan.note_waiting"} <= keys
        for key, values in details:
            if key:
                assert CATALOGUES[language][key].format(**values)
    dutch = [v.get("text") for k, v in plan_details(op, "nl") if not k]
    assert "zelfde KvK-nummer 12345678" in dutch


def test_a_plan_line_is_said_once_though_match_and_note_both_carry_it() -> None:
    from finlink.sync.report import Operation
    from finlink.web._views import plan_details

    evidence = "same KvK 12345678"
    op = Operation(
        administration="exact:1",
        entity="relation",
        crm_key="crm-1",
        kind=OperationKind.REVIEW,
        match={"rule": "kvk", "score": 90, "evidence": evidence},
        notes=(f"possible match (kvk, 90): {evidence}",),
    )
    texts = [v["text"] for k, v in plan_details(op, "nl") if not k]
    assert texts.count("zelfde KvK-nummer 12345678") == 1
