"""What a host may configure per Exact division, beyond credentials."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

import attrs

from finlink.model.enums import VatCategory

__all__ = ["ExactSettings"]


def _frozen(value: Mapping[VatCategory, str]) -> Mapping[VatCategory, str]:
    return MappingProxyType({VatCategory(key): str(code) for key, code in value.items()})


@attrs.frozen(kw_only=True)
class ExactSettings:
    """Per-division choices of an :class:`~finlink.backends.exact.ExactBackend`.

    Attributes:
        sales_journal: The journal code sales entries go to; default: the division's first
            open sales journal (type 20, reference §5.1).
        purchase_journal: The same for purchase entries (type 22).
        vat_codes: VAT category → the division's VAT code, overriding finlink's mapping
            (read from ``vat/VATCodes``, see :mod:`finlink.backends.exact.ledger`).
        sales_document_type: ``documents/Documents.Type`` for a sales invoice PDF (10 in
            picqer#178; the meaning of the numbers is UNVERIFIED, §5.1: check
            ``documents/DocumentTypes`` of your division).
        purchase_document_type: The same for a purchase invoice PDF.
        client_keys: Send a deterministic ``EntryID`` (and document ``ID``) derived from the
            reference, so Exact itself refuses a second entry with the same reference. Exact
            lists key fields under POST, but whether it honours them is UNVERIFIED (§9 item 1);
            switch off if your division refuses them: the engine's reference probe still
            prevents duplicates.
        deleted_interval: How often an incremental relation read also reads ``/sync/Deleted``
            (one call): a poll within this interval of the last check costs one call.
    """

    sales_journal: str | None = None
    purchase_journal: str | None = None
    vat_codes: Mapping[VatCategory, str] = attrs.field(factory=dict, converter=_frozen, hash=False)
    sales_document_type: int = 10
    purchase_document_type: int = 20
    client_keys: bool = True
    deleted_interval: timedelta = timedelta(minutes=10)
