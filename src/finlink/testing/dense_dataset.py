"""A labelled matching data set with the density and the name collisions of real CRM data.

A regional CRM vendor's customers sit in a few towns: thousands of businesses share a few
postcode areas, the same trade-plus-surname ("Bakkerij Jansen") recurs in the next town,
chains have branches under one KvK number, a holding and its subsidiaries share one address,
a domain and a phone number, and identifiers are missing on one side or the other.
:func:`dense_matching_dataset` draws such a population of businesses, then a CRM file and an
administration from it; every pair of a CRM relation and a remote relation is labelled (the
true pairs are listed, every other pair is two different businesses), and the remote
look-alikes that are *not* the CRM relation are named by kind.

>>> from finlink.testing.dense_dataset import dense_matching_dataset
>>> data = dense_matching_dataset(1_000, 1_000, seed=3)
>>> len(data.crm), len(data.remote), len(data.pairs)
(1000, 1000, 600)
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from finlink.backends.records import RemoteRecord
from finlink.model.enums import RelationRole
from finlink.model.relation import Address, ExtraValue, Relation
from finlink.testing import _numbers as num
from finlink.testing import _vocabulary as voc
from finlink.testing.datasets import MatchingDataset
from finlink.testing.variants import VariantKind, make_variant

__all__ = ["DenseMatchingDataset", "dense_matching_dataset"]

_CUSTOMER = frozenset({RelationRole.CUSTOMER})
_SUPPLIER = frozenset({RelationRole.SUPPLIER})
_NO_EXTRA: Mapping[str, ExtraValue] = MappingProxyType({})
# The region a regional CRM vendor serves: a handful of towns, a few postcode areas each.
_REGION: tuple[tuple[str, int, int], ...] = (
    ("Utrecht", 3511, 3585),
    ("Amersfoort", 3811, 3831),
    ("Nieuwegein", 3431, 3439),
    ("Zeist", 3701, 3712),
    ("Houten", 3991, 3997),
)
_AREAS_PER_TOWN = 12
_STREET_PARTS = ("straat", "weg", "laan", "plein", "kade", "singel")
_NL_FORMS = ("B.V.", "B.V.", "B.V.", "BV", "B.V.", "V.O.F.", "", "", "", "")
_SUFFIX_FORMS = ("", "", "", "& Zn", "en Zonen")


@attrs.frozen(kw_only=True)
class DenseMatchingDataset(MatchingDataset):
    """:class:`~finlink.testing.datasets.MatchingDataset` plus the look-alikes' kinds.

    Attributes:
        lookalikes: For remote records that are *not* a CRM relation's copy but are built to
            resemble one: ``chain branch`` (a franchisee: the chain's name and domain, its own
            KvK), ``company branch`` (the company's KvK and VAT number, its own establishment
            number), ``group member`` (a holding or subsidiary at one address) or ``namesake``
            (the same name elsewhere), by remote id.
    """

    lookalikes: Mapping[str, str] = attrs.field(factory=dict, hash=False)


def _zipf(items: tuple[str, ...], exponent: float) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, len(items) + 1)]


@attrs.define
class _World:
    """The population's shared pieces: streets per postcode, buildings, vocabularies."""

    rng: random.Random
    postcodes: list[tuple[str, str, str]]  # (postcode, street, town)
    surname_weights: list[float]
    trade_weights: list[float]
    buildings: list[tuple[str, str, str, int]] = attrs.field(factory=list)
    domains: set[str] = attrs.field(factory=set)
    kvks: set[str] = attrs.field(factory=set)

    def surname(self, *, capital: bool = False) -> str:
        name = self.rng.choices(voc.SURNAMES, weights=self.surname_weights)[0]
        prefix = self.rng.choice(voc.PREFIXES)
        if not prefix:
            return name
        # "Van der Berg" opens a name, "Jan van der Berg" keeps the prefix small.
        return f"{prefix[0].upper() + prefix[1:] if capital else prefix} {name}"

    def trade(self) -> str:
        return self.rng.choices(voc.TRADES, weights=self.trade_weights)[0]

    def address(self) -> Address:
        rng = self.rng
        if self.buildings and rng.random() < 0.06:
            # A business building: another tenant at the same number.
            postcode, street, town, number = rng.choice(self.buildings)
            addition = rng.choice(("", "", "A", "B", "-2", "-3"))
            return Address(
                line1=f"{street} {number}{addition}", postcode=postcode, city=town, country="NL"
            )
        if rng.random() < 0.2:
            # The rest of the country, thinly.
            town, low, high = rng.choice(voc.NL_CITIES)
            postcode = f"{rng.randint(low, high)} {num.nl_postcode_letters(rng)}"
            street = rng.choice(voc.NL_STREETS)
        else:
            postcode, street, town = rng.choice(self.postcodes)
        number = rng.randint(1, 250)
        if rng.random() < 0.05:
            self.buildings.append((postcode, street, town, number))
        return Address(line1=f"{street} {number}", postcode=postcode, city=town, country="NL")


