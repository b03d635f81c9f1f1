"""Incremental-read cursors over ``ModifiedOn``, with an overlap window and de-duplication.

SnelStart marks changes with ``modifiedOn`` (no ETags, no change feed, §4) and reads changes
with ``$filter=ModifiedOn gt datetime'…'`` (P-ODATA). Three things can lose or repeat a change
on the boundary, so the cursor guards against each:

- a record stamped just before the last read may commit after it (stamps are taken when a
  write starts): the next read asks from ``newest stamp - overlap`` with ``ge``, not ``gt``;
- records with the *same* stamp as the newest one seen would be skipped by ``gt``;
- the overlap re-reads records already reported: the cursor keeps a fingerprint (id + content)
  of each record inside the overlap window and drops those it has seen unchanged, so a record is
  reported again only when it really changed (even within the same second).

The stamps are SnelStart's own (never our clock), so clock skew between us and SnelStart does
not matter. A cursor is opaque text (URL-safe Base64 of a small JSON object).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from finlink._errors import Problem, ValidationError
from finlink.backends.snelstart.wire import parse_datetime

__all__ = ["Cursor", "advance", "fingerprint"]


def fingerprint(record: Mapping[str, Any]) -> str:
    """A short hash of a record's id and content."""
    text = json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@attrs.frozen(kw_only=True)
class Cursor:
    """Where the last read ended, per stream (``relaties``, ``verkoop``, ``inkoop``...).

    Attributes:
        since: Per stream, the newest ``modifiedOn`` seen (SnelStart's naive stamp).
        seen: Fingerprints of the records inside the overlap window before ``since``.
    """

    since: Mapping[str, datetime | None]
    seen: frozenset[str] = frozenset()

    def encode(self) -> str:
        """The cursor as opaque text."""
        body = {
            "v": 1,
            "since": {k: (v.isoformat() if v else None) for k, v in sorted(self.since.items())},
            "seen": sorted(self.seen),
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Read a cursor made by :meth:`encode`.

        Raises:
            ValidationError: The text is not such a cursor.
        """
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            body = json.loads(raw)
            since = {str(k): parse_datetime(v) for k, v in body["since"].items()}
            return cls(since=since, seen=frozenset(str(s) for s in body.get("seen", ())))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValidationError(
                [Problem(path="cursor", rule="cursor", message="not a SnelStart cursor of finlink")]
            ) from exc

    def lower_bound(self, stream: str, overlap: timedelta) -> datetime | None:
        """The stamp to read ``stream`` from (``ge``): the newest seen minus the overlap."""
        newest = self.since.get(stream)
        return None if newest is None else newest - overlap

    def is_new(self, record: Mapping[str, Any]) -> bool:
        """False for a record this cursor has already reported unchanged."""
        return fingerprint(record) not in self.seen


def advance(
    previous: Cursor | None,
    batches: Mapping[str, Iterable[Mapping[str, Any]]],
    overlap: timedelta,
    read_start: datetime | None = None,
) -> Cursor:
    """The cursor after a read, from every record it *fetched* per stream (reported or not).

    Every record inside the overlap window is fetched again by the next read, so the
    fingerprints of this read's window are all the next one needs: older ones drop out.

    ``read_start`` is when the read began, on SnelStart's (naive) time: a stream's mark moves
    at least to ``read_start - overlap``, so an administration that has not changed for a
    while is re-read in one short call instead of re-fetching its last busy minute forever.
    Taking our clock for SnelStart's is safe while ours is not ahead by more than the overlap
    (twice it, counting the overlap of the next read).
    """
    since: dict[str, datetime | None] = dict(previous.since) if previous else {}
    if read_start is not None:
        for stream in batches:
            floor = read_start - overlap
            current = since.get(stream)
            since[stream] = floor if current is None or current < floor else current
    stamped: list[tuple[str, datetime, str]] = []
    for stream, records in batches.items():
        for record in records:
            stamp = parse_datetime(record.get("modifiedOn"))
            if stamp is None:
                continue
            newest = since.get(stream)
            if newest is None or stamp > newest:
                since[stream] = stamp
            stamped.append((stream, stamp, fingerprint(record)))
    seen = set()
    for stream, stamp, print_ in stamped:
        newest = since.get(stream)
        if newest is not None and stamp >= newest - overlap:
            seen.add(print_)
    return Cursor(since=since, seen=frozenset(seen))
