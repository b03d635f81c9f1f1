"""Batched intents and outcomes: many records' bookkeeping in one store call.

A store may implement :class:`BatchWrites` and :class:`BatchReads` (both stores finlink ships
do) so the engine makes a whole chunk's create intents durable, reads their links, and records
a chunk's outcomes, in a handful of statements instead of several per record. A store without
these methods still works: the functions :func:`begin_intents`, :func:`get_links` and
:func:`record_outcomes` fall back to one call per record, with the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from finlink._errors import StoreUnavailableError, SyncError
from finlink.sync.store._protocol import StateStore
from finlink.sync.store._records import Intent, Link, Review

__all__ = [
    "BatchReads",
    "BatchWrites",
    "IntentRequest",
    "OutcomeRequest",
    "ReviewReads",
    "begin_intents",
    "get_links",
    "record_outcomes",
]


@attrs.frozen(kw_only=True)
class IntentRequest:
    """One intent to begin, as :meth:`StateStore.begin_intent` takes it.

    Attributes:
        administration: The administration the write goes to.
        entity: The link entity (``relation``, ``contact``...).
        crm_key: The CRM record's key.
        reference: The reference the vendor stores, probed for after a crash.
        operation: What the write is (``create``).
        payload_hash: A digest of what is about to be sent.
    """

    administration: str
    entity: str
    crm_key: str
    reference: str
    operation: str
    payload_hash: str


@attrs.frozen(kw_only=True)
class OutcomeRequest:
    """One successful write to record, as :meth:`StateStore.record_outcome` takes it.

    Attributes:
        administration: The administration written to.
        entity: The link entity.
        crm_key: The CRM record's key.
        remote_id: The remote record's id.
        snapshot: The last-synced snapshot (JSON values), or None.
        remote_version: The remote version or modified stamp, if the vendor gives one.
    """

    administration: str
    entity: str
    crm_key: str
    remote_id: str
    snapshot: dict[str, Any] | None
    remote_version: str | None = None


@runtime_checkable
class BatchWrites(Protocol):
    """What a store offers to write many records' bookkeeping at once (optional).

    Both methods behave exactly like the per-record calls made in order inside one
    transaction; they only cost fewer statements.
    """

    def begin_intents(self, requests: Sequence[IntentRequest]) -> list[Intent | SyncError]:
        """Begin every intent in ``requests``, in order, in one transaction.

        Each one behaves as :meth:`StateStore.begin_intent` would at its turn (a request
        sees the ones before it). Returns, in the same order, the intent or the
        :class:`~finlink.SyncError` that refused it; a refused one writes nothing and does
        not undo the others.

        Raises:
            SyncError: If the store itself fails (then nothing is written).
        """
        ...

    def record_outcomes(self, outcomes: Sequence[OutcomeRequest]) -> None:
        """Record every outcome in ``outcomes``, in order, in one transaction: all or none.

        Each one writes what :meth:`StateStore.record_outcome` writes (link and snapshot,
        intent and error-log entry cleared); no outbox entry is acknowledged.

        Raises:
            SyncError: If a ``remote_id`` is linked to another CRM record by then (nothing
                of the batch is written), or the store fails.
        """
        ...


@runtime_checkable
class BatchReads(Protocol):
    """What a store offers to read many records' links at once (optional)."""

    def get_links(
        self, administration: str, entity: str, crm_keys: Sequence[str]
    ) -> dict[str, Link]:
        """The links of ``crm_keys`` in one administration and entity, by CRM key.

        A key without a link is absent from the result. The same as one
        :meth:`StateStore.get_link` per key, at one moment.

        Raises:
            SyncError: If the store fails.
        """
        ...


@runtime_checkable
class ReviewReads(Protocol):
    """What a store offers to read one record's latest review item (optional).

    Without it the engine reads an administration's whole review history (settled items too)
    once per run; with it, a run that looks at few records (a worker handling one outbox
    entry, a retry) reads only their items, however long the history has grown.
    """

    def latest_review(self, administration: str, entity: str, crm_key: str) -> Review | None:
        """The record's latest review item (open or settled, highest ``review_id``), or None.

        The same as the last item of that record in
        ``reviews(administration, open_only=False)``.

        Raises:
            SyncError: If the store fails.
        """
        ...


def get_links(
    store: StateStore, administration: str, entity: str, crm_keys: Sequence[str]
) -> dict[str, Link]:
    """The links of many records: the store's batch read, or one ``get_link`` each.

    See :meth:`BatchReads.get_links`.

    Raises:
        SyncError: If the store fails.
    """
    if not crm_keys:
        return {}
    if isinstance(store, BatchReads):
        return store.get_links(administration, entity, crm_keys)
    found: dict[str, Link] = {}
    for crm_key in crm_keys:
        link = store.get_link(administration, entity, crm_key)
        if link is not None:
            found[crm_key] = link
    return found


def begin_intents(store: StateStore, requests: Sequence[IntentRequest]) -> list[Intent | SyncError]:
    """Begin many intents in one transaction: the store's batch, or one call each.

    See :meth:`BatchWrites.begin_intents`. A store without the method gets one
    :meth:`~StateStore.begin_intent` per request, each in a nested transaction so that a
    refused one undoes only itself.

    Raises:
        SyncError: If the store fails (``StoreUnavailableError`` when it went away).
    """
    if not requests:
        return []
    if isinstance(store, BatchWrites):
        return store.begin_intents(requests)
    results: list[Intent | SyncError] = []
    with store.transaction():
        for request in requests:
            try:
                with store.transaction():
                    results.append(
                        store.begin_intent(
                            request.administration,
                            request.entity,
                            request.crm_key,
                            reference=request.reference,
                            operation=request.operation,
                            payload_hash=request.payload_hash,
                        )
                    )
            except StoreUnavailableError:
                raise
            except SyncError as refused:
                results.append(refused)
    return results


def record_outcomes(store: StateStore, outcomes: Sequence[OutcomeRequest]) -> None:
    """Record many outcomes in one transaction, all or none: the store's batch, or one each.

    See :meth:`BatchWrites.record_outcomes`.

    Raises:
        SyncError: If one is refused (nothing is written then) or the store fails.
    """
    if not outcomes:
        return
    if isinstance(store, BatchWrites):
        store.record_outcomes(outcomes)
        return
    with store.transaction():
        for outcome in outcomes:
            store.record_outcome(
                outcome.administration,
                outcome.entity,
                outcome.crm_key,
                remote_id=outcome.remote_id,
                snapshot=outcome.snapshot,
                remote_version=outcome.remote_version,
            )
