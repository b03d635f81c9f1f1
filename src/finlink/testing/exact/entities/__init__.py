"""The Exact entities the sandbox serves, and the endpoint table that routes to them."""

from __future__ import annotations

import attrs

from finlink.testing.exact.entities.base import EntitySpec, FieldSpec, with_reference_properties
from finlink.testing.exact.entities.crm import ACCOUNTS, BANK_ACCOUNTS, CONTACTS
from finlink.testing.exact.entities.documents import DOCUMENT_ATTACHMENTS, DOCUMENTS
from finlink.testing.exact.entities.entries import PURCHASE, SALES, TRANSACTION_LINES
from finlink.testing.exact.entities.ledger import COSTCENTERS, GL_ACCOUNTS, JOURNALS, VAT_CODES
from finlink.testing.exact.entities.open_items import PAYABLES, RECEIVABLES
from finlink.testing.exact.entities.system import (
    DELETED,
    DIVISIONS,
    HRM_DIVISIONS_PATH,
    WEBHOOK_SUBSCRIPTIONS,
)

__all__ = ["ENDPOINTS", "ENTITIES", "Endpoint"]


@attrs.frozen(kw_only=True)
class Endpoint:
    """A URL path after the division and what it serves.

    Attributes:
        spec: The entity.
        mode: ``entity`` (CRUD), ``bulk`` or ``sync`` (GET, 1,000 rows per page), ``view``
            (computed read-only rows), ``deleted`` or ``divisions``.
        path: The path Exact's reference lists the properties under (default: the
            entity's; ``hrm/Divisions`` takes ``system/Divisions``'s).
        fields: The properties this path accepts: the entity's, plus what Exact's reference
            lists for the path itself (a ``sync/`` endpoint adds ``Timestamp``).
    """

    spec: EntitySpec
    mode: str = "entity"
    path: str = attrs.field(default=attrs.Factory(lambda self: self.spec.path, takes_self=True))
    fields: tuple[FieldSpec, ...] = attrs.field(init=False)

    @fields.default
    def _fields(self) -> tuple[FieldSpec, ...]:
        # The simulated fields, plus what the reference lists for this very path (a sync
        # endpoint's list differs a little from its entity's).
        simulated = tuple(field for field in self.spec.fields if field.simulated)
        fields = with_reference_properties(self.path, simulated)
        if self.mode == "sync" and not any(field.name == "Timestamp" for field in fields):
            # The rowversion every sync endpoint is keyed and filtered by (§4.7).
            fields += (FieldSpec(name="Timestamp", kind="int64", writable=False),)
        return fields

    @property
    def field_map(self) -> dict[str, FieldSpec]:
        """The accepted properties by name."""
        return {field.name: field for field in self.fields}


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
    **{path.lower(): Endpoint(spec=spec, mode="sync", path=path) for path, spec in _SYNC.items()},
    # bulk/ endpoints serve their entity's properties (the reference subset lacks them).
    **{path.lower(): Endpoint(spec=spec, mode="bulk") for path, spec in _BULK.items()},
    RECEIVABLES.path.lower(): Endpoint(spec=RECEIVABLES, mode="view"),
    PAYABLES.path.lower(): Endpoint(spec=PAYABLES, mode="view"),
    DELETED.path.lower(): Endpoint(spec=DELETED, mode="deleted"),
    DIVISIONS.path.lower(): Endpoint(spec=DIVISIONS, mode="divisions"),
    # The older divisions endpoint (§2): served like system/Divisions, unless switched to 404.
    HRM_DIVISIONS_PATH.lower(): Endpoint(spec=DIVISIONS, mode="divisions", path="system/Divisions"),
}
