"""The Exact entities the sandbox serves, and the endpoint table that routes to them."""

from __future__ import annotations

import attrs

from finlink.testing.exact.entities.base import EntitySpec
from finlink.testing.exact.entities.crm import ACCOUNTS, BANK_ACCOUNTS, CONTACTS
from finlink.testing.exact.entities.documents import DOCUMENT_ATTACHMENTS, DOCUMENTS
from finlink.testing.exact.entities.entries import PURCHASE, SALES, TRANSACTION_LINES
from finlink.testing.exact.entities.ledger import COSTCENTERS, GL_ACCOUNTS, JOURNALS, VAT_CODES
from finlink.testing.exact.entities.open_items import PAYABLES, RECEIVABLES
from finlink.testing.exact.entities.system import DELETED, DIVISIONS, WEBHOOK_SUBSCRIPTIONS

__all__ = ["ENDPOINTS", "ENTITIES", "Endpoint"]


@attrs.frozen(kw_only=True)
class Endpoint:
    """A URL path after the division and what it serves.

    Attributes:
        spec: The entity.
        mode: ``entity`` (CRUD), ``bulk`` or ``sync`` (GET, 1,000 rows per page), ``view``
            (computed read-only rows), ``deleted`` or ``divisions``.
    """

    spec: EntitySpec
    mode: str = "entity"


ENTITIES: tuple[EntitySpec, ...] = (
    ACCOUNTS,
    CONTACTS,
    BANK_ACCOUNTS,
    GL_ACCOUNTS,
    VAT_CODES,
    JOURNALS,
    COSTCENTERS,
    SALES.header,
    SALES.lines,
    PURCHASE.header,
    PURCHASE.lines,
    TRANSACTION_LINES,
    DOCUMENTS,
    DOCUMENT_ATTACHMENTS,
    WEBHOOK_SUBSCRIPTIONS,
)

_SYNC = {
    "sync/CRM/Accounts": ACCOUNTS,
    "sync/CRM/Contacts": CONTACTS,
    "sync/Financial/GLAccounts": GL_ACCOUNTS,
    "sync/Financial/TransactionLines": TRANSACTION_LINES,
    "sync/Documents/Documents": DOCUMENTS,
    "sync/Documents/DocumentAttachments": DOCUMENT_ATTACHMENTS,
}
_BULK = {
    "bulk/CRM/Accounts": ACCOUNTS,
    "bulk/CRM/Contacts": CONTACTS,
    "bulk/Financial/TransactionLines": TRANSACTION_LINES,
    "bulk/Documents/Documents": DOCUMENTS,
    "bulk/Documents/DocumentAttachments": DOCUMENT_ATTACHMENTS,
}

#: Endpoints by lower-cased path (Exact's service names are case-insensitive).
ENDPOINTS: dict[str, Endpoint] = {
    **{spec.path.lower(): Endpoint(spec=spec) for spec in ENTITIES},
    **{path.lower(): Endpoint(spec=spec, mode="sync") for path, spec in _SYNC.items()},
    **{path.lower(): Endpoint(spec=spec, mode="bulk") for path, spec in _BULK.items()},
    RECEIVABLES.path.lower(): Endpoint(spec=RECEIVABLES, mode="view"),
    PAYABLES.path.lower(): Endpoint(spec=PAYABLES, mode="view"),
    DELETED.path.lower(): Endpoint(spec=DELETED, mode="deleted"),
    DIVISIONS.path.lower(): Endpoint(spec=DIVISIONS, mode="divisions"),
}
