"""The PostgreSQL store's review-queue and run statements, run inside a transaction it opened."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from finlink._errors import SyncError
from finlink.sync.store import _postgres_rows as rows
from finlink.sync.store._postgres_connection import Conn
from finlink.sync.store._postgres_lookups import Key
from finlink.sync.store._records import Review, ReviewResolution, Run, canonical_json

__all__ = [
    "add_review",
    "fetch_review",
    "last_run",
    "latest_review",
    "list_reviews",
    "page_sql",
    "record_run",
    "resolve_review",
]


def fetch_review(
    conn: Conn, namespace: str, review_id: int, *, lock: bool = False
) -> Review | None:
    """Return one review item of ``namespace``, or None (``lock``: hold its row lock)."""
    if lock:
        row = conn.execute(
            "SELECT * FROM finlink_reviews WHERE namespace = %s AND review_id = %s FOR UPDATE",
            (namespace, review_id),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT * FROM finlink_reviews WHERE namespace = %s AND review_id = %s",
            (namespace, review_id),
        ).fetchone()
    return None if row is None else rows.review(row)


def latest_review(conn: Conn, key: Key) -> Review | None:
    """Return one record's latest review item (open or settled), or None."""
    row = conn.execute(
        "SELECT * FROM finlink_reviews WHERE namespace = %s AND administration = %s "
        "AND entity = %s AND crm_key = %s ORDER BY review_id DESC LIMIT 1",
        key,
    ).fetchone()
    return None if row is None else rows.review(row)


def add_review(
    conn: Conn,
    now: datetime,
    key: Key,
    *,
    reason: str,
    candidates: str,
    payload: str,
) -> Review:
    """Insert the record's open item, or update it when there is one."""
    # The partial unique index (one open item per record) is the conflict target, so two
    # workers raising the same item at once end with one item, not an error.
    written = conn.execute(
        "INSERT INTO finlink_reviews (namespace, administration, entity, crm_key, reason, "
        "candidates, payload, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s) "
        "ON CONFLICT (namespace, administration, entity, crm_key) WHERE resolution IS NULL "
        "DO UPDATE SET reason = excluded.reason, candidates = excluded.candidates, "
        "payload = excluded.payload, updated_at = excluded.updated_at RETURNING *",
        (*key, reason, candidates, payload, now, now),
    ).fetchone()
    assert written is not None  # RETURNING of the row just written
    return rows.review(written)


def resolve_review(
    conn: Conn,
    namespace: str,
    now: datetime,
    review_id: int,
    *,
    resolution: ReviewResolution,
    remote_id: str | None,
    choices: Mapping[str, str] | None = None,
) -> Review:
    """Settle an open item (``choices`` already checked by the caller)."""
    if resolution is ReviewResolution.LINK and not remote_id:
        raise SyncError("resolving a review with 'link' needs the remote_id to link to")
    if resolution is not ReviewResolution.LINK and remote_id is not None:
        raise SyncError(f"a remote_id only goes with 'link', not with {resolution.value!r}")
    review = fetch_review(conn, namespace, review_id, lock=True)
    if review is None:
        raise SyncError(f"there is no review item {review_id}")
    if not review.is_open:
        raise SyncError(
            f"review item {review_id} was already resolved ({review.resolution}); "
            "raise a new one if the record needs another look"
        )
    settled = conn.execute(
        "UPDATE finlink_reviews SET resolution = %s, remote_id = %s, resolved_at = %s, "
        "updated_at = %s, choices = %s::jsonb WHERE review_id = %s RETURNING *",
        (
            resolution.value,
            remote_id,
            now,
            now,
            None if choices is None else canonical_json(dict(choices)),
            review_id,
        ),
    ).fetchone()
    assert settled is not None  # locked just above in this transaction
    return rows.review(settled)


def page_sql(*, administration: bool, open_only: bool, after: bool, limit: bool) -> str:
    """The statement of one page of a tenant's reviews, for these filters.

    Built from fixed fragments (the values go as parameters: namespace, administration,
    after, limit, those given) so each case is a plain range over one of the paging indexes,
    which a ``(%s IS NULL OR ...)`` filter would hide.
    """
    clauses = ["namespace = %s"]
    if administration:
        clauses.append("administration = %s")
    if open_only:
        clauses.append("resolution IS NULL")
    if after:
        clauses.append("review_id > %s")
    where = " AND ".join(clauses)
    sql = f"SELECT * FROM finlink_reviews WHERE {where} ORDER BY review_id"  # noqa: S608
    return sql + " LIMIT %s" if limit else sql


def list_reviews(
    conn: Conn,
    namespace: str,
    administration: str | None,
    open_only: bool,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[Review]:
    """Return review items by review_id, a page at a time."""
    sql = page_sql(
        administration=administration is not None,
        open_only=open_only,
        after=after is not None,
        limit=limit is not None,
    )
    params = [p for p in (namespace, administration, after, limit) if p is not None]
    return [rows.review(row) for row in conn.execute(sql.encode(), params)]


def record_run(
    conn: Conn,
    namespace: str,
    administration: str,
    kind: str,
    *,
    started_at: datetime,
    finished_at: datetime,
    ok: bool,
    counts: str,
) -> Run:
    """Insert a finished run."""
    row = conn.execute(
        "INSERT INTO finlink_runs (namespace, administration, kind, started_at, finished_at, "
        "ok, counts) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb) RETURNING *",
        (namespace, administration, kind, started_at, finished_at, ok, counts),
    ).fetchone()
    assert row is not None  # RETURNING of the row just written
    return rows.run(row)


def last_run(
    conn: Conn, namespace: str, administration: str, kind: str | None, ok: bool | None
) -> Run | None:
    """Return the latest-finished matching run, or None."""
    row = conn.execute(
        "SELECT * FROM finlink_runs WHERE namespace = %s AND administration = %s "
        "AND (%s::text IS NULL OR kind = %s) AND (%s::boolean IS NULL OR ok = %s) "
        "ORDER BY finished_at DESC, run_id DESC LIMIT 1",
        (namespace, administration, kind, kind, ok, ok),
    ).fetchone()
    return None if row is None else rows.run(row)
