"""The state store: everything the sync engine remembers between runs and across crashes.

A :class:`StateStore` holds, per administration and entity, the *links* between CRM keys
and remote ids with the last-synced *snapshot* of each linked record (for change detection
and three-way merges); the *intents* that make writes exactly-once (recorded before a create,
probed by reference after a crash); the *cursors* of incremental reads; the durable
*outbox* of changes waiting to be pushed; the *error log* of records that failed, in plain
words; the *review queue* of records a person must decide on; and the *runs*.

:class:`SQLiteStore` is the embedded default. :class:`PostgresStore` (``pip install
'finlink[postgres]'``) keeps the same state in PostgreSQL, per tenant, for several workers on
several machines; it is imported on first use, so this package needs no psycopg. Any store
implements the same protocol and proves it with
:class:`finlink.testing.store_contract.StateStoreContract`.
"""

from typing import TYPE_CHECKING

from finlink.sync.store._batches import (
    BatchReads,
    BatchWrites,
    IntentRequest,
    OutcomeRequest,
    ReviewReads,
    begin_intents,
    get_links,
    record_outcomes,
)
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

if TYPE_CHECKING:
    # For type checkers only; at run time __getattr__ below imports it on first use.
    from finlink.sync.store.postgres import PostgresStore as PostgresStore

__all__ = [
    "BatchReads",
    "BatchWrites",
    "ErrorEntry",
    "FailureReport",
    "Intent",
    "IntentRequest",
    "Link",
    "OutboxEntry",
    "OutcomeRequest",
    "Review",
    "ReviewReads",
    "ReviewResolution",
    "Run",
    "SQLiteStore",
    "StateStore",
    "StoreStatus",
    "begin_intents",
    "canonical_json",
    "describe_failure",
    "get_links",
    "payload_hash",
    "record_outcomes",
]


def __getattr__(name: str) -> object:
    """Import :class:`PostgresStore` on first use, saying what to install if psycopg is absent.

    Raises:
        ConfigurationError: For ``PostgresStore`` without the ``postgres`` extra installed.
        AttributeError: For any other unknown name.
    """
    if name != "PostgresStore":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        from finlink.sync.store.postgres import PostgresStore  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if exc.name not in ("psycopg", "psycopg_pool"):
            raise
        from finlink._errors import ConfigurationError  # noqa: PLC0415

        raise ConfigurationError(
            f"PostgresStore needs {exc.name}, which is not installed: "
            "pip install 'finlink[postgres]'"
        ) from exc
    return PostgresStore
