"""Reference data of one administration: ledger accounts, VAT codes, journals, countries."""

from __future__ import annotations

from decimal import Decimal

import attrs

from finlink.model.enums import VatCategory

__all__ = ["Country", "Journal", "JournalKind", "LedgerAccount", "ReferenceData", "VatCode"]


@attrs.frozen(kw_only=True)
class LedgerAccount:
    """A ledger account (grootboekrekening).

    Attributes:
        code: The code bookkeepers use, e.g. ``8000``.
        description: Its name.
        remote_id: The vendor's key (a GUID in Exact and SnelStart).
        requires_cost_centre: True when every line on it needs a cost centre (SnelStart
            ``kostenplaatsVerplicht``).
        active: False for a blocked or non-active account.
    """

    code: str
    description: str
    remote_id: str
    requires_cost_centre: bool = False
    active: bool = True


@attrs.frozen(kw_only=True)
class VatCode:
    """A VAT code of the administration, and the finlink category it serves.

    Attributes:
        code: The vendor's code (Exact ``2``, SnelStart ``Hoog``).
        description: Its name.
        rate: The percentage as a fraction (``0.21``).
        category: The finlink category it maps to, where the mapping is known.
        remote_id: The vendor's key, where different from ``code``.
    """

    code: str
    description: str
    rate: Decimal
    category: VatCategory | None = None
    remote_id: str | None = None


class JournalKind:
    """Kinds of journals (dagboeken) finlink books into."""

    SALES = "sales"
    PURCHASE = "purchase"
    OTHER = "other"


@attrs.frozen(kw_only=True)
class Journal:
    """A journal (dagboek).

    Attributes:
        code: The code bookkeepers use, e.g. ``70`` for sales.
        description: Its name.
        kind: One of :class:`JournalKind`.
        remote_id: The vendor's key, where different from ``code``.
    """

    code: str
    description: str
    kind: str = JournalKind.OTHER
    remote_id: str | None = None


@attrs.frozen(kw_only=True)
class Country:
    """A country as the vendor knows it (SnelStart refers to countries by GUID).

    Attributes:
        code: ISO 3166-1 alpha-2.
        name: The vendor's name for it.
        remote_id: The vendor's key.
    """

    code: str
    name: str
    remote_id: str


@attrs.frozen(kw_only=True)
class ReferenceData:
    """Everything an administration defines that mappings refer to.

    Backends cache it per administration; ``refresh=True`` on
    :meth:`~finlink.backends.Backend.reference_data` reads it again.
    """

    ledger_accounts: tuple[LedgerAccount, ...] = ()
    vat_codes: tuple[VatCode, ...] = ()
    journals: tuple[Journal, ...] = ()
    countries: tuple[Country, ...] = ()

    def ledger(self, code: str) -> LedgerAccount | None:
        """The ledger account with ``code``, if the administration has it."""
        return next((acc for acc in self.ledger_accounts if acc.code == code), None)

    def vat_code_for(self, category: VatCategory) -> VatCode | None:
        """The first VAT code mapped to ``category``, if any."""
        return next((vat for vat in self.vat_codes if vat.category is category), None)

    def journal(self, code: str) -> Journal | None:
        """The journal with ``code``, if the administration has it."""
        return next((j for j in self.journals if j.code == code), None)

    def country(self, code: str) -> Country | None:
        """The country with ISO code ``code`` (any case), if the vendor knows it."""
        wanted = code.upper()
        return next((c for c in self.countries if c.code == wanted), None)
