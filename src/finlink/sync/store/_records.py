"""The records a state store hands back, and the canonical JSON they are stored as.

Every record is a frozen value: the store never hands out live rows, so a caller cannot
change stored state by mutating what it read. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from finlink._errors import SyncError

__all__ = [
    "ErrorEntry",
    "Intent",
    "Link",
    "OutboxEntry",
    "Review",
    "ReviewResolution",
    "Run",
    "StoreStatus",
    "canonical_json",
    "payload_hash",
]

#: The values of a per-field conflict decision (see :attr:`Review.choices`).
CHOICE_VALUES = ("crm", "accounting")


def _json_default(value: object) -> object:
    # Money must never go through float (cents would drift), so Decimal becomes its exact
    # string, as finlink.serialization writes it on every wire.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes in a stored payload must be timezone-aware")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, frozenset, set)):
        items = list(value)
        return sorted(items) if isinstance(value, (frozenset, set)) else items
    raise TypeError(f"cannot store a {type(value).__name__} in a JSON payload")


def canonical_json(payload: object) -> str:
    """Return the one canonical JSON text of ``payload``: sorted keys, no spaces, UTF-8.

    ``Decimal`` becomes its exact string, dates and aware datetimes ISO 8601 text, tuples
    lists and sets sorted lists. Two payloads that mean the same thing give the same text,
    so their :func:`payload_hash` is equal.

    Raises:
        TypeError: For a value JSON cannot hold (an object, bytes).
        ValueError: For NaN or infinity, or a naive datetime.
    """
    return json.dumps(
        payload,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def payload_hash(payload: object) -> str:
    """Return the SHA-256 hex digest of :func:`canonical_json` of ``payload``.

    Raises:
        TypeError: For a value JSON cannot hold.
        ValueError: For NaN, infinity or a naive datetime.
    """
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def utc(value: datetime) -> datetime:
    """Return ``value`` in UTC.

    Raises:
        ValueError: For a naive datetime: the store only keeps aware times.
    """
    if value.tzinfo is None:
        raise ValueError("the state store only takes timezone-aware datetimes")
    return value.astimezone(UTC)


@attrs.frozen(kw_only=True)
class Link:
    """One CRM record linked to one remote record in one administration.

    Attributes:
        administration: The administration (Exact division, SnelStart administratie).
        entity: The entity name (:class:`~finlink.backends.records.EntityKind`).
        crm_key: The host CRM's key of the record.
        remote_id: The vendor's key of the linked record.
        snapshot: The record as last synced (canonical JSON form: Decimals are strings), used
            for change detection and three-way merges; None when not known yet.
        snapshot_hash: SHA-256 of the canonical snapshot, None without a snapshot.
        remote_version: The vendor's row version or ETag seen at that sync, where it has one.
        synced_at: When the link was last written (UTC).
    """

    administration: str
    entity: str
    crm_key: str
    remote_id: str
    snapshot: dict[str, Any] | None
    snapshot_hash: str | None
    remote_version: str | None
    synced_at: datetime


@attrs.frozen(kw_only=True)
class Intent:
    """A write the engine is about to make, recorded before it goes out.

    After a crash, a timeout or an outcome-unknown error the engine looks the record up by
    :attr:`reference` before writing again, so a create never happens twice.

    Attributes:
        administration: The administration written to.
        entity: The entity name.
        crm_key: The host CRM's key of the record.
        reference: The deterministic reference the vendor stores with the record (a code,
            invoice number or your-ref), to probe by.
        operation: What is being done, e.g. ``"create"``.
        payload_hash: :func:`payload_hash` of the payload being written.
        created_at: When the first attempt was recorded.
        attempts: How many times the write was begun; more than 1 means an earlier attempt
            may have reached the vendor, so probe before writing.
    """

    administration: str
    entity: str
    crm_key: str
    reference: str
    operation: str
    payload_hash: str
    created_at: datetime
    attempts: int


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """A change waiting to be pushed: the latest payload of one CRM record.

    Attributes:
        entry_id: The entry's id; entries are claimed in id order.
        entity: The entity name.
        crm_key: The host CRM's key of the record.
        payload: The record's latest state (canonical JSON form).
        administrations: The administrations it goes to, sorted; None for every one the
            router picks.
        revision: 1 at first, plus one for every later change folded into this entry.
        enqueued_at: When the entry was made.
        updated_at: When its payload last changed.
        available_at: Not claimed before this time (backoff after a failure).
        attempts: How many times a worker released it after failing.
        last_error: What went wrong on the last attempt, in plain words.
        claimed_by: The worker holding the lease, None when unclaimed.
        lease_until: When that lease runs out; after it another worker may claim the entry.
    """

    entry_id: int
    entity: str
    crm_key: str
    payload: dict[str, Any]
    administrations: tuple[str, ...] | None
    revision: int
    enqueued_at: datetime
    updated_at: datetime
    available_at: datetime
    attempts: int
    last_error: str | None
    claimed_by: str | None
    lease_until: datetime | None


@attrs.frozen(kw_only=True)
class ErrorEntry:
    """Why one record failed to sync, in plain words, and how often.

    Attributes:
        administration: The administration the write was for.
        entity: The entity name.
        crm_key: The host CRM's key of the record.
        kind: The kind of failure, e.g. the error class name ``"RemoteValidationError"``.
        message: A sentence a bookkeeper can read.
        field_path: The field the failure is about (``contacts[1].email``), where known.
        rule: The rule broken (``max_length``), where known.
        vendor_code: The vendor's own code (SnelStart ``REL-0008``), where given.
        retriable: Whether trying again unchanged may succeed.
        attempts: How many times it failed in a row.
        first_seen: When it first failed.
        last_seen: When it last failed.
    """

    administration: str
    entity: str
    crm_key: str
    kind: str
    message: str
    field_path: str | None
    rule: str | None
    vendor_code: str | None
    retriable: bool
    attempts: int
    first_seen: datetime
    last_seen: datetime


class ReviewResolution(StrEnum):
    """How a person settled a review item."""

    #: Link the CRM record to an existing remote record (``remote_id`` says which).
    LINK = "link"
    #: Create a new remote record after all.
    CREATE = "create"
    #: Do nothing with this record.
    DISMISS = "dismiss"


@attrs.frozen(kw_only=True)
class Review:
    """A record the engine would not decide on alone (an ambiguous match, a conflict).

    Attributes:
        review_id: The item's id.
        administration: The administration concerned.
        entity: The entity name.
        crm_key: The host CRM's key of the record.
        reason: Why a person must look, in plain words.
        candidates: The remote records it might be, with scores and evidence.
        payload: The CRM record as it was when the item was raised.
        created_at: When the item was first raised.
        updated_at: When it was last raised or resolved.
        resolution: How it was settled, None while open.
        remote_id: The remote record chosen with :attr:`ReviewResolution.LINK`.
        resolved_at: When it was settled, None while open.
        choices: For a conflict settled field by field: field name to the side whose value
            is kept, ``"crm"`` or ``"accounting"`` (see
            :meth:`finlink.sync.SyncEngine.resolve_conflict`); None otherwise.
    """

    review_id: int
    administration: str
    entity: str
    crm_key: str
    reason: str
    candidates: tuple[dict[str, Any], ...]
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    resolution: ReviewResolution | None
    remote_id: str | None
    resolved_at: datetime | None
    choices: Mapping[str, str] | None = None

    @property
    def is_open(self) -> bool:
        """Whether the item still waits for a person."""
        return self.resolution is None


@attrs.frozen(kw_only=True)
class Run:
    """One finished sync run for one administration.

    Attributes:
        run_id: The run's id.
        administration: The administration synced.
        kind: What ran, e.g. ``"push"``, ``"pull"`` or ``"outbox"``.
        started_at: When it started.
        finished_at: When it finished.
        ok: Whether it finished without a failure that stopped it.
        counts: Figures about the run (``{"created": 3, "failed": 1}``).
    """

    run_id: int
    administration: str
    kind: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    counts: dict[str, int]


@attrs.frozen(kw_only=True)
class StoreStatus:
    """How one administration stands, for a dashboard or a health check.

    Attributes:
        administration: The administration.
        outbox_depth: Changes waiting to be pushed to it.
        failed: Records whose last attempt failed (in the error log).
        review_open: Items waiting for a person.
        pending_intents: Writes begun whose outcome is not recorded yet.
        last_successful_run: When the last successful run finished, None if never.
    """

    administration: str
    outbox_depth: int
    failed: int
    review_open: int
    pending_intents: int
    last_successful_run: datetime | None


def checked_choices(
    resolution: ReviewResolution, choices: Mapping[str, str] | None
) -> dict[str, str] | None:
    """Check a per-field conflict decision before a store keeps it; return it as a dict.

    Raises:
        SyncError: For choices with a resolution other than ``link`` (the record stays linked
            to the remote record whose fields are decided).
        ValueError: For no fields at all, or a value other than ``"crm"``/``"accounting"``
            (the message names the field).
    """
    if choices is None:
        return None
    if resolution is not ReviewResolution.LINK:
        raise SyncError(
            f"per-field choices only go with 'link' (the record stays linked), "
            f"not with {resolution.value!r}"
        )
    if not choices:
        raise ValueError("choices: a per-field decision needs at least one field")
    checked: dict[str, str] = {}
    for field, side in choices.items():
        if not isinstance(field, str) or not field:
            raise ValueError(f"choices: field name {field!r} must be a non-empty string")
        if side not in CHOICE_VALUES:
            raise ValueError(
                f"choices[{field!r}]: must be one of {', '.join(CHOICE_VALUES)}, not {side!r}"
            )
        checked[field] = side
    return checked


def check_page(after: object, limit: int | None, *, keyset_size: int = 0) -> None:
    """Check the paging arguments of ``reviews()``/``errors()`` before a store runs a query.

    Raises:
        ValueError: For a ``limit`` below 1, or an ``after`` keyset of the wrong shape.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit: must be a whole number of at least 1, not {limit!r}")
    if after is None:
        return
    if keyset_size == 0:
        if isinstance(after, bool) or not isinstance(after, int):
            raise ValueError(f"after: must be a review_id (a whole number), not {after!r}")
        return
    if (
        not isinstance(after, tuple)
        or len(after) != keyset_size
        or not all(isinstance(part, str) for part in after)
    ):
        raise ValueError(
            f"after: must be the (administration, entity, crm_key) of the last entry shown, "
            f"not {after!r}"
        )


def checked_kinds(kinds: object) -> tuple[str, ...] | None:
    """Check the ``kinds`` filter of ``errors()``; return it as a tuple (None: no filter).

    Raises:
        ValueError: For a single string (``"AuthenticationError"`` would be read as its
            letters) or a collection holding anything but strings.
    """
    if kinds is None:
        return None
    if isinstance(kinds, str | bytes) or not isinstance(kinds, Collection):
        raise ValueError(
            f"kinds: must be a collection of error kinds, e.g. ('AuthenticationError',), "
            f"not {kinds!r}"
        )
    found = tuple(kinds)
    if not all(isinstance(kind, str) for kind in found):
        raise ValueError(f"kinds: every error kind must be a string, not {found!r}")
    return found
