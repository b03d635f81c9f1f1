"""The seam between the sync engine and every accounting system.

- :class:`Backend`: the protocol, one instance per administration;
- :class:`Capabilities`: what a backend can do, told truthfully;
- :func:`load_backend`: create a backend by its entry-point name;
- the typed records that cross the seam: :class:`RemoteRecord`, :class:`ChangeSet`,
  :class:`LookupKeys` (alias ``RelationKeys``) and the reference data.
"""

from finlink.backends.capabilities import Capabilities, Feature, RateLimit
from finlink.backends.protocol import Backend, ChangeSet, LookupKeys, RelationKeys
from finlink.backends.records import EntityKind, RemoteRecord
from finlink.backends.reference import (
    Country,
    Journal,
    JournalKind,
    LedgerAccount,
    ReferenceData,
    VatCode,
)
from finlink.backends.registry import ENTRY_POINT_GROUP, available_backends, load_backend

__all__ = [
    "ENTRY_POINT_GROUP",
    "Backend",
    "Capabilities",
    "ChangeSet",
    "Country",
    "EntityKind",
    "Feature",
    "Journal",
    "JournalKind",
    "LedgerAccount",
    "LookupKeys",
    "RateLimit",
    "ReferenceData",
    "RelationKeys",
    "RemoteRecord",
    "VatCode",
    "available_backends",
    "load_backend",
]
