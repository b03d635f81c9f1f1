"""Explicit normalisation: the canonical form of a relation, as backends send it.

Constructing a model never changes data; this is the one documented place where finlink does.
Each step is safe to repeat (normalising twice gives the same result) and only touches values
that validate: an invalid IBAN is left exactly as the CRM holds it, so the validation error
still shows what the user typed.
"""

from __future__ import annotations

import functools
import re

import attrs

from finlink.model.identifiers import (
    check_bic,
    check_coc_number,
    check_iban,
    check_postcode,
    check_vat_number,
    normalize_bic,
    normalize_coc_number,
    normalize_email,
    normalize_iban,
    normalize_postcode,
    normalize_vat_number,
)
from finlink.model.relation import Address, Contact, Relation

__all__ = ["normalize_address", "normalize_contact", "normalize_relation"]

_SPACES = re.compile(r"\s+")


def _text(value: str | None) -> str | None:
    """Trim and fold inner runs of white space; an all-blank value becomes None."""
    if value is None:
        return None
    folded = _SPACES.sub(" ", value).strip()
    return folded or None


def normalize_address(address: Address) -> Address:
    """Trim every line, upper-case the country, and put the postcode in its country's form."""
    country = address.country.strip().upper()
    postcode = _text(address.postcode)
    if postcode is not None and check_postcode(postcode, country) is None:
        postcode = normalize_postcode(postcode, country)
    return attrs.evolve(
        address,
        line1=_text(address.line1) or "",
        line2=_text(address.line2),
        postcode=postcode,
        city=_text(address.city) or "",
        country=country,
    )


@functools.lru_cache(maxsize=4096)
def normalize_contact(contact: Contact) -> Contact:
    """Trim names and titles and put the e-mail domain in lower case.

    Contacts are immutable, so results are cached: a relation's contacts are normalised with
    it (:func:`normalize_relation`), and the engine's payload of each contact sent a moment
    later then costs a look-up instead of building every contact again.
    """
    email = _text(contact.email)
    return attrs.evolve(
        contact,
        first_name=_text(contact.first_name),
        last_name=_text(contact.last_name),
        email=normalize_email(email) if email else None,
        phone=_text(contact.phone),
        job_title=_text(contact.job_title),
    )


@functools.lru_cache(maxsize=4096)
def normalize_relation(relation: Relation) -> Relation:
    """Return ``relation`` in canonical form.

    - text fields trimmed, inner white space folded, blank values to ``None``;
    - VAT number ``nl 8525.91.239 b01`` → ``NL852591239B01``; IBAN and BIC compact, upper case;
    - KvK digits only; Dutch postcodes ``1234 AB``; countries and currency upper case;
    - e-mail domains lower case; the language code lower case.

    Values that do not validate are left as they are.

    Relations are immutable, so results are cached: the engine and a backend normalising the
    same record (for the snapshot, and again before sending) pay for the checksums once.
    """
    address = relation.address
    country = address.country.strip().upper() if address else None
    vat = _text(relation.vat_number)
    iban = _text(relation.iban)
    bic = _text(relation.bic)
    coc = _text(relation.coc_number)
    email = _text(relation.email)
    language = _text(relation.language)
    return attrs.evolve(
        relation,
        name=_text(relation.name) or "",
        number=_text(relation.number),
        visiting_address=(
            normalize_address(relation.visiting_address) if relation.visiting_address else None
        ),
        postal_address=(
            normalize_address(relation.postal_address) if relation.postal_address else None
        ),
        email=normalize_email(email) if email else None,
        phone=_text(relation.phone),
        mobile=_text(relation.mobile),
        website=_text(relation.website),
        vat_number=normalize_vat_number(vat) if vat and check_vat_number(vat) is None else vat,
        coc_number=(
            normalize_coc_number(coc, country)
            if coc and check_coc_number(coc, country) is None
            else coc
        ),
        iban=normalize_iban(iban) if iban and check_iban(iban) is None else iban,
        bic=normalize_bic(bic) if bic and check_bic(bic) is None else bic,
        currency=relation.currency.strip().upper(),
        language=language.lower().replace("_", "-") if language else None,
        contacts=tuple(normalize_contact(c) for c in relation.contacts),
    )
