"""What matching compares: a relation reduced once to its identifiers, name and address.

:class:`MatchKeys` is the matcher's view of a relation. It is not the same thing as
:class:`finlink.backends.LookupKeys` (formerly also called ``RelationKeys``), which is the
handful of values a *backend* is asked to search by; these keys are computed by finlink from a
whole relation, for scoring. ``RelationKeys`` and ``relation_keys`` remain importable from
:mod:`finlink.sync.matching` as aliases of :class:`MatchKeys` and :func:`match_keys`.

The establishment number (*vestigingsnummer*, 12 digits in the Dutch trade register) is not a
field of :class:`~finlink.model.relation.Relation`; a host that knows it puts it in
``relation.extra["establishment_number"]`` (``"vestigingsnummer"`` is read too). Branches of
one company share its KvK number and differ in their establishment number.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping

import attrs

from finlink.model.relation import Relation
from finlink.sync.names import AddressKey, NameKey, address_key, email_domain, name_key
from finlink.sync.names import website_domain as _website_domain

__all__ = ["ESTABLISHMENT_KEYS", "MatchKeys", "match_keys", "phone_key"]

#: The ``Relation.extra`` keys read for the establishment number, in order.
ESTABLISHMENT_KEYS: tuple[str, ...] = ("establishment_number", "vestigingsnummer")

# Words too common in company names to say anything on their own; they stay in the name (and
# its fuzzy score) but never form a block.
_STOP_WORDS = frozenset({"de", "het", "van", "der", "den", "en", "t", "te", "op", "in", "aan"})
_NOT_ALNUM = re.compile(r"[\W_]+")
_NOT_DIGIT = re.compile(r"\D+")


def _compact(value: str | None) -> str | None:
    if not value:
        return None
    if value.isalnum():
        upper = value.upper()
        # The value itself when it is compact already (most are): the index then shares the
        # relation's string instead of keeping an equal copy for every relation.
        return value if upper == value else upper
    return _NOT_ALNUM.sub("", value).upper() or None


def phone_key(phone: str | None) -> str | None:
    """The last nine digits of a phone number, or None for fewer than eight digits.

    ``+31 30 123 4567``, ``030-1234567`` and ``0031301234567`` give one key: the national
    number without its trunk prefix is nine digits in the Netherlands and eight or nine in
    Belgium, so the last nine digits survive every way of writing the country code.
    """
    if not phone:
        return None
    digits = _NOT_DIGIT.sub("", phone)
    if len(digits) < 8:
        return None
    return digits[-9:]


def _establishment(relation: Relation) -> str | None:
    extra = relation.extra
    if not extra:
        return None
    for key in ESTABLISHMENT_KEYS:
        value = extra.get(key)
        if value is not None and not isinstance(value, bool):
            digits = _NOT_DIGIT.sub("", str(value))
            if digits:
                return digits.lstrip("0") or "0"
    return None


@attrs.frozen(kw_only=True, eq=False)
class MatchKeys:
    """A relation reduced to what matching compares, computed once.

    Equality is identity: two key sets are the same only when they are the same object, so an
    index never confuses two remote records with identical data.

    Attributes:
        record_id: The remote id for a remote record, the CRM key for a CRM relation.
        relation: The relation itself.
        crm_key: The CRM key: the one finlink wrote into the remote record, or the CRM
            relation's own id.
        kvk: KvK / Belgian enterprise number, digits only.
        vat: VAT number, compact and upper case.
        iban: IBAN, compact and upper case.
        domains: E-mail and web domains, free-mail providers left out, sorted.
        name: The normalised name.
        address: The normalised visiting (else postal) address, or None.
        active: False for a remote record that is blocked or archived.
        establishment: The establishment number (vestigingsnummer), digits, or None.
        phones: The phone and mobile numbers as :func:`phone_key` keys, sorted.
        street_house: Street, house number and city: the address key when a postcode is
            missing; None when one of them is missing.
        postcode_house: Postcode and house number, or None when one is missing.
        area: The postcode area (the four digits of a Dutch postcode, a Belgian postcode
            whole), else the city; None without either. Oversized blocks are split by it.
    """

    record_id: str
    relation: Relation
    crm_key: str | None
    kvk: str | None
    vat: str | None
    iban: str | None
    domains: tuple[str, ...]
    name: NameKey
    address: AddressKey | None
    active: bool = True
    establishment: str | None = None
    phones: tuple[str, ...] = ()
    street_house: str | None = attrs.field(init=False)
    postcode_house: str | None = attrs.field(init=False)
    area: str | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        # Computed once: all three are blocking keys, looked up for every subject.
        address = self.address
        street_house = postcode_house = area = None
        if address is not None:
            if address.postcode:
                area = address.postcode[:4] if address.country == "NL" else address.postcode
            elif address.city:
                area = address.city
            if address.house is not None:
                if address.postcode:
                    postcode_house = f"{address.postcode}|{address.house}"
                if address.street and address.city:
                    street_house = f"{address.street}|{address.house}|{address.city}"
        object.__setattr__(self, "street_house", street_house)
        object.__setattr__(self, "postcode_house", postcode_house)
        # Interned: a few hundred postcode areas serve 100,000 relations.
        object.__setattr__(self, "area", sys.intern(area) if area else None)

    @property
    def name_address(self) -> str | None:
        """Exact-match key: compact name, postcode and house number; None when one is missing.

        Computed when asked: the index finds it through :attr:`postcode_house` instead of
        storing a key per relation.
        """
        if self.postcode_house is None:
            return None
        return f"{self.name.compact}|{self.postcode_house}"

    def blocking_words(self) -> list[str]:
        """Name words that may form a block: no stop words or single letters, sorted."""
        return [w for w in self.name.tokens if w not in _STOP_WORDS and len(w) > 1]


def match_keys(
    relation: Relation,
    *,
    record_id: str | None = None,
    crm_key: str | None = None,
    active: bool = True,
    known_names: Mapping[str, NameKey] | None = None,
    like: MatchKeys | None = None,
) -> MatchKeys:
    """Compute the match keys of ``relation``.

    Args:
        relation: A CRM relation or the data of a remote record.
        record_id: The id to report in decisions; defaults to ``relation.id``.
        crm_key: The CRM key the record carries (for a CRM relation: its own id).
        active: Whether the record is active.
        known_names: Names already normalised (an index's
            :attr:`~finlink.sync.candidates.CandidateIndex.known_names`); most CRM relations
            carry a name the administration also has, so this saves normalising it twice.
        like: Keys computed before from a relation with the same data (a CRM relation and the
            remote record just created from it): every key whose inputs are equal in both is
            taken over instead of computed again. The result equals a fresh computation.
    """
    if like is not None and _same_inputs(relation, like.relation):
        old = like.relation
        same_contacts = _contact_emails(relation) == _contact_emails(old)
        return MatchKeys(
            record_id=record_id if record_id is not None else relation.id,
            relation=relation,
            crm_key=crm_key,
            kvk=like.kvk,
            vat=like.vat,
            iban=like.iban,
            domains=like.domains if same_contacts else _domains(relation),
            name=like.name,
            address=like.address,
            active=active,
            establishment=like.establishment,
            phones=like.phones,
        )
    address = relation.address
    country = address.country.strip().upper() if address else ""
    vat = _compact(relation.vat_number)
    kvk = _compact(relation.coc_number)
    if kvk is not None and country == "BE":
        # A Belgian enterprise number *is* the VAT number without "BE"; old numbers had 9
        # digits and gained a leading 0 (KBO, 2007).
        kvk = kvk.removeprefix("BE")
        kvk = "0" + kvk if len(kvk) == 9 else kvk
    elif kvk is None and vat is not None and vat.startswith("BE"):
        kvk = vat[2:]
    phones = {p for p in (phone_key(relation.phone), phone_key(relation.mobile)) if p}
    return MatchKeys(
        record_id=record_id if record_id is not None else relation.id,
        relation=relation,
        crm_key=crm_key,
        kvk=kvk,
        vat=vat,
        iban=_compact(relation.iban),
        domains=_domains(relation),
        name=(known_names or {}).get(relation.name) or name_key(relation.name),
        address=(
            address_key(address.line1, address.postcode, address.city, address.country)
            if address
            else None
        ),
        active=active,
        establishment=_establishment(relation),
        phones=tuple(sorted(phones)) if phones else (),
    )


def _domains(relation: Relation) -> tuple[str, ...]:
    found = [email_domain(relation.email), _website_domain(relation.website)]
    found.extend(email_domain(contact.email) for contact in relation.contacts if contact.email)
    domains = {d for d in found if d}
    return tuple(sorted(domains)) if domains else ()


def _contact_emails(relation: Relation) -> list[str]:
    return [contact.email for contact in relation.contacts if contact.email]


def _same_inputs(relation: Relation, other: Relation) -> bool:
    """Whether every field :func:`match_keys` reads, contacts aside, is equal in both."""
    return relation is other or (
        relation.name == other.name
        and relation.address == other.address
        and relation.coc_number == other.coc_number
        and relation.vat_number == other.vat_number
        and relation.iban == other.iban
        and relation.email == other.email
        and relation.website == other.website
        and relation.phone == other.phone
        and relation.mobile == other.mobile
        and _establishment(relation) == _establishment(other)
    )
