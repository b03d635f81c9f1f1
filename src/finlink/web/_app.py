"""The pages and actions of the bookkeeper's view, as one Starlette application.

Every request goes the same way: the host's callable says who it is (or refuses, 403); the
language follows ``Accept-Language``; a POST must carry the CSRF token of this browser and
user (else 403, nothing done); the engine is called in a worker thread (the stores are
blocking); every action is logged with the user on ``finlink.web`` and handed to the host's
audit hook. Lists are read a page at a time with the store's keyset pagination (``after``),
never the whole queue.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import attrs
import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from finlink._errors import FinlinkError, StoreUnavailableError, SyncError
from finlink.model import Booking, Project, Relation
from finlink.model.readback import OpenItem
from finlink.serialization import to_dict
from finlink.sync.conflicts import conflict_versions
from finlink.sync.engine import SyncEngine
from finlink.sync.explain import (
    explain_error,
    explain_evidence,
    explain_review,
    negotiate_language,
)
from finlink.sync.report import OperationKind, Plan
from finlink.sync.store import ErrorEntry, Review
from finlink.web._i18n import Language, translate
from finlink.web._security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    Authenticate,
    CsrfGuard,
    SecurityHeaders,
    WebAction,
    WebUser,
    resolve_user,
)
from finlink.web._views import (
    compare,
    field_name,
    moment,
    plain,
    plan_details,
    record_name,
    review_kind,
    status_warnings,
)

__all__ = ["PlanSource", "create_app"]

_log = logging.getLogger("finlink.web")

#: Items per page of the review queue, the conflicts and the error log.
DEFAULT_PAGE_SIZE = 25
#: How many review items the conflicts page looks through per request for conflicts: the
#: store pages reviews by id, not by kind, so the scan is bounded and continues via ``after``.
CONFLICT_SCAN = 500
#: Plan operations per page (the plan is computed in memory by the host's callable).
PLAN_PAGE = 200

#: What the host's ``plan`` callable returns: the plan, or the plan with the CRM records it
#: was made of (then the CSV download has a row per field of each record it creates).
PlanSource = Callable[[], Plan | tuple[Plan, Iterable[Relation | Project | Booking]]]

_DONE_KEYS = frozenset({"linked", "created", "dismissed", "conflict", "retried", "retry_failed"})


@attrs.define(kw_only=True)
class _Page:
    """One request after authentication: who, which language, its CSRF state."""

    request: Request
    user: WebUser
    language: Language
    nonce: str
    new_nonce: bool
    form: FormData | None = None

    def t(self, key: str, /, **values: object) -> str:
        return translate(self.language, key, **values)


class _Refused(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Stop handling: answer with this status and message."""

    def __init__(self, status: int, key: str, detail: str = "") -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.detail = detail


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise _Refused(400, "notfound.title", f"{name}: a whole number is required") from None
    if number < 0:
        raise _Refused(400, "notfound.title", f"{name}: must not be negative")
    return number