def _world(rng: random.Random, size: int) -> _World:
    per_area = max(20, size // (len(_REGION) * _AREAS_PER_TOWN * 20))
    postcodes = []
    for town, low, high in _REGION:
        for area in rng.sample(range(low, high + 1), min(_AREAS_PER_TOWN, high - low + 1)):
            letters = {num.nl_postcode_letters(rng) for _ in range(per_area)}
            for pair in sorted(letters):
                root = rng.choice((*voc.SURNAMES, *voc.FIRST_NAMES))
                street = rng.choice((*voc.NL_STREETS, f"{root}{rng.choice(_STREET_PARTS)}"))
                postcodes.append((f"{area} {pair}", street, town))
    return _World(
        rng=rng,
        postcodes=postcodes,
        surname_weights=_zipf(voc.SURNAMES, 0.9),
        trade_weights=_zipf(voc.TRADES, 0.7),
    )


def _name(world: _World) -> str:
    rng = world.rng
    pattern = rng.randrange(11)
    form = rng.choice(_NL_FORMS)
    if pattern == 0:
        core = f"{world.trade()} {world.surname(capital=True)}"
    elif pattern == 1:
        core = f"{world.surname(capital=True)} {world.trade()}"
    elif pattern == 2:
        surname = world.surname(capital=True)
        core = rng.choice((f"Gebr. {surname}", f"Gebroeders {surname}"))
        core = f"{core} {world.trade()}" if rng.random() < 0.5 else core
    elif pattern == 3:
        core = f"{world.surname(capital=True)} {rng.choice(_SUFFIX_FORMS[3:])}"
    elif pattern == 4:
        initials = "".join(f"{rng.choice('ABCDEGHJKLMPRSTW')}." for _ in range(rng.randint(1, 2)))
        core = f"{initials} {world.surname()} {world.trade()}"
    elif pattern == 5:
        core = f"{rng.choice(voc.FANTASY_WORDS)} {world.trade()}"
    elif pattern == 6:
        town = rng.choice(_REGION)[0]
        core = f"{world.trade()} {world.surname(capital=True)} {town}"
    elif pattern == 7:
        core = f"{rng.choice(voc.FIRST_NAMES)} {world.surname()} {world.trade()}"
    elif pattern == 8:
        core = f"{world.surname(capital=True)} & {world.surname(capital=True)}"
    elif pattern == 9:
        core = f"{world.trade()} {rng.choice(voc.FANTASY_WORDS)}"
    else:
        # Without a legal form: a sole trader's name.
        return f"{world.trade()} {world.surname(capital=True)}"
    return f"{core} {form}".strip()


@attrs.define
class _Business:
    name: str
    address: Address
    kvk: str
    vat: str
    iban: str
    domain: str | None
    phone: str
    establishment: str
    branch: bool
    email: str | None


def _domain(world: _World, name: str) -> str | None:
    rng = world.rng
    if rng.random() < 0.2:
        return None
    words = [w for w in name.lower().replace(".", "").replace("&", "").split() if w.isalpha()]
    stem = "".join(words[:3]) if rng.random() < 0.6 else "-".join(words[:3])
    domain = f"{stem or 'bedrijf'}.nl"
    while domain in world.domains:
        # A domain has one owner: the next business with the name picks another.
        domain = f"{stem or 'bedrijf'}{rng.randrange(1, 1000)}.nl"
    world.domains.add(domain)
    return domain


def _unique_kvk(world: _World) -> str:
    # The trade register hands each number out once.
    number = num.kvk_number(world.rng)
    while number in world.kvks:
        number = num.kvk_number(world.rng)
    world.kvks.add(number)
    return number


def _business(world: _World, **fixed: str | Address | None) -> _Business:
    rng = world.rng
    name = str(fixed.get("name") or _name(world))
    domain = fixed["domain"] if "domain" in fixed else _domain(world, name)
    return _Business(
        name=name,
        address=fixed.get("address") or world.address(),  # type: ignore[arg-type]
        kvk=str(fixed.get("kvk") or _unique_kvk(world)),
        vat=str(fixed.get("vat") or num.nl_vat_number(rng)),
        iban=str(fixed.get("iban") or num.nl_iban(rng)[0]),
        domain=domain if isinstance(domain, str) else None,
        phone=str(fixed.get("phone") or num.phone_number(rng, "NL")),
        establishment=f"{rng.randrange(10**11, 10**12):012d}",
        branch=bool(fixed.get("branch")),
        # One string per business, shared by its records: the data set must fit in memory
        # beside the index at 100,000 x 100,000.
        email=f"{rng.choice(('info', 'administratie', 'facturen'))}@{domain}" if domain else None,
    )


def _population(world: _World, size: int) -> tuple[list[_Business], dict[int, str]]:
    """``size`` businesses: mostly independent ones, plus chains and holding groups."""
    rng = world.rng
    found: list[_Business] = []
    kinds: dict[int, str] = {}
    while len(found) < size:
        roll = rng.random()
        if roll < 0.005:
            # A franchise: every branch its own company under the chain's name and domain.
            head = _business(world)
            for _ in range(rng.randint(2, 15)):
                kinds[len(found)] = "chain branch"
                found.append(_business(world, name=head.name, domain=head.domain))
        elif roll < 0.007:
            # A company with branches: one KvK and VAT number, an establishment number each.
            head = _business(world)
            iban = head.iban if rng.random() < 0.5 else None
            for _ in range(rng.randint(2, 15)):
                kinds[len(found)] = "company branch"
                found.append(
                    _business(
                        world,
                        name=head.name,
                        kvk=head.kvk,
                        vat=head.vat,
                        iban=iban,
                        domain=head.domain,
                        branch="yes",
                    )
                )
        elif roll < 0.035:
            surname = world.surname(capital=True)
            head = _business(world, name=f"{surname} Holding B.V.")
            kinds[len(found)] = "group member"
            found.append(head)
            labels = rng.sample(
                (world.trade(), "Vastgoed", "Projecten", "Onderhoud"), rng.randint(1, 3)
            )
            for label in labels:
                kinds[len(found)] = "group member"
                found.append(
                    _business(
                        world,
                        name=f"{surname} {label} B.V.",
                        address=head.address,
                        domain=head.domain,
                        phone=head.phone if rng.random() < 0.5 else None,
                        vat=head.vat if rng.random() < 0.3 else None,
                    )
                )
        else:
            found.append(_business(world))
    return found[:size], kinds


def _relation(rng: random.Random, business: _Business, record_id: str) -> Relation:
    """One system's record of a business: every identifier is missing now and then."""
    email = business.email
    coc = business.kvk if rng.random() < 0.6 else None
    vat = business.vat if rng.random() < 0.55 else None
    iban = business.iban if rng.random() < 0.5 else None
    # The label says a company's branches are distinct relations. By issue #10's rule an
    # identifier they share (KvK, VAT number, IBAN) joins two records unless their
    # establishment numbers differ, so a system that keeps branches apart records a branch's
    # establishment number with its company's identifiers. Others do so now and then.
    with_establishment = (business.branch and bool(coc or vat or iban)) or rng.random() < 0.25
    return Relation(
        id=record_id,
        name=business.name,
        roles=_CUSTOMER if rng.random() < 0.8 else _SUPPLIER,
        visiting_address=business.address,
        email=email if rng.random() < 0.75 else None,
        phone=business.phone if rng.random() < 0.7 else None,
        website=f"https://www.{business.domain}"
        if business.domain and rng.random() < 0.3
        else None,
        vat_number=vat,
        coc_number=coc,
        iban=iban,
        extra=(
            MappingProxyType({"establishment_number": business.establishment})
            if with_establishment
            else _NO_EXTRA
        ),
    )


_KINDS: dict[VariantKind, int] = {
    VariantKind.NAME_TYPO: 10,
    VariantKind.NAME_CASE: 8,
    VariantKind.LEGAL_FORM: 16,
    VariantKind.AMPERSAND: 4,
    VariantKind.STREET_ABBREVIATION: 10,
    VariantKind.POSTCODE_FORMAT: 10,
    VariantKind.MISSING_POSTCODE: 3,
    VariantKind.IDENTIFIER_FORMAT: 8,
    VariantKind.EMAIL_CASE: 4,
    VariantKind.MISSING_CONTACT_DATA: 5,
}
_SWAPS = (("Gebr. ", "Gebroeders "), ("Gebroeders ", "Gebr. "), (" & Zn", " en Zonen"))


def _copy(
    world: _World, business: _Business, remote_id: str
) -> tuple[Relation, tuple[VariantKind, ...]]:
    """The administration's record of a business the CRM also has, as people type it."""
    rng = world.rng
    if rng.random() < 0.015:
        # One side still has the old address; most businesses move within their region.
        business = attrs.evolve(business, address=world.address())
        moved: tuple[VariantKind, ...] = (VariantKind.MOVED,)
    else:
        moved = ()
    kinds = tuple(
        dict.fromkeys(
            rng.choices(list(_KINDS), weights=list(_KINDS.values()), k=rng.choice((0, 1, 1, 2, 3)))
        )
    )
    relation = make_variant(_relation(rng, business, remote_id), kinds, rng)
    name = relation.name
    for old, new in _SWAPS:
        if old in name and rng.random() < 0.5:
            name = name.replace(old, new, 1)
    words = name.split()
    if len(words) == 2 and rng.random() < 0.1:
        name = f"{words[1]} {words[0]}"  # "Jansen Bakkerij" for "Bakkerij Jansen"
    if relation.coc_number and rng.random() < 0.002:
        # A mistyped KvK number: the pair now carries evidence against itself.
        relation = attrs.evolve(relation, coc_number=_unique_kvk(world))
    return attrs.evolve(relation, name=name), moved + kinds


def dense_matching_dataset(
    n_crm: int,
    n_remote: int,
    overlap: float = 0.6,
    seed: int = 0,
    *,
    administration: str = "main",
) -> DenseMatchingDataset:
    """A labelled matching data set drawn from one dense regional population.

    ``round(overlap * min(n_crm, n_remote))`` CRM relations also exist in the administration,
    as variants (typos, ``B.V.``/``BV``/``bv``, ``Gebr.``/``Gebroeders``, reordered words,
    reformatted or missing postcodes, identifiers missing on either side, a few moves and
    mistyped KvK numbers). The other remote relations are other businesses of the same
    population: the same names in other towns, other branches of the CRM's chains, other
    members of its holding groups.

    Raises:
        ValueError: ``overlap`` is outside 0-1 or a size is negative.
    """
    if not 0 <= overlap <= 1 or n_crm < 0 or n_remote < 0:
        raise ValueError("overlap must be within 0..1 and sizes non-negative")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    shared = round(overlap * min(n_crm, n_remote))
    total = n_crm + n_remote - shared
    world = _world(rng, total)
    population, kinds = _population(world, total)
    population_order = list(range(total))
    rng.shuffle(population_order)
    crm_side = population_order[:n_crm]
    remote_only = population_order[n_crm : n_crm + n_remote - shared]
    crm = tuple(
        _relation(rng, population[b], f"crm-{i:06d}") for i, b in enumerate(crm_side, start=1)
    )
    remote: list[RemoteRecord[Relation]] = []
    pairs: set[tuple[str, str]] = set()
    variants: dict[tuple[str, str], tuple[VariantKind, ...]] = {}
    for position in sorted(rng.sample(range(n_crm), shared)):
        remote_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        data, made = _copy(world, population[crm_side[position]], remote_id)
        remote.append(RemoteRecord(administration=administration, remote_id=remote_id, data=data))
        pairs.add((crm[position].id, remote_id))
        variants[crm[position].id, remote_id] = made
    crm_names = {relation.name for relation in crm}
    lookalikes: dict[str, str] = {}
    for b in remote_only:
        remote_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        data = _relation(rng, population[b], remote_id)
        remote.append(RemoteRecord(administration=administration, remote_id=remote_id, data=data))
        if b in kinds:
            lookalikes[remote_id] = kinds[b]
        elif data.name in crm_names:
            lookalikes[remote_id] = "namesake"
    rng.shuffle(remote)
    return DenseMatchingDataset(
        administration=administration,
        crm=crm,
        remote=tuple(remote),
        pairs=frozenset(pairs),
        variants=variants,
        lookalikes=lookalikes,
    )
