"""Deterministic, realistic Dutch and Belgian test data: relations, projects, bookings.

Everything is drawn from a seeded :class:`random.Random`, so the same seed gives the same data
on every machine and Python version. Every record passes :func:`finlink.validate`; identifiers
carry real check digits (VAT 11-test or mod 97, Belgian enterprise numbers, IBAN mod 97-10),
postcodes are of a kind PostNL issues, and cities fit their postcodes.

>>> from finlink.testing.datasets import relations, matching_dataset
>>> crm = relations(100, seed=7)
>>> data = matching_dataset(1_000, 1_000, overlap=0.6, seed=7)
>>> len(data.pairs)
600

:func:`dense_matching_dataset` (from :mod:`finlink.testing.dense_dataset`) draws a matching
data set as dense, and as full of namesakes, chains and holdings, as a regional CRM's.

:func:`invalid_relations` makes deliberately broken relations, each listing the fields that
are wrong, for validation tests and demos.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from finlink.backends.records import RemoteRecord
from finlink.model.enums import RelationRole
from finlink.model.relation import Address, Contact, ExtraValue, Relation
from finlink.sync.names import fold, name_key
from finlink.testing import _numbers as num
from finlink.testing import _vocabulary as voc
from finlink.testing._bookings import bookings, projects, tiny_pdf
from finlink.testing.variants import VariantKind, make_variant

if TYPE_CHECKING:
    from finlink.testing.dense_dataset import DenseMatchingDataset, dense_matching_dataset

__all__ = [
    "InvalidRelation",
    "MatchingDataset",
    "DenseMatchingDataset",
    "VariantKind",
    "bookings",
    "dense_matching_dataset",
    "invalid_relations",
    "make_relation",
    "make_variant",
    "matching_dataset",
    "projects",
    "relations",
    "tiny_pdf",
]

_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_ADDITIONS = ("", "", "", "", "", "", "a", "b", "-1", "-2", " bis", "-hs")
_TERMS = (14, 30, 30, 30, 30, 8, 60, None)
# Shared role sets: a frozenset costs ~200 bytes, and 100,000 relations need only three.
_CUSTOMER = frozenset({RelationRole.CUSTOMER})
_SUPPLIER = frozenset({RelationRole.SUPPLIER})
_BOTH = frozenset({RelationRole.CUSTOMER, RelationRole.SUPPLIER})
# One shared, read-only empty mapping instead of an empty dict per relation.
_NO_EXTRA: Mapping[str, ExtraValue] = MappingProxyType({})


def _rng(seed: int) -> random.Random:
    # Test data, not secrets: a seeded, reproducible generator is the point.
    return random.Random(seed)  # noqa: S311


def _slug(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isalnum())


def _surname(rng: random.Random, *, capital_prefix: bool) -> str:
    prefix = rng.choice(voc.PREFIXES)
    surname = rng.choice(voc.SURNAMES)
    if not prefix:
        return surname
    return f"{prefix[0].upper() + prefix[1:] if capital_prefix else prefix} {surname}"


def _domain(rng: random.Random, name: str, tld: str) -> str:
    """A company domain in one of the ways Dutch firms pick them."""
    words = name_key(name).text.split()
    style = rng.randrange(4)
    if style == 0:
        stem = "".join(words)
    elif style == 1:
        stem = "-".join(words)
    elif style == 2:
        stem = "".join(words[-2:]) + str(rng.randrange(1, 100))
    else:
        stem = "".join(w[0] for w in words) + "".join(words[-1:]) + str(rng.randrange(10, 1000))
    return stem[:40].strip("-") + tld


def _company_name(rng: random.Random, country: str) -> str:
    pattern = rng.randrange(10)
    trade = rng.choice(voc.TRADES)
    if pattern == 0:
        core = f"{trade} {_surname(rng, capital_prefix=True)}"
    elif pattern == 1:
        core = f"{_surname(rng, capital_prefix=True)} {trade}"
    elif pattern == 2:
        first, second = rng.sample(voc.SURNAMES, 2)
        core = f"{first} & {second} {trade}"
    elif pattern == 3:
        initials = "".join(f"{rng.choice('ABCDEGHJKLMPRSTW')}." for _ in range(rng.randint(1, 2)))
        core = f"{initials} {_surname(rng, capital_prefix=False)} {trade}"
    elif pattern == 4:
        core = f"{rng.choice(voc.FANTASY_WORDS)} {trade}"
    elif pattern == 5:
        city = rng.choice(voc.NL_CITIES if country == "NL" else voc.BE_CITIES)[0]
        core = f"{trade} {_surname(rng, capital_prefix=True)} {city}"
    elif pattern == 6:
        return f"{_surname(rng, capital_prefix=True)} Holding B.V."
    elif pattern == 7:
        core = f"{trade} {rng.choice(voc.FANTASY_WORDS)}"
    elif pattern == 8:
        first = rng.choice(voc.FIRST_NAMES)
        core = f"{first} {_surname(rng, capital_prefix=False)} {trade}"
    else:
        kind = rng.choice(("Stichting", "Vereniging", "Coöperatie"))
        core = f"{kind} {rng.choice(voc.FANTASY_WORDS)} {_surname(rng, capital_prefix=True)}"
        return f"{core} U.A." if kind == "Coöperatie" else core
    forms = voc.NL_LEGAL_FORMS if country == "NL" else voc.BE_LEGAL_FORMS
    form = rng.choice(forms)
    return f"{core} {form}" if form else core


def _address(rng: random.Random, country: str) -> Address:
    if country == "NL":
        city, low, high = rng.choice(voc.NL_CITIES)
        postcode = f"{rng.randint(low, high)} {num.nl_postcode_letters(rng)}"
        street = rng.choice(voc.NL_STREETS)
    else:
        city, low, high = rng.choice(voc.BE_CITIES)
        postcode = str(rng.randint(low, high))
        street = rng.choice(voc.BE_STREETS)
    number = rng.choice((rng.randint(1, 40), rng.randint(1, 250)))
    return Address(
        line1=f"{street} {number}{rng.choice(_ADDITIONS)}",
        postcode=postcode,
        city=city,
        country=country,
    )


def _contacts(rng: random.Random, domain: str | None, relation_id: str) -> tuple[Contact, ...]:
    count = rng.choice((0, 1, 1, 1, 2, 2, 3, 4))
    contacts = []
    for index in range(count):
        first = rng.choice(voc.FIRST_NAMES)
        last = _surname(rng, capital_prefix=False)
        email = None
        if domain and rng.random() < 0.8:
            email = f"{_slug(first)}.{_slug(last)}@{domain}"
        contacts.append(
            Contact(
                id=f"{relation_id}-c{index + 1}",
                first_name=first,
                last_name=last,
                email=email,
                phone=num.phone_number(rng, "NL", mobile=True) if rng.random() < 0.5 else None,
                job_title=rng.choice(voc.JOB_TITLES) if rng.random() < 0.6 else None,
                is_primary=index == 0 and rng.random() < 0.7,
            )
        )
    return tuple(contacts)


def make_relation(rng: random.Random, relation_id: str, *, country: str | None = None) -> Relation:
    """Make one realistic relation (Dutch, or Belgian for about one in seven).

    Args:
        rng: The random generator to draw from.
        relation_id: The relation's id.
        country: ``NL`` or ``BE``; drawn when None.
    """
    country = country or ("BE" if rng.random() < 0.15 else "NL")
    name = _company_name(rng, country)
    tld = ".nl" if country == "NL" else ".be"
    free_mail = rng.random() < 0.15
    domain = None if free_mail else _domain(rng, name, tld)
    email = None
    if rng.random() < 0.85:
        email = f"{rng.choice(('info', 'administratie', 'facturen'))}@{domain}" if domain else None
        if free_mail:
            email = f"{_slug(name)[:20]}@{rng.choice(('gmail.com', 'hotmail.com', 'ziggo.nl'))}"
    if country == "NL":
        vat = num.nl_vat_number(rng) if rng.random() < 0.75 else None
        coc = num.kvk_number(rng) if rng.random() < 0.8 else None
        iban, bic = num.nl_iban(rng)
    else:
        enterprise = num.be_enterprise_number(rng)
        vat = f"BE{enterprise}" if rng.random() < 0.8 else None
        coc = enterprise if rng.random() < 0.7 else None
        iban, bic = num.be_iban(rng)
    has_iban = rng.random() < 0.7
    roll = rng.random()
    roles = _CUSTOMER if roll < 0.7 else _SUPPLIER if roll < 0.9 else _BOTH
    visiting = _address(rng, country) if rng.random() < 0.95 else None
    postal = None
    if visiting is None or rng.random() < 0.08:
        base = visiting or _address(rng, country)
        postal = attrs.evolve(base, line1=f"Postbus {rng.randint(1, 9999)}")
    return Relation(
        id=relation_id,
        name=name,
        roles=roles,
        number=str(10000 + rng.randrange(90000)) if rng.random() < 0.5 else None,
        visiting_address=visiting,
        postal_address=postal,
        email=email,
        phone=num.phone_number(rng, country) if rng.random() < 0.8 else None,
        mobile=num.phone_number(rng, country, mobile=True) if rng.random() < 0.3 else None,
        website=f"https://www.{domain}" if domain and rng.random() < 0.6 else None,
        vat_number=vat,
        coc_number=coc,
        iban=iban if has_iban else None,
        bic=bic if has_iban and rng.random() < 0.3 else None,
        payment_term_days=rng.choice(_TERMS),
        language="nl" if country == "NL" else rng.choice(("nl", "nl", "fr")),
        contacts=_contacts(rng, domain, relation_id),
        updated_at=_EPOCH - timedelta(minutes=rng.randrange(60 * 24 * 365)),
        extra=_NO_EXTRA,
    )


def relations(n: int, *, seed: int = 0, id_prefix: str = "crm-") -> tuple[Relation, ...]:
    """``n`` realistic relations with ids ``crm-000001``, ``crm-000002``...

    Debtor numbers, where a relation has one, are unique within the set (a CRM hands each out
    once; two relations with one number would be refused by every accounting system).
    """
    rng = _rng(seed)
    made = [make_relation(rng, f"{id_prefix}{i:06d}") for i in range(1, n + 1)]
    return tuple(
        attrs.evolve(relation, number=str(100000 + i)) if relation.number is not None else relation
        for i, relation in enumerate(made, start=1)
    )


@attrs.frozen(kw_only=True)
class InvalidRelation:
    """A deliberately invalid relation and the field paths that are wrong in it.

    Attributes:
        relation: The relation; :func:`finlink.validate` raises on it.
        bad_fields: The paths of the problems it must report (``vat_number``...).
    """

    relation: Relation
    bad_fields: frozenset[str]


def _break(relation: Relation, flaw: int) -> InvalidRelation:
    address = relation.address or Address(line1="Hoofdstraat 1", city="Utrecht", country="NL")
    evolve = attrs.evolve
    broken: list[tuple[Relation, str]] = [
        (evolve(relation, vat_number="NL123456789B01"), "vat_number"),
        (evolve(relation, iban="NL00ABNA0417164300"), "iban"),
        (evolve(relation, coc_number="1234"), "coc_number"),
        (evolve(relation, email="info@@example"), "email"),
        (evolve(relation, payment_term_days=-5), "payment_term_days"),
        (evolve(relation, roles=frozenset()), "roles"),
        (evolve(relation, name="  "), "name"),
        (
            evolve(
                relation,
                visiting_address=evolve(address, postcode="1234 SS", country="NL"),
                postal_address=None,
            ),
            "visiting_address.postcode",
        ),
        (evolve(relation, website="not a website"), "website"),
        (evolve(relation, currency="EURO"), "currency"),
    ]
    result, field = broken[flaw % len(broken)]
    return InvalidRelation(relation=result, bad_fields=frozenset({field}))


def invalid_relations(n: int, *, seed: int = 0) -> tuple[InvalidRelation, ...]:
    """``n`` relations that each break exactly one rule, cycling through ten kinds of flaw.

    The flaws: a VAT number with a wrong check digit, an IBAN with wrong check digits, a
    4-digit KvK number, a malformed e-mail, a negative payment term, no roles, a blank name, a
    never-issued postcode (``SS``), a malformed website, an unknown currency.
    """
    rng = _rng(seed)
    return tuple(_break(make_relation(rng, f"bad-{i:05d}", country="NL"), i) for i in range(n))


@attrs.frozen(kw_only=True)
class MatchingDataset:
    """CRM relations, one administration's relations, and which pairs are truly the same.

    Attributes:
        administration: The administration name on every remote record.
        crm: The CRM relations.
        remote: The administration's relations as backend records.
        pairs: ``(crm id, remote id)`` for every CRM relation that exists remotely.
        variants: For each pair, the variant kinds the remote copy was made with.
    """

    administration: str
    crm: tuple[Relation, ...]
    remote: tuple[RemoteRecord[Relation], ...]
    pairs: frozenset[tuple[str, str]]
    variants: dict[tuple[str, str], tuple[VariantKind, ...]] = attrs.field(hash=False)


# How often each variant kind is drawn for a remote copy; MOVED is rare and hard.
_VARIANT_WEIGHTS: dict[VariantKind, int] = {
    VariantKind.NAME_TYPO: 12,
    VariantKind.NAME_CASE: 8,
    VariantKind.LEGAL_FORM: 14,
    VariantKind.AMPERSAND: 4,
    VariantKind.DIACRITICS: 3,
    VariantKind.STREET_ABBREVIATION: 10,
    VariantKind.POSTCODE_FORMAT: 10,
    VariantKind.MISSING_POSTCODE: 4,
    VariantKind.MISSING_IDENTIFIERS: 14,
    VariantKind.IDENTIFIER_FORMAT: 8,
    VariantKind.EMAIL_CASE: 5,
    VariantKind.MISSING_CONTACT_DATA: 6,
    VariantKind.MOVED: 2,
}


def _draw_kinds(rng: random.Random) -> tuple[VariantKind, ...]:
    count = rng.choice((0, 1, 1, 2, 2, 3))
    kinds = rng.choices(list(_VARIANT_WEIGHTS), weights=list(_VARIANT_WEIGHTS.values()), k=count)
    return tuple(dict.fromkeys(kinds))


def _remote_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def matching_dataset(
    n_crm: int,
    n_remote: int,
    overlap: float = 0.6,
    seed: int = 0,
    *,
    administration: str = "main",
    crm_key_share: float = 0.1,
    sibling_share: float = 0.02,
) -> MatchingDataset:
    """A labelled data set for matching tests and benchmarks.

    ``round(overlap * min(n_crm, n_remote))`` CRM relations also exist remotely, as variants
    (0-3 :class:`VariantKind` edits each: typos, legal-form changes, abbreviations, missing
    identifiers, reformatted postcodes, moved addresses...). ``crm_key_share`` of those
    remote copies carry the CRM key (finlink wrote them before). The other remote relations
    are unrelated, except ``sibling_share`` of them: a "Holding" of a CRM relation at the same
    address with its own KvK and VAT number, which must *not* be linked.

    Raises:
        ValueError: ``overlap`` is outside 0-1 or a size is negative.
    """
    if not 0 <= overlap <= 1 or n_crm < 0 or n_remote < 0:
        raise ValueError("overlap must be within 0..1 and sizes non-negative")
    rng = _rng(seed)
    crm = tuple(make_relation(rng, f"crm-{i:06d}") for i in range(1, n_crm + 1))
    shared = rng.sample(range(n_crm), round(overlap * min(n_crm, n_remote)))
    remote: list[RemoteRecord[Relation]] = []
    pairs: set[tuple[str, str]] = set()
    variants: dict[tuple[str, str], tuple[VariantKind, ...]] = {}
    for position in shared:
        original = crm[position]
        remote_id = _remote_id(rng)
        kinds = _draw_kinds(rng)
        carries_key = rng.random() < crm_key_share
        data = make_variant(original, kinds, rng, new_id=original.id if carries_key else remote_id)
        remote.append(
            RemoteRecord(
                administration=administration,
                remote_id=remote_id,
                data=data,
                crm_key=original.id if carries_key else None,
            )
        )
        pairs.add((original.id, remote_id))
        variants[original.id, remote_id] = kinds
    while len(remote) < n_remote:
        remote_id = _remote_id(rng)
        if crm and rng.random() < sibling_share:
            data = _sibling(rng, rng.choice(crm), remote_id)
        else:
            data = make_relation(rng, remote_id)
        remote.append(RemoteRecord(administration=administration, remote_id=remote_id, data=data))
    rng.shuffle(remote)
    return MatchingDataset(
        administration=administration,
        crm=crm,
        remote=tuple(remote),
        pairs=frozenset(pairs),
        variants=variants,
    )


def _sibling(rng: random.Random, relation: Relation, remote_id: str) -> Relation:
    """A different legal entity at the same address: ``X Holding B.V.`` next to ``X B.V.``."""
    country = relation.address.country if relation.address else "NL"
    stem = relation.name.removesuffix(" B.V.").removesuffix(" BV").removesuffix(" Holding")
    if country == "NL":
        vat, coc = num.nl_vat_number(rng), num.kvk_number(rng)
    else:
        coc = num.be_enterprise_number(rng)
        vat = f"BE{coc}"
    return attrs.evolve(
        relation,
        id=remote_id,
        name=f"{stem} Beheer B.V.",
        vat_number=vat,
        coc_number=coc,
        iban=None,
        bic=None,
        contacts=(),
    )


def __getattr__(name: str) -> object:
    """Give the dense generator's names from here too, importing it on first use.

    It builds on :class:`MatchingDataset` above, so importing it eagerly would be circular.
    """
    if name in ("DenseMatchingDataset", "dense_matching_dataset"):
        from finlink.testing import dense_dataset  # noqa: PLC0415 - see the docstring

        return getattr(dense_dataset, name)
    raise AttributeError(f"module 'finlink.testing.datasets' has no attribute {name!r}")
