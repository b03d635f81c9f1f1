"""The SQLite store's review-queue and run statements, run inside a transaction it opened."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from finlink._errors import SyncError
from finlink.sync.store import _sqlite_rows as rows
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


def fetch_review(conn: sqlite3.Connection, review_id: int) -> Review | None:
    """Return one review item, or None."""
    row = conn.execute("SELECT * FROM reviews WHERE review_id = ?", (review_id,)).fetchone()
    return None if row is None else rows.review(row)


def latest_review(conn: sqlite3.Connection, key: tuple[str, str, str]) -> Review | None:
    """Return one record's latest review item (open or settled), or None."""
    row = conn.execute(
        "SELECT * FROM reviews INDEXED BY reviews_per_record WHERE administration = ? "
        "AND entity = ? AND crm_key = ? ORDER BY review_id DESC LIMIT 1",
        key,
    ).fetchone()
    return None if row is None else rows.review(row)


def add_review(
    conn: sqlite3.Connection,
    now: str,
    key: tuple[str, str, str],
    *,
    reason: str,
    candidates: str,
    payload: str,
) -> Review:
    """Insert the record's open item, or update it when there is one."""
    row = conn.execute(
        "SELECT review_id FROM reviews WHERE administration = ? AND entity = ? "
        "AND crm_key = ? AND resolution IS NULL",
        key,
    ).fetchone()
    if row is not None:
        review_id = int(row["review_id"])
        conn.execute(
            "UPDATE reviews SET reason = ?, candidates = ?, payload = ?, updated_at = ? "
            "WHERE review_id = ?",
            (reason, candidates, payload, now, review_id),
        )
    else:
        cursor = conn.execute(
            "INSERT INTO reviews (administration, entity, crm_key, reason, candidates, "
            "payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, reason, candidates, payload, now, now),
        )
        assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
        review_id = cursor.lastrowid
    review = fetch_review(conn, review_id)
    assert review is not None  # written in this transaction
    return review


def resolve_review(
    conn: sqlite3.Connection,
    now: str,
    review_id: int,
    resolution: ReviewResolution,
    remote_id: str | None,
    *,
    choices: Mapping[str, str] | None = None,
) -> Review:
    """Settle an open item (``choices`` already checked by the caller)."""
    if resolution is ReviewResolution.LINK and not remote_id:
        raise SyncError("resolving a review with 'link' needs the remote_id to link to")
    if resolution is not ReviewResolution.LINK and remote_id is not None:
        raise SyncError(f"a remote_id only goes with 'link', not with {resolution.value!r}")
    review = fetch_review(conn, review_id)
    if review is None:
        raise SyncError(f"there is no review item {review_id}")
    if not review.is_open:
        raise SyncError(
            f"review item {review_id} was already resolved ({review.resolution}); "
            "raise a new one if the record needs another look"
        )
    conn.execute(
        "UPDATE reviews SET resolution = ?, remote_id = ?, resolved_at = ?, updated_at = ?, "
        "choices = ? WHERE review_id = ?",
        (
            resolution.value,
            remote_id,
            now,
            now,
            None if choices is None else canonical_json(dict(choices)),
            review_id,
        ),
    )
    settled = fetch_review(conn, review_id)
    assert settled is not None  # read just above in this transaction
    return settled


def page_sql(*, administration: bool, open_only: bool, after: bool, limit: bool) -> str:
    """The statement of one page of reviews, for these filters (values go as parameters).

    Built from fixed fragments, never from the values, so each case is a plain range over
    one of the paging indexes; a ``(? IS NULL OR ...)`` filter would keep SQLite from using
    them. Parameters in order: administration, after, limit (those given).
    """
    clauses = []
    if administration:
        clauses.append("administration = ?")
    if open_only:
        clauses.append("resolution IS NULL")
    if after:
        clauses.append("review_id > ?")
    # The index is named, not left to the planner: without statistics it may take the
    # administration's full index for open items and read past every settled one.
    if administration:
        index = "reviews_open_by_administration" if open_only else "reviews_by_administration"
    else:
        index = "reviews_open" if open_only else ""
    hint = f" INDEXED BY {index}" if index else ""
    sql = f"SELECT * FROM reviews{hint}"  # noqa: S608 (fixed fragments; values are parameters)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY review_id"
    if limit:
        sql += " LIMIT ?"
    return sql


def list_reviews(
    conn: sqlite3.Connection,
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
    params = [p for p in (administration, after, limit) if p is not None]
    return [rows.review(row) for row in conn.execute(sql, params)]


def record_run(
    conn: sqlite3.Connection,
    administration: str,
    kind: str,
    *,
    started_at: str,
    finished_at: str,
    ok: bool,
    counts: str,
) -> Run:
    """Insert a finished run."""
    cursor = conn.execute(
        "INSERT INTO runs (administration, kind, started_at, finished_at, ok, counts) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (administration, kind, started_at, finished_at, int(ok), counts),
    )
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (cursor.lastrowid,)).fetchone()
    return rows.run(row)


def last_run(
    conn: sqlite3.Connection, administration: str, kind: str | None, ok: bool | None
) -> Run | None:
    """Return the latest-finished matching run, or None."""
    row = conn.execute(
        "SELECT * FROM runs WHERE administration = ? AND (? IS NULL OR kind = ?) "
        "AND (? IS NULL OR ok = ?) ORDER BY finished_at DESC, run_id DESC LIMIT 1",
        (
            administration,
            kind,
            kind,
            None if ok is None else int(ok),
            None if ok is None else int(ok),
        ),
    ).fetchone()
    return None if row is None else rows.run(row)
