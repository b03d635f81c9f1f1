"""Labelled duplicate variants: the same relation as another system or person would type it.

:func:`make_variant` applies one or more :class:`VariantKind` edits to a relation and returns a
relation that still validates. Matching tests and the benchmark use it to make remote copies
whose ground truth is known.
"""

from __future__ import annotations

import enum
import random
import re
import unicodedata
from collections.abc import Iterable

import attrs

from finlink.model.relation import Address, Relation
from finlink.testing._numbers import nl_postcode_letters
from finlink.testing._vocabulary import NL_CITIES, NL_STREETS

__all__ = ["VariantKind", "make_variant"]


class VariantKind(enum.StrEnum):
    """One way a copy of a relation differs from the original."""

    NAME_TYPO = "name_typo"
    """One typing error (swap, drop, double or replace a letter) in the longest name word."""
    NAME_CASE = "name_case"
    """The name in upper, lower or title case."""
    LEGAL_FORM = "legal_form"
    """The legal form written differently (``B.V.`` / ``BV`` / ``b.v.``), dropped or added."""
    AMPERSAND = "ampersand"
    """``&`` written as ``en`` or the other way round."""
    DIACRITICS = "diacritics"
    """Accents dropped (``Coöperatie`` → ``Cooperatie``, ``Café`` → ``Cafe``)."""
    STREET_ABBREVIATION = "street_abbreviation"
    """``straat`` → ``str.``, ``laan`` → ``ln``, ``weg`` → ``wg``; ``12a`` → ``12 A``."""
    POSTCODE_FORMAT = "postcode_format"
    """The postcode without its space or in lower case."""
    MISSING_POSTCODE = "missing_postcode"
    """The address has no postcode."""
    MISSING_IDENTIFIERS = "missing_identifiers"
    """Some of VAT number, KvK number and IBAN left out."""
    IDENTIFIER_FORMAT = "identifier_format"
    """VAT, KvK and IBAN written with spaces and dots."""
    EMAIL_CASE = "email_case"
    """The e-mail domain in upper or mixed case."""
    MISSING_CONTACT_DATA = "missing_contact_data"
    """No e-mail, website, phone or contacts."""
    MOVED = "moved"
    """Another address (the relation moved, or one side has an old address)."""


_TYPO_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"
_LEGAL_SPELLINGS = {
    "B.V.": ("BV", "b.v.", "B.V", "Besloten Vennootschap", ""),
    "BV": ("B.V.", "bv", ""),
    "V.O.F.": ("VOF", "v.o.f.", ""),
    "VOF": ("V.O.F.", "vof", ""),
    "N.V.": ("NV", "n.v.", ""),
    "C.V.": ("CV", "c.v.", ""),
}
_LEGAL_AT_END = re.compile(r"\s+(B\.V\.|BV|V\.O\.F\.|VOF|N\.V\.|C\.V\.)$")
_STREET_SHORT = (("straat", "str."), ("laan", "ln"), ("weg", "wg"), ("plein", "pln"))
_HOUSE = re.compile(r"(\d+)([a-z])$")


def _typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 1)
    action = rng.randrange(4)
    if action == 0:
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    if action == 1:
        return word[:position] + word[position + 1 :]
    if action == 2:
        return word[:position] + word[position] + word[position:]
    return word[:position] + rng.choice(_TYPO_NEIGHBOURS) + word[position + 1 :]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _name(name: str, kind: VariantKind, rng: random.Random) -> str:  # noqa: PLR0911 - one per kind
    if kind is VariantKind.NAME_TYPO:
        words = name.split()
        longest = max(range(len(words)), key=lambda i: (len(words[i]), -i))
        if len(words[longest]) >= 5:
            words[longest] = _typo(words[longest], rng)
        return " ".join(words)
    if kind is VariantKind.NAME_CASE:
        return rng.choice((name.upper(), name.lower(), name.title()))
    if kind is VariantKind.LEGAL_FORM:
        found = _LEGAL_AT_END.search(name)
        if found is None:
            if name.split(" ", 1)[0] in ("Stichting", "Vereniging", "Coöperatie"):
                return name  # a foundation or association never carries "B.V."
            return f"{name} {rng.choice(('B.V.', 'BV'))}"
        spelling = rng.choice(_LEGAL_SPELLINGS[found.group(1)])
        return (name[: found.start()] + (f" {spelling}" if spelling else "")).strip()
    if kind is VariantKind.AMPERSAND:
        return name.replace(" & ", " en ") if " & " in name else name.replace(" en ", " & ")
    if kind is VariantKind.DIACRITICS:
        return _strip_accents(name)
    return name