class _WebApp:
    """The handlers, with what they share (engine, templates, CSRF guard, hooks)."""

    def __init__(
        self,
        engine: SyncEngine,
        *,
        authenticate: Authenticate,
        csrf_secret: bytes | str | None,
        plan: PlanSource | None,
        open_items: Callable[[], Sequence[OpenItem]] | None,
        on_action: Callable[[WebAction], None] | None,
        page_size: int,
        secure_cookies: bool,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size: must be at least 1")
        self.engine = engine
        self.authenticate = authenticate
        self.csrf = CsrfGuard(csrf_secret)
        self.plan_source = plan
        self.open_items_source = open_items
        self.on_action = on_action
        self.page_size = page_size
        self.secure_cookies = secure_cookies
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("finlink.web", "templates"),
            # Every template, whatever its name: a relation called <script> is text.
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # -- plumbing ------------------------------------------------------------------------

    def guarded(
        self, handler: Callable[[_Page], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """Authentication, language, CSRF and refusals around one handler."""

        async def endpoint(request: Request) -> Response:
            language = negotiate_language(request.headers.get("accept-language"))
            user = await resolve_user(self.authenticate, request)
            if user is None:
                _log.warning(
                    "refused %s %s: the host's authentication said no",
                    request.method,
                    request.url.path,
                )
                return self.refusal(request, language, None, _Refused(403, "refused.body"))
            nonce = request.cookies.get(CSRF_COOKIE) or ""
            page = _Page(
                request=request,
                user=user,
                language=language,
                nonce=nonce or CsrfGuard.new_nonce(),
                new_nonce=not nonce,
            )
            try:
                if request.method == "POST":
                    form = await request.form()
                    if not self.csrf.check(nonce, user, form.get(CSRF_FIELD)):
                        self.audit(page, "csrf", request.url.path, "refused", "no valid token")
                        raise _Refused(403, "refused.csrf")
                    page.form = form
                response = await handler(page)
            except _Refused as refused:
                response = self.refusal(request, language, page, refused)
            if page.new_nonce:
                response.set_cookie(
                    CSRF_COOKIE,
                    page.nonce,
                    httponly=True,
                    samesite="strict",
                    secure=self.secure_cookies,
                    path=self.root(request) + "/",
                )
            return response

        return endpoint

    @staticmethod
    def root(request: Request) -> str:
        """Where the host mounted the app (``""`` at the top)."""
        return str(request.scope.get("root_path", "")).rstrip("/")

    def href(self, request: Request, path: str, **query: object) -> str:
        """A link inside the app, with the query values that are set."""
        values = {k: str(v) for k, v in query.items() if v not in (None, "")}
        suffix = "?" + urlencode(values) if values else ""
        return f"{self.root(request)}{path}{suffix}"

    def render(
        self, page: _Page, template: str, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page in the user's language, with the CSRF token for its forms."""
        done = page.request.query_params.get("done")
        html = self.templates.get_template(template).render(
            t=page.t,
            lang=page.language,
            user=page.user,
            csrf_field=CSRF_FIELD,
            csrf_token=self.csrf.token(page.nonce, page.user),
            href=lambda path, **query: self.href(page.request, path, **query),
            done=page.t(f"done.{done}") if done in _DONE_KEYS else None,
            plain=plain,
            moment=moment,
            field=lambda path: field_name(path, page.language),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def refusal(
        self, request: Request, language: Language, page: _Page | None, refused: _Refused
    ) -> HTMLResponse:
        """The refusal page: no data, no forms, no user details beyond the name."""
        title = {403: "refused.title", 404: "notfound.title"}.get(refused.status, "failed.title")
        html = self.templates.get_template("refused.html").render(
            t=lambda key, **values: translate(language, key, **values),
            lang=language,
            user=page.user if page else None,
            title=title,
            nav="",
            done=None,
            message=translate(language, refused.key),
            detail=refused.detail,
            href=lambda path, **query: self.href(request, path, **query),
        )
        return HTMLResponse(html, status_code=refused.status)

    def audit(self, page: _Page, action: str, target: str, outcome: str, detail: str = "") -> None:
        """Log an action with its user, and tell the host's hook."""
        _log.info(
            "user %s: %s %s: %s%s",
            page.user.id,
            action,
            target,
            outcome,
            f" ({detail})" if detail else "",
        )
        if self.on_action is not None:
            self.on_action(
                WebAction(
                    user=page.user, action=action, target=target, outcome=outcome, detail=detail
                )
            )

    def administration(self, page: _Page) -> str | None:
        """The administration filter, checked against the engine's (an unknown one is 400)."""
        value = page.request.query_params.get("administration") or None
        if value is not None and value not in self.engine.administrations:
            raise _Refused(400, "notfound.body", f"administration: unknown {value!r}")
        return value

    def redirect(self, page: _Page, path: str, **query: object) -> RedirectResponse:
        """Back to a page after an action (303: the browser then GETs it)."""
        return RedirectResponse(self.href(page.request, path, **query), status_code=303)

    # -- status ----------------------------------------------------------------------------

    async def status(self, page: _Page) -> Response:
        """Per administration: queues, failures, reviews, last run, warnings, rate budget."""
        statuses = await run_in_threadpool(self.engine.status)
        return self.render(
            page,
            "status.html",
            nav="status",
            statuses=[(s, status_warnings(s)) for s in statuses.values()],
        )

    # -- reviews ---------------------------------------------------------------------------

    async def reviews(self, page: _Page) -> Response:
        """The open review items, a page at a time."""
        administration = self.administration(page)
        after = _int(page.request.query_params.get("after"), "after")
        items: list[Review] = await run_in_threadpool(
            lambda: self.engine.store.reviews(
                administration, open_only=True, after=after, limit=self.page_size + 1
            )
        )
        more = len(items) > self.page_size
        items = items[: self.page_size]
        rows = [
            {
                "review": item,
                "kind": review_kind(item),
                "name": record_name(item.payload),
                "reason": explain_review(item, page.language),
            }
            for item in items
        ]
        return self.render(
            page,
            "reviews.html",
            nav="reviews",
            rows=rows,
            administration=administration,
            administrations=self.engine.administrations,
            after=after,
            next_after=items[-1].review_id if more and items else None,
        )

    async def _open_review(self, page: _Page) -> Review:
        review_id = _int(page.request.path_params.get("review_id"), "review")
        review = (
            await run_in_threadpool(self.engine.store.get_review, review_id)
            if review_id is not None
            else None
        )
        if review is None:
            raise _Refused(404, "notfound.body")
        return review

    def _candidate_record(
        self, review: Review, candidate: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, str]:
        """The candidate's record, or why it cannot be shown.

        The engine keeps each candidate's record with the item (read while matching), so
        showing it costs no call to the vendor; only an item raised by an older finlink,
        without it, is read from the administration.
        """
        kept = candidate.get("record")
        if isinstance(kept, Mapping):
            return dict(kept), ""
        try:
            record = self.engine.backend(review.administration).get_relation(
                str(candidate["remote_id"])
            )
        except FinlinkError as error:
            return None, str(error)
        return to_dict(record.data), ""

    async def review(self, page: _Page) -> Response:
        """One review item: the CRM record and each candidate side by side."""
        review = await self._open_review(page)
        return await self._review_page(page, review)

    async def _review_page(
        self, page: _Page, review: Review, *, error: str = "", status: int = 200
    ) -> Response:
        candidates = [c for c in review.candidates if c.get("remote_id")]
        read = (
            await run_in_threadpool(lambda: [self._candidate_record(review, c) for c in candidates])
            if review.entity.startswith("relation") and review_kind(review) != "conflict"
            else [(None, "") for _ in candidates]
        )
        return self.render(
            page,
            "review.html",
            status=status,
            nav="reviews",
            review=review,
            name=record_name(review.payload),
            kind=review_kind(review),
            reason=explain_review(review, page.language),
            candidates=[
                {
                    "remote_id": str(c["remote_id"]),
                    "score": c.get("score"),
                    "evidence": explain_evidence(c, page.language),
                    "unreadable": problem,
                }
                for c, (_record, problem) in zip(candidates, read, strict=True)
            ],
            rows=compare(review.payload, [record for record, _ in read]),
            error=error,
        )

    async def decide_review(self, page: _Page) -> Response:
        """Link, create or dismiss: recorded exactly as ``engine.resolve_review`` does."""
        review = await self._open_review(page)
        assert page.form is not None  # a POST always has one after the CSRF check
        decision = str(page.form.get("decision", ""))
        remote_id = str(page.form.get("remote_id", ""))
        target = f"review {review.review_id} ({review.administration} {review.entity} "
        target += f"{review.crm_key})"
        if decision == "link":
            if remote_id not in {str(c.get("remote_id")) for c in review.candidates}:
                raise _Refused(400, "notfound.body", "remote_id: not one of the candidates")
            call: dict[str, Any] = {"link_to": remote_id}
        elif decision in ("create", "dismiss"):
            call = {decision: True}
        else:
            raise _Refused(400, "notfound.body", "decision: link, create or dismiss")
        try:
            await run_in_threadpool(lambda: self.engine.resolve_review(review.review_id, **call))
        except (SyncError, ValueError) as error:
            self.audit(page, f"review.{decision}", target, "failed", str(error))
            return await self._review_page(page, review, error=str(error), status=409)
        self.audit(page, f"review.{decision}", target, "done", remote_id)
        done = {"link": "linked", "create": "created", "dismiss": "dismissed"}[decision]
        return self.redirect(page, "/reviews", done=done)

    # -- conflicts -------------------------------------------------------------------------

    async def conflicts(self, page: _Page) -> Response:
        """Open conflict items, found by a bounded scan of the review queue."""
        administration = self.administration(page)
        after = _int(page.request.query_params.get("after"), "after")

        def scan() -> tuple[list[Review], int | None, bool]:
            found: list[Review] = []
            cursor = after
            scanned = 0
            while scanned < CONFLICT_SCAN and len(found) < self.page_size:
                batch = self.engine.store.reviews(
                    administration, open_only=True, after=cursor, limit=100
                )
                if not batch:
                    return found, cursor, False
                for item in batch:
                    cursor = item.review_id
                    scanned += 1
                    if review_kind(item) == "conflict":
                        found.append(item)
                        if len(found) == self.page_size:
                            break
            return found, cursor, True

        found, cursor, more = await run_in_threadpool(scan)
        rows = [
            {
                "review": item,
                "name": record_name(item.payload),
                "fields": [version.field for version in conflict_versions(item)],
            }
            for item in found
        ]
        return self.render(
            page,
            "conflicts.html",
            nav="conflicts",
            rows=rows,
            administration=administration,
            administrations=self.engine.administrations,
            next_after=cursor if more else None,
            scanned_to=cursor,
        )

    async def conflict(self, page: _Page) -> Response:
        """One conflict: last synced, CRM and administration value per field, a choice each."""
        review = await self._open_review(page)
        return await self._conflict_page(page, review)

    async def _conflict_page(
        self, page: _Page, review: Review, *, error: str = "", status: int = 200
    ) -> Response:
        if review_kind(review) != "conflict":
            raise _Refused(404, "notfound.body")
        versions = await run_in_threadpool(conflict_versions, review)
        return self.render(
            page,
            "conflict.html",
            status=status,
            nav="conflicts",
            review=review,
            name=record_name(review.payload),
            reason=explain_review(review, page.language),
            versions=versions,
            error=error,
        )

    async def decide_conflict(self, page: _Page) -> Response:
        """Save a choice per field: ``engine.resolve_conflict``."""
        review = await self._open_review(page)
        if review_kind(review) != "conflict":
            raise _Refused(404, "notfound.body")
        assert page.form is not None
        versions = await run_in_threadpool(conflict_versions, review)
        choices: dict[str, str] = {}
        for version in versions:
            field = str(version.field)
            choice = page.form.get(f"choice:{field}")
            if choice not in ("crm", "accounting"):
                raise _Refused(400, "notfound.body", f"{field}: choose crm or accounting")
            choices[field] = str(choice)
        target = f"review {review.review_id} ({review.administration} {review.entity} "
        target += f"{review.crm_key})"
        detail = ", ".join(f"{k}={v}" for k, v in sorted(choices.items()))
        try:
            await run_in_threadpool(self.engine.resolve_conflict, review.review_id, choices)
        except (SyncError, ValueError) as error:
            self.audit(page, "conflict.resolve", target, "failed", str(error))
            return await self._conflict_page(page, review, error=str(error), status=409)
        self.audit(page, "conflict.resolve", target, "done", detail)
        return self.redirect(page, "/conflicts", done="conflict")

    # -- error log -------------------------------------------------------------------------

    async def errors(self, page: _Page) -> Response:
        """The error log with plain-words reasons, filtered and a page at a time."""
        administration = self.administration(page)
        entity = page.request.query_params.get("entity") or None
        a, e, k = (page.request.query_params.get(key) or "" for key in ("a", "e", "k"))
        after = (a, e, k) if a and e and k else None

        def read() -> tuple[list[ErrorEntry], int]:
            entries = self.engine.store.errors(
                administration, entity, after=after, limit=self.page_size + 1
            )
            return entries, self.engine.store.count_errors(administration, entity)

        entries, total = await run_in_threadpool(read)
        more = len(entries) > self.page_size
        entries = entries[: self.page_size]
        last = entries[-1] if more and entries else None
        return self.render(
            page,
            "errors.html",
            nav="errors",
            rows=[{"entry": e, "reason": explain_error(e, page.language)} for e in entries],
            total=total,
            administration=administration,
            administrations=self.engine.administrations,
            entity=entity,
            entities=("relation", "relation_supplier", "contact", "project", "booking"),
            next_after=(last.administration, last.entity, last.crm_key) if last else None,
            first=after is None,
        )

    async def retry(self, page: _Page) -> Response:
        """Send one failed record again: ``engine.retry``."""
        assert page.form is not None
        administration = str(page.form.get("administration", ""))
        entity = str(page.form.get("entity", ""))
        crm_key = str(page.form.get("crm_key", ""))
        if administration not in self.engine.administrations or not entity or not crm_key:
            raise _Refused(400, "notfound.body", "administration, entity and crm_key required")
        target = f"{administration} {entity} {crm_key}"
        try:
            report = await run_in_threadpool(self.engine.retry, administration, entity, crm_key)
        except (SyncError, ValueError) as error:
            self.audit(page, "error.retry", target, "failed", str(error))
            key, detail = await run_in_threadpool(
                self._retry_refusal, error, administration, entity, crm_key, page.language
            )
            raise _Refused(409, key, detail) from None
        ok = report.ok
        self.audit(page, "error.retry", target, "done" if ok else "failed")
        return self.redirect(
            page,
            "/errors",
            administration=page.form.get("filter_administration"),
            entity=page.form.get("filter_entity"),
            done="retried" if ok else "retry_failed",
        )

    def _retry_refusal(
        self, error: Exception, administration: str, entity: str, crm_key: str, language: str
    ) -> tuple[str, str]:
        """Why a retry was refused, as a message key and a detail in the user's language.

        Worked out from the exception's type and what the store holds for the record, not
        from the engine's English message: no error-log entry means nothing to retry; an
        entry refused for its data must come again from the CRM; a passing one has nothing
        waiting now (another worker holds it).
        """
        if isinstance(error, StoreUnavailableError):
            return "retry.store_down", ""
        try:
            entry = self.engine.store.get_error(administration, entity, crm_key)
        except SyncError:
            return "retry.store_down", ""
        if entry is None:
            return "retry.nothing", ""
        reason = explain_error(entry, language)
        return ("retry.busy" if entry.retriable else "retry.refused"), reason

    # -- plan ------------------------------------------------------------------------------

    def _plan(self) -> tuple[Plan, list[Relation | Project | Booking]]:
        """The host's plan and the CRM records it was made of (none when it gave only a plan)."""
        assert self.plan_source is not None  # the handlers check first
        made = self.plan_source()
        if isinstance(made, Plan):
            return made, []
        plan, records = made
        return plan, list(records)

    async def plan(self, page: _Page) -> Response:
        """The go-live plan the host's callable makes, a page of operations at a time."""
        if self.plan_source is None:
            return self.render(page, "plan.html", nav="plan", plan=None)
        start = _int(page.request.query_params.get("after"), "after") or 0
        plan, _records = await run_in_threadpool(self._plan)
        shown = [op for op in plan.operations if op.kind is not OperationKind.SKIP]
        window = shown[start : start + PLAN_PAGE]
        return self.render(
            page,
            "plan.html",
            nav="plan",
            plan=plan,
            counts=plan.counts(),
            operations=[
                {"op": op, "details": list(plan_details(op, page.language))} for op in window
            ],
            next_after=start + PLAN_PAGE if start + PLAN_PAGE < len(shown) else None,
        )

    async def plan_csv(self, page: _Page) -> Response:
        """The plan as CSV for the accountant (``Plan.to_csv``)."""
        if self.plan_source is None:
            raise _Refused(404, "plan.none")
        plan, records = await run_in_threadpool(self._plan)
        buffer = io.StringIO()
        plan.to_csv(buffer, records=records)
        self.audit(page, "plan.download", "plan", "done", f"{len(plan.operations)} operations")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="finlink-plan-{stamp}.csv"'},
        )

    # -- open items ------------------------------------------------------------------------

    async def open_items(self, page: _Page) -> Response:
        """Payment status of open items, as the host's callable reads them."""
        if self.open_items_source is None:
            return self.render(page, "open_items.html", nav="open_items", items=None)
        items = await run_in_threadpool(self.open_items_source)
        today = datetime.now(UTC).date()
        return self.render(
            page,
            "open_items.html",
            nav="open_items",
            items=[{"item": i, "overdue": i.is_overdue(today)} for i in items],
        )


def create_app(
    engine: SyncEngine,
    *,
    authenticate: Authenticate,
    csrf_secret: bytes | str | None = None,
    plan: PlanSource | None = None,
    open_items: Callable[[], Sequence[OpenItem]] | None = None,
    on_action: Callable[[WebAction], None] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    secure_cookies: bool = False,
) -> Starlette:
    """The bookkeeper's view over ``engine``, as an ASGI app to mount under any path.

    Mount it in Starlette or FastAPI with ``Mount("/finlink", app=...)`` (or
    ``app.mount(...)``), or route a path prefix to it from Django's ASGI application; links
    and cookies follow the prefix (the ASGI ``root_path``).

    Args:
        engine: The engine whose store and backends the pages show and act on.
        authenticate: The host's authentication: gets the :class:`~starlette.requests.Request`
            and returns a :class:`WebUser`, or None to refuse with 403. May be async.
        csrf_secret: Key of the CSRF tokens; give all processes of one deployment the same
            (at least 16 bytes). None: a random one for this process.
        plan: Makes the go-live plan the plan page shows (``lambda: engine.plan(relations=
            ...)``); without it the page says there is none. It may return ``(plan,
            records)``, the plan with the CRM records it was made of: then the CSV download
            also has a row per field of each record the plan creates (``Plan.to_csv(...,
            records=...)``); a plan alone gives those creates one row each.
        open_items: Reads open items for the payment-status page (a host usually returns what
            its worker last pulled; ``engine.pull_open_items()`` moves the change cursor).
        on_action: Told about every action (and refused form) with its user, for an audit
            trail; each is also logged on the ``finlink.web`` logger.
        page_size: Items per page of the review queue, conflicts and error log.
        secure_cookies: Mark the CSRF cookie ``Secure`` (set it when served over HTTPS).

    Raises:
        ValueError: A ``page_size`` below 1 or a ``csrf_secret`` shorter than 16 bytes.
    """
    web = _WebApp(
        engine,
        authenticate=authenticate,
        csrf_secret=csrf_secret,
        plan=plan,
        open_items=open_items,
        on_action=on_action,
        page_size=page_size,
        secure_cookies=secure_cookies,
    )
    g = web.guarded
    routes = [
        Route("/", g(web.status), name="status"),
        Route("/reviews", g(web.reviews), name="reviews"),
        Route("/reviews/{review_id}", g(web.review), name="review"),
        Route("/reviews/{review_id}", g(web.decide_review), methods=["POST"]),
        Route("/conflicts", g(web.conflicts), name="conflicts"),
        Route("/conflicts/{review_id}", g(web.conflict), name="conflict"),
        Route("/conflicts/{review_id}", g(web.decide_conflict), methods=["POST"]),
        Route("/errors", g(web.errors), name="errors"),
        Route("/errors/retry", g(web.retry), methods=["POST"]),
        Route("/plan", g(web.plan), name="plan"),
        Route("/plan.csv", g(web.plan_csv), name="plan_csv"),
        Route("/open-items", g(web.open_items), name="open_items"),
        Mount("/static", app=StaticFiles(packages=[("finlink.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders)
    return app
