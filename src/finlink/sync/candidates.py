"""Match keys of a relation and the blocking index built once over an administration.

Matching 100,000 CRM relations against 100,000 remote ones cannot compare every pair (10¹⁰
comparisons). Instead every remote relation is reduced once to its :class:`RelationKeys`
(identifiers, normalised name and address), and :class:`CandidateIndex` files it under a
handful of *blocking keys*: CRM key, KvK, VAT, IBAN, e-mail/web domain, normalised name,
name+postcode+house number, postcode, street+house number+city, and uncommon name words. A
CRM relation is then compared only with the few remote relations that share a blocking key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal

import attrs

from finlink.backends.records import RemoteRecord
from finlink.model.relation import Relation
from finlink.sync.names import AddressKey, NameKey, address_key, email_domain, name_key
from finlink.sync.names import website_domain as _website_domain

__all__ = ["BlockingField", "CandidateIndex", "RelationKeys", "relation_keys"]

#: The exact-key blocks :meth:`CandidateIndex.find` can look in.
BlockingField = Literal[
    "crm_key", "kvk", "vat", "iban", "domain", "name", "name_address", "postcode", "street_house"
]
_EXACT_FIELDS: tuple[BlockingField, ...] = (
    "crm_key",
    "kvk",
    "vat",
    "iban",
    "domain",
    "name",
    "name_address",
    "postcode",
    "street_house",
)

# Words too common in company names to say anything on their own; they stay in the name (and
# its fuzzy score) but never form a block.
_STOP_WORDS = frozenset({"de", "het", "van", "der", "den", "en", "t", "te", "op", "in", "aan"})


_NOT_ALNUM = re.compile(r"[\W_]+")


def _compact(value: str | None) -> str | None:
    if not value:
        return None
    if value.isalnum():
        return value.upper()
    return _NOT_ALNUM.sub("", value).upper() or None


@attrs.frozen(kw_only=True, eq=False)
class RelationKeys:
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

    @property
    def name_address(self) -> str | None:
        """Exact-match key: compact name, postcode and house number, or None if one is missing."""
        address = self.address
        if address is None or address.postcode is None or address.number is None:
            return None
        return f"{self.name.compact}|{address.postcode}|{address.house}"

    @property
    def street_house(self) -> str | None:
        """Street, house number and city: the address key when a postcode is missing."""
        address = self.address
        if address is None or address.number is None or not address.street or not address.city:
            return None
        return f"{address.street}|{address.house}|{address.city}"

    def blocking_words(self) -> list[str]:
        """Name words that may form a block: no stop words or single letters, sorted."""
        return [w for w in self.name.tokens if w not in _STOP_WORDS and len(w) > 1]


def relation_keys(
    relation: Relation,
    *,
    record_id: str | None = None,
    crm_key: str | None = None,
    active: bool = True,
    known_names: Mapping[str, NameKey] | None = None,
) -> RelationKeys:
    """Compute the match keys of ``relation``.

    Args:
        relation: A CRM relation or the data of a remote record.
        record_id: The id to report in decisions; defaults to ``relation.id``.
        crm_key: The CRM key the record carries (for a CRM relation: its own id).
        active: Whether the record is active.
        known_names: Names already normalised (an index's :attr:`CandidateIndex.known_names`);
            most CRM relations carry a name the administration also has, so this saves
            normalising it twice.
    """
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
    found = [email_domain(relation.email), _website_domain(relation.website)]
    found.extend(email_domain(contact.email) for contact in relation.contacts if contact.email)
    domains = {d for d in found if d}
    return RelationKeys(
        record_id=record_id if record_id is not None else relation.id,
        relation=relation,
        crm_key=crm_key,
        kvk=kvk,
        vat=vat,
        iban=_compact(relation.iban),
        domains=tuple(sorted(domains)) if domains else (),
        name=(known_names or {}).get(relation.name) or name_key(relation.name),
        address=(
            address_key(address.line1, address.postcode, address.city, address.country)
            if address
            else None
        ),
        active=active,
    )


class CandidateIndex:
    """All relations of one administration, filed under their blocking keys.

    Build it once per administration (``CandidateIndex.from_records(backend_records)``) and
    match every CRM relation against it. Lookups never return the subject itself, so the same
    index serves :func:`~finlink.sync.matching.find_duplicates` within one set.

    Args:
        keys: The key sets to index.
        max_block: Name-word blocks larger than this are too common to be useful ("bakkerij")
            and are skipped; exact identifier blocks are never capped.
    """

    def __init__(self, keys: Iterable[RelationKeys], *, max_block: int = 50) -> None:
        self.max_block = max_block
        self._all: list[RelationKeys] = []
        # A block holding one relation stores it bare, not in a list: most identifier blocks
        # hold exactly one, and 100,000 one-element lists cost ~9 MB for nothing.
        self._exact: dict[str, dict[str, _Block]] = {name: {} for name in _EXACT_FIELDS}
        self._words: dict[str, _Block] = {}
        self._names: dict[str, NameKey] = {}
        for key in keys:
            self.add(key)

    @property
    def known_names(self) -> Mapping[str, NameKey]:
        """The normalised name of every indexed relation, by the name as written."""
        return self._names

    def keys_for(self, relation: Relation) -> RelationKeys:
        """The keys of a CRM relation to match against this index (its id is its CRM key)."""
        return relation_keys(relation, crm_key=relation.id, known_names=self._names)

    @classmethod
    def from_records(
        cls, records: Iterable[RemoteRecord[Relation]], *, max_block: int = 50
    ) -> CandidateIndex:
        """Index the remote relations of one administration, as a backend returns them."""
        index = cls((), max_block=max_block)
        for record in records:
            index.add(
                relation_keys(
                    record.data,
                    record_id=record.remote_id,
                    crm_key=record.crm_key,
                    active=record.active,
                    known_names=index._names,
                )
            )
        return index

    @classmethod
    def from_relations(
        cls, relations: Iterable[Relation], *, max_block: int = 50
    ) -> CandidateIndex:
        """Index plain relations (e.g. the CRM's own file, to look for duplicates in it)."""
        index = cls((), max_block=max_block)
        for relation in relations:
            index.add(relation_keys(relation, known_names=index._names))
        return index

    def add(self, keys: RelationKeys) -> None:
        """File one more key set under all its blocking keys."""
        self._all.append(keys)
        self._names.setdefault(keys.relation.name, keys.name)
        exact = self._exact
        address = keys.address
        for field, value in (
            ("crm_key", keys.crm_key),
            ("kvk", keys.kvk),
            ("vat", keys.vat),
            ("iban", keys.iban),
            ("name", keys.name.compact),
            ("name_address", keys.name_address),
            ("postcode", address.postcode if address else None),
            ("street_house", keys.street_house),
        ):
            if value:
                _put(exact[field], value, keys)
        for domain in keys.domains:
            _put(exact["domain"], domain, keys)
        for word in keys.blocking_words():
            _put(self._words, word, keys)

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[RelationKeys]:
        return iter(self._all)

    def find(self, field: BlockingField, subject: RelationKeys) -> list[RelationKeys]:
        """The indexed relations sharing ``subject``'s value of ``field`` (never ``subject``).

        Raises:
            KeyError: ``field`` is not a blocking field.
        """
        block = self._exact[field]
        if field == "domain":
            found: list[RelationKeys] = []
            for domain in subject.domains:
                found.extend(_members(block.get(domain)))
            return _unique_others(found, subject) if found else found
        value = _field_value(field, subject)
        if not value:
            return []
        members = block.get(value)
        if members is None or members is subject:
            return []
        if isinstance(members, list):
            return [k for k in members if k is not subject]
        return [members]

    def name_block(self, subject: RelationKeys) -> list[RelationKeys]:
        """Candidates for fuzzy name matching.

        They have the same normalised name, postcode, or street and house number, or share an
        uncommon name word; blocks of more than ``max_block`` relations are skipped as
        uninformative ("bakkerij", "jansen").
        """
        cap = self.max_block
        found: list[RelationKeys] = []
        for field in ("name", "postcode", "street_house"):
            value = _field_value(field, subject)
            if value:
                members = _members(self._exact[field].get(value))
                if len(members) <= cap:
                    found.extend(members)
        for word in subject.blocking_words():
            members = _members(self._words.get(word))
            if len(members) <= cap:
                found.extend(members)
        return _unique_others(found, subject)


_Block = RelationKeys | list[RelationKeys]


def _put(blocks: dict[str, _Block], value: str, keys: RelationKeys) -> None:
    block = blocks.get(value)
    if block is None:
        blocks[value] = keys
    elif isinstance(block, list):
        block.append(keys)
    else:
        blocks[value] = [block, keys]


def _members(block: _Block | None) -> Sequence[RelationKeys]:
    if block is None:
        return ()
    return block if isinstance(block, list) else (block,)


def _field_value(field: str, subject: RelationKeys) -> str | None:
    if field == "postcode":
        return subject.address.postcode if subject.address else None
    if field == "name":
        return subject.name.compact
    value: str | None = getattr(subject, field)
    return value


def _unique_others(found: list[RelationKeys], subject: RelationKeys) -> list[RelationKeys]:
    seen: set[int] = {id(subject)}
    out: list[RelationKeys] = []
    for keys in found:
        if id(keys) not in seen:
            seen.add(id(keys))
            out.append(keys)
    return out