def _address(address: Address, kind: VariantKind, rng: random.Random) -> Address:
    if kind is VariantKind.STREET_ABBREVIATION:
        line = address.line1
        for full, short in _STREET_SHORT:
            if full in line:
                line = line.replace(full, short, 1)
                break
        line = _HOUSE.sub(
            lambda m: f"{m.group(1)}{rng.choice((' ', '-'))}{m.group(2).upper()}", line
        )
        return attrs.evolve(address, line1=line)
    if kind is VariantKind.POSTCODE_FORMAT and address.postcode:
        code = address.postcode
        return attrs.evolve(address, postcode=rng.choice((code.replace(" ", ""), code.lower())))
    if kind is VariantKind.MISSING_POSTCODE:
        return attrs.evolve(address, postcode=None)
    if kind is VariantKind.DIACRITICS:
        return attrs.evolve(address, line1=_strip_accents(address.line1))
    if kind is VariantKind.MOVED:
        city, postcode = address.city, address.postcode
        if address.country == "NL":
            city, low, high = rng.choice(NL_CITIES)
            postcode = f"{rng.randint(low, high)} {nl_postcode_letters(rng)}"
        line1 = f"{rng.choice(NL_STREETS)} {rng.randint(1, 300)}"
        return attrs.evolve(address, line1=line1, postcode=postcode, city=city)
    return address


def _spaced(value: str, size: int, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


def _identifiers(rel: Relation, kind: VariantKind, rng: random.Random) -> Relation:
    if kind is VariantKind.MISSING_IDENTIFIERS:
        present = [f for f in ("vat_number", "coc_number", "iban") if getattr(rel, f)]
        if not present:
            return rel
        dropped = set(rng.sample(present, rng.randint(1, len(present))))
        return attrs.evolve(
            rel,
            vat_number=None if "vat_number" in dropped else rel.vat_number,
            coc_number=None if "coc_number" in dropped else rel.coc_number,
            iban=None if "iban" in dropped else rel.iban,
            bic=None if "iban" in dropped else rel.bic,
        )
    if kind is VariantKind.IDENTIFIER_FORMAT:
        vat, iban, coc = rel.vat_number, rel.iban, rel.coc_number
        return attrs.evolve(
            rel,
            vat_number=f"{vat[:2]} {_spaced(vat[2:], 4, '.')}" if vat else None,
            iban=_spaced(iban, 4) if iban else None,
            coc_number=_spaced(coc, 4) if coc and len(coc) == 8 else coc,
        )
    if kind is VariantKind.EMAIL_CASE and rel.email:
        local, _, domain = rel.email.rpartition("@")
        return attrs.evolve(rel, email=f"{local}@{rng.choice((domain.upper(), domain.title()))}")
    if kind is VariantKind.MISSING_CONTACT_DATA:
        return attrs.evolve(rel, email=None, website=None, phone=None, mobile=None, contacts=())
    return rel


def make_variant(
    relation: Relation,
    kinds: Iterable[VariantKind],
    rng: random.Random,
    *,
    new_id: str | None = None,
) -> Relation:
    """Return ``relation`` as another system might hold it, after the given edits.

    The result still passes :func:`finlink.validate` when ``relation`` does.

    Args:
        relation: The original.
        kinds: The edits to apply, in order.
        rng: The random generator (the edit details are drawn from it).
        new_id: The id of the copy (default: the original's).
    """
    result = relation
    for kind in kinds:
        visiting, postal = result.visiting_address, result.postal_address
        result = attrs.evolve(
            result,
            name=_name(result.name, kind, rng),
            visiting_address=_address(visiting, kind, rng) if visiting else None,
            # A moved relation's PO box stays where it was.
            postal_address=(
                _address(postal, kind, rng) if postal and kind is not VariantKind.MOVED else postal
            ),
        )
        result = _identifiers(result, kind, rng)
    if new_id is not None:
        result = attrs.evolve(result, id=new_id)
    return result
