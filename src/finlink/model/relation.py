"""Relations (debtors and creditors), their addresses and contact persons."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from finlink.model._structure import StructureChecker
from finlink.model.enums import RelationRole

__all__ = ["Address", "Contact", "ExtraValue", "Relation"]

#: What a host may keep in :attr:`Relation.extra`: plain JSON-like scalars.
ExtraValue = str | int | bool | None


@attrs.frozen(kw_only=True)
class Address:
    """A postal or visiting address.

    Attributes:
        line1: Street and house number, e.g. ``Hoofdstraat 12a``.
        line2: A second line (building, department, PO box), if any.
        postcode: As the CRM holds it; :func:`finlink.normalize_postcode` gives the canonical
            form (``1234 AB`` in the Netherlands, ``1000`` in Belgium).
        city: The city or town.
        country: ISO 3166-1 alpha-2 code, upper case (``NL``, ``BE``).
    """

    line1: str
    line2: str | None = None
    postcode: str | None = None
    city: str
    country: str

    def __attrs_post_init__(self) -> None:
        check = StructureChecker("address")
        for name in ("line1", "city", "country"):
            check.text(name, getattr(self, name), optional=False)
        for name in ("line2", "postcode"):
            check.text(name, getattr(self, name))
        check.done()


@attrs.frozen(kw_only=True)
class Contact:
    """A contact person at a relation.

    Attributes:
        id: The CRM's own key of the contact.
        first_name: Given name; a contact needs a first or a last name.
        last_name: Family name, including any prefix (``van der Berg``).
        email: E-mail address.
        phone: Phone number as written in the CRM.
        job_title: Function, e.g. ``Financial controller``.
        is_primary: The contact to use where a backend holds only one (SnelStart).
    """

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    is_primary: bool = False

    def __attrs_post_init__(self) -> None:
        check = StructureChecker(f"contact {self.id!r}")
        check.text("id", self.id, optional=False)
        for name in ("first_name", "last_name", "email", "phone", "job_title"):
            check.text(name, getattr(self, name))
        check.boolean("is_primary", self.is_primary)
        check.done()

    @property
    def full_name(self) -> str:
        """First and last name joined by a space, whichever are present."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@attrs.frozen(kw_only=True)
class Relation:
    """A debtor (customer), a creditor (supplier), or both, as the CRM knows it.

    Attributes:
        id: The CRM's own key; finlink links it to the remote record in every administration.
        name: The legal or trading name.
        roles: Customer, supplier, or both; never empty.
        number: The debtor/creditor number the CRM uses, where it has one; backends can write
            it into the accounting system's relation code.
        visiting_address: Where the relation is (vestigingsadres).
        postal_address: Where post goes (correspondentieadres), if different.
        email: General e-mail address (invoices go here unless a backend says otherwise).
        phone: Main phone number.
        mobile: Mobile phone number.
        website: Web address.
        vat_number: EU VAT number (btw-nummer), as entered; see
            :func:`finlink.normalize_vat_number`.
        coc_number: Chamber of Commerce number: Dutch KvK (8 digits) or Belgian enterprise
            number (10 digits).
        iban: Bank account (IBAN).
        bic: The bank's BIC, where needed (non-SEPA or old systems).
        payment_term_days: Payment term in days.
        currency: ISO 4217 currency code, default ``EUR``.
        language: ISO 639-1 language for correspondence (``nl``, ``en``, ``fr``...).
        contacts: Contact persons, in the CRM's order.
        updated_at: When the CRM last changed the relation (timezone-aware).
        active: False for a relation the CRM has archived.
        extra: The host's custom fields (JSON-like scalars), for custom mappings.
    """

    id: str
    name: str
    roles: frozenset[RelationRole]
    number: str | None = None
    visiting_address: Address | None = None
    postal_address: Address | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    website: str | None = None
    vat_number: str | None = None
    coc_number: str | None = None
    iban: str | None = None
    bic: str | None = None
    payment_term_days: int | None = None
    currency: str = "EUR"
    language: str | None = None
    contacts: tuple[Contact, ...] = ()
    updated_at: datetime | None = None
    active: bool = True
    extra: Mapping[str, ExtraValue] = attrs.field(factory=dict, hash=False)

    def __attrs_post_init__(self) -> None:
        check = StructureChecker(f"relation {self.id!r}")
        check.text("id", self.id, optional=False)
        check.text("name", self.name, optional=False)
        if not isinstance(self.roles, frozenset):
            check.add("roles", "type", "must be a frozenset of RelationRole")
        else:
            for role in sorted(self.roles, key=str):
                check.member("roles", role, RelationRole)
        for name in (
            "number",
            "email",
            "phone",
            "mobile",
            "website",
            "vat_number",
            "coc_number",
            "iban",
            "bic",
            "language",
        ):
            check.text(name, getattr(self, name))
        check.text("currency", self.currency, optional=False)
        for name in ("visiting_address", "postal_address"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Address):
                check.add(name, "type", f"must be an Address, not {type(value).__name__}")
        check.integer("payment_term_days", self.payment_term_days)
        check.sequence("contacts", self.contacts, Contact)
        check.aware("updated_at", self.updated_at)
        check.boolean("active", self.active)
        if not isinstance(self.extra, Mapping):
            check.add("extra", "type", "must be a mapping of field name to value")
        check.done()

    @property
    def is_customer(self) -> bool:
        """Whether the relation is a debtor."""
        return RelationRole.CUSTOMER in self.roles

    @property
    def is_supplier(self) -> bool:
        """Whether the relation is a creditor."""
        return RelationRole.SUPPLIER in self.roles

    @property
    def primary_contact(self) -> Contact | None:
        """The contact marked primary, else the first one, else None."""
        for contact in self.contacts:
            if contact.is_primary:
                return contact
        return self.contacts[0] if self.contacts else None

    @property
    def address(self) -> Address | None:
        """The visiting address, or the postal address when there is no visiting address."""
        return self.visiting_address or self.postal_address
