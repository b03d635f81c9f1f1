"""The blocking index built once over an administration, and the value frequencies it knows.

Matching 100,000 CRM relations against 100,000 remote ones cannot compare every pair (10¹⁰
comparisons). Instead every remote relation is reduced once to its
:class:`~finlink.sync.match_keys.MatchKeys`, and :class:`CandidateIndex` files it under
*blocking keys*: the identifiers (CRM key, KvK, VAT, IBAN), and the cheap keys a fuzzy match
is looked for by: e-mail/web domain, phone number, normalised name, postcode and house
number, street+house number+city, and the name's two rarest words. A CRM relation is compared
only with the relations sharing one of its keys.

Cost stays linear because every fuzzy block is capped (:attr:`CandidateIndex.max_block`). A
block over the cap ("bakkerij", "jansen", a business park's postcode, a chain's name) falls
back to the part of it in the subject's postcode area (:attr:`MatchKeys.area`); when even
that part is over the cap, the block is skipped: other keys still find a true pair, and a
name shared by that many relations proves little anyway. Identifier blocks are never capped.

The blocks double as frequency tables (:meth:`CandidateIndex.frequency`): how many indexed
relations carry a name, a name word, a postcode or a city. The Fellegi-Sunter scorer uses
them so that a common value agreeing counts for less than a rare one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal

from finlink.backends.records import RemoteRecord
from finlink.model.relation import Relation
from finlink.sync.match_keys import MatchKeys, match_keys
from finlink.sync.names import NameKey

__all__ = [
    "BLOCKING_WORDS",
    "BlockingField",
    "CandidateIndex",
    "FrequencyField",
    "RelationKeys",
    "relation_keys",
]

#: The former names of :class:`~finlink.sync.match_keys.MatchKeys` and
#: :func:`~finlink.sync.match_keys.match_keys`, kept for existing hosts.
RelationKeys = MatchKeys
relation_keys = match_keys

#: The exact-key blocks :meth:`CandidateIndex.find` can look in.
BlockingField = Literal[
    "crm_key",
    "kvk",
    "vat",
    "iban",
    "domain",
    "name",
    "name_address",
    "postcode",
    "street_house",
    "postcode_house",
    "phone",
]
#: The values :meth:`CandidateIndex.frequency` counts.
FrequencyField = Literal["name", "word", "postcode", "city"]

_SINGLE_FIELDS: tuple[BlockingField, ...] = (
    "crm_key",
    "kvk",
    "vat",
    "iban",
    "name",
    "postcode",
    "street_house",
    "postcode_house",
)
# The capped blocks a fuzzy match is looked for in, besides the rarest name words. Not the
# postcode alone: in a dense area it holds dozens of businesses with other names, which
# the name cutoff would drop anyway; the same address is postcode_house's job.
_FUZZY_FIELDS: tuple[BlockingField, ...] = (
    "name",
    "postcode_house",
    "street_house",
    "phone",
    "domain",
)
#: How many of a name's words (the rarest in the index) form blocks: one typo in a word
#: still leaves the other.
BLOCKING_WORDS = 2

_Block = MatchKeys | list[MatchKeys]


class CandidateIndex:
    """All relations of one administration, filed under their blocking keys.

    Build it once per administration (``CandidateIndex.from_records(backend_records)``) and
    match every CRM relation against it. Lookups never return the subject itself, so the same
    index serves :func:`~finlink.sync.matching.find_duplicates` within one set.

    Args:
        keys: The key sets to index.
        max_block: The cap on every fuzzy block (name, name word, postcode, address, phone,
            domain): a larger block is narrowed to the subject's postcode area, or skipped
            when that part is still larger. Identifier blocks are never capped.
    """

    def __init__(self, keys: Iterable[MatchKeys], *, max_block: int = 50) -> None:
        if max_block < 1:
            raise ValueError(f"max_block must be at least 1, not {max_block}")
        self.max_block = max_block
        self._all: list[MatchKeys] = []
        # A block holding one relation stores it bare, not in a list: most identifier blocks
        # hold exactly one, and 100,000 one-element lists cost ~9 MB for nothing.
        self._exact: dict[str, dict[str, _Block]] = {
            name: {} for name in (*_SINGLE_FIELDS, "domain", "phone")
        }
        self._words: dict[str, _Block] = {}
        self._cities: dict[str, int] = {}
        self._names: dict[str, NameKey] = {}
        # Oversized blocks split by postcode area, built on first use. An area holding one
        # relation stores it bare too: most areas of a split word hold one or two.
        self._split: dict[tuple[str, str], dict[str, _Block]] = {}
        for key in keys:
            self.add(key)

    @property
    def known_names(self) -> Mapping[str, NameKey]:
        """The normalised name of every indexed relation, by the name as written."""
        return self._names

    def keys_for(self, relation: Relation) -> MatchKeys:
        """The keys of a CRM relation to match against this index (its id is its CRM key)."""
        return match_keys(relation, crm_key=relation.id, known_names=self._names)

    @classmethod
    def from_records(
        cls, records: Iterable[RemoteRecord[Relation]], *, max_block: int = 50
    ) -> CandidateIndex:
        """Index the remote relations of one administration, as a backend returns them."""
        index = cls((), max_block=max_block)
        for record in records:
            index.add(
                match_keys(
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
            index.add(match_keys(relation, known_names=index._names))
        return index

    def add(self, keys: MatchKeys) -> None:
        """File one more key set under all its blocking keys."""
        self._all.append(keys)
        self._names.setdefault(keys.relation.name, keys.name)
        exact = self._exact
        address = keys.address
        filed: list[tuple[str, str]] = []
        for field, value in (
            ("crm_key", keys.crm_key),
            ("kvk", keys.kvk),
            ("vat", keys.vat),
            ("iban", keys.iban),
            ("name", keys.name.compact),
            ("postcode", address.postcode if address else None),
            ("street_house", keys.street_house),
            ("postcode_house", keys.postcode_house),
        ):
            if value:
                _put(exact[field], value, keys)
                filed.append((field, value))
        for domain in keys.domains:
            _put(exact["domain"], domain, keys)
            filed.append(("domain", domain))
        for phone in keys.phones:
            _put(exact["phone"], phone, keys)
            filed.append(("phone", phone))
        for word in keys.blocking_words():
            _put(self._words, word, keys)
            filed.append(("word", word))
        if address is not None and address.city:
            self._cities[address.city] = self._cities.get(address.city, 0) + 1
        if self._split:
            # A block split earlier must see the newcomer too. It joins the splits of its
            # own blocks, at the end as in the block itself: the same split as one made
            # afresh, without splitting every oversized block again after each record
            # created in a run (which made an initial sync quadratic).
            for block in filed:
                split = self._split.get(block)
                if split is not None and keys.area is not None:
                    _put(split, keys.area, keys)

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[MatchKeys]:
        return iter(self._all)

    def frequency(self, field: FrequencyField, value: str | None) -> int:
        """How many indexed relations carry ``value`` (0 for None or an unknown value).

        ``value`` is a normalised compact name, a name word, a postcode key or a city key.
        """
        if not value:
            return 0
        if field == "city":
            return self._cities.get(value, 0)
        if field == "word":
            return _size(self._words.get(value))
        return _size(self._exact[field].get(value))

    def find(self, field: BlockingField, subject: MatchKeys) -> list[MatchKeys]:
        """The indexed relations sharing ``subject``'s value of ``field`` (never ``subject``).

        Uncapped: use it for identifiers. Raises ``KeyError`` for an unknown field.
        """
        block = self._exact.get(field, {})
        if field in ("domain", "phone"):
            found: list[MatchKeys] = []
            for shared in subject.domains if field == "domain" else subject.phones:
                found.extend(_members(block.get(shared)))
            return _unique_others(found, subject) if found else found
        if field == "name_address":
            # Not stored: the same address, then the same name.
            compact = subject.name.compact
            return [k for k in self.find("postcode_house", subject) if k.name.compact == compact]
        value = _field_value(field, subject)
        if not value:
            return []
        members = block.get(value)
        if members is None or members is subject:
            return []
        if isinstance(members, list):
            return [k for k in members if k is not subject]
        return [members]

    def capped(self, kind: str, value: str, subject: MatchKeys) -> Sequence[MatchKeys]:
        """One fuzzy block, at most :attr:`max_block` long (see the module docstring).

        Args:
            kind: A blocking field, or ``word`` for a name word.
            value: The block's key.
            subject: Whose postcode area narrows an oversized block.
        """
        blocks = self._words if kind == "word" else self._exact[kind]
        members = _members(blocks.get(value))
        if len(members) <= self.max_block:
            return members
        if subject.area is None:
            return ()
        split = self._split.get((kind, value))
        if split is None:
            split = {}
            for keys in members:
                if keys.area is not None:
                    _put(split, keys.area, keys)
            self._split[kind, value] = split
        narrowed = split.get(subject.area)
        return _members(narrowed) if _size(narrowed) <= self.max_block else ()

    def name_block(self, subject: MatchKeys) -> list[MatchKeys]:
        """Candidates for fuzzy matching: every capped block the subject has a key for.

        The same normalised name, postcode and house number, street and house number and
        city, phone number, e-mail or web domain, or one of the name's two rarest words; each
        block at most :attr:`max_block` long, so a subject has at most a few hundred
        candidates however large the administration.
        """
        found: list[MatchKeys] = []
        for field in _FUZZY_FIELDS:
            if field == "domain":
                values: Iterable[str] = subject.domains
            elif field == "phone":
                values = subject.phones
            else:
                value = _field_value(field, subject)
                values = (value,) if value else ()
            for value in values:
                found.extend(self.capped(field, value, subject))
        words = self._words
        rarest = sorted(subject.blocking_words(), key=lambda w: (_size(words.get(w)), w))
        for word in rarest[:BLOCKING_WORDS]:
            found.extend(self.capped("word", word, subject))
        return _unique_others(found, subject)


def _put(blocks: dict[str, _Block], value: str, keys: MatchKeys) -> None:
    block = blocks.get(value)
    if block is None:
        blocks[value] = keys
    elif isinstance(block, list):
        block.append(keys)
    else:
        blocks[value] = [block, keys]


def _members(block: _Block | None) -> Sequence[MatchKeys]:
    if block is None:
        return ()
    return block if isinstance(block, list) else (block,)


def _size(block: _Block | None) -> int:
    if block is None:
        return 0
    return len(block) if isinstance(block, list) else 1


def _field_value(field: str, subject: MatchKeys) -> str | None:
    if field == "postcode":
        return subject.address.postcode if subject.address else None
    if field == "name":
        return subject.name.compact
    value: str | None = getattr(subject, field)
    return value


def _unique_others(found: list[MatchKeys], subject: MatchKeys) -> list[MatchKeys]:
    # Keys hash by identity (eq=False): dict.fromkeys drops repeats in C, keeping the order.
    unique = dict.fromkeys(found)
    unique.pop(subject, None)
    return list(unique)
