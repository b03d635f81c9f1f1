"""The state store: everything the sync engine remembers between runs and across crashes.

A :class:`StateStore` holds, per administration and entity, the *links* between CRM keys
and remote ids with the last-synced *snapshot* of each linked record (for change detection
and three-way merges); the *intents* that make writes exactly-once (recorded before a create,
probed by reference after a crash); the *cursors* of incremental reads; the durable
*outbox* of changes waiting to be pushed; the *error log* of records that failed, in plain
words; the *review queue* of records a person must decide on; and the *runs*.

:class:`SQLiteStore` is the embedded default. Any other store (PostgreSQL for several
workers) implements the same protocol and proves it with
:class:`finlink.testing.store_contract.StateStoreContract`.
"""

from finlink.sync.store._failures import FailureReport, describe_failure
from finlink.sync.store._protocol import StateStore
from finlink.sync.store._records import (
    ErrorEntry,
    Intent,
    Link,
    OutboxEntry,
    Review,
    ReviewResolution,
    Run,
    StoreStatus,
    canonical_json,
    payload_hash,
)
from finlink.sync.store.sqlite import SQLiteStore

__all__ = [
    "ErrorEntry",
    "FailureReport",
    "Intent",
    "Link",
    "OutboxEntry",
    "Review",
    "ReviewResolution",
    "Run",
    "SQLiteStore",
    "StateStore",
    "StoreStatus",
    "canonical_json",
    "describe_failure",
    "payload_hash",
]
