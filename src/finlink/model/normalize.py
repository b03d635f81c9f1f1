"""Explicit normalisation: the canonical form of a relation, as backends send it.

Constructing a model never changes data; this is the one documented place where finlink does.
Each step is safe to repeat (normalising twice gives the same result) and only touches values
that validate: an invalid IBAN is left exactly as the CRM holds it, so the validation error
still shows what the user typed. A record already in canonical form comes back as it is, the
same object: building an equal copy (and checking its structure again) is most of the cost of
normalising, and most records a CRM sends are canonical already.
"""

from __future__ import annotations

import functools
import operator
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
# The relation's text fields normalize_relation() may change, in its order of them.
_text_fields = operator.attrgetter(
    "name",
    "number",
    "email",
    "phone",
    "mobile",
    "website",
    "vat_number",
    "coc_number",
    "iban",
    "bic",
    "currency",
    "language",
)


def _text(value: str | None) -> str | None:
    """Trim and fold inner runs of white space; an all-blank value becomes None."""
    if value is None:
        return None
    # Most values are folded already; spare them the regular expression. In a printable
    # string the only white space is the plain space (every other white-space character is
    # unprintable), so no double, leading or trailing space means nothing to fold. A str
    # subclass still takes the long way, which returns a plain str.
    if (
        type(value) is str
        and value.isprintable()
        and "  " not in value
        and not value.startswith(" ")
        and not value.endswith(" ")
    ):
        return value or None
    folded = _SPACES.sub(" ", value).strip()
    return folded or None


def _same(new: object, old: object) -> bool:
    """Whether normalising left ``old`` as it was: an equal value of the very same type.

    The type counts: a ``str`` subclass (Django's ``SafeString``, say) comes out a plain
    ``str``, as it always did, so such a record is built anew.
    """
    return new is old or (type(new) is type(old) and new == old)


def normalize_address(address: Address) -> Address:
    """Trim every line, upper-case the country, and put the postcode in its country's form."""
    country = address.country.strip().upper()
    postcode = _text(address.postcode)
    if postcode is not None and check_postcode(postcode, country) is None:
        postcode = normalize_postcode(postcode, country)
    line1 = _text(address.line1) or ""
    line2 = _text(address.line2)
    city = _text(address.city) or ""
    if (
        _same(line1, address.line1)
        and _same(line2, address.line2)
        and _same(postcode, address.postcode)
        and _same(city, address.city)
        and _same(country, address.country)
    ):
        return address
    return attrs.evolve(
        address, line1=line1, line2=line2, postcode=postcode, city=city, country=country
    )


@functools.lru_cache(maxsize=4096)
def normalize_contact(contact: Contact) -> Contact:
    """Trim names and titles and put the e-mail domain in lower case.

    Contacts are immutable, so results are cached: a relation's contacts are normalised with
    it (:func:`normalize_relation`), and the engine's payload of each contact sent a moment
    later then costs a look-up instead of building every contact again.
    """
    email = _text(contact.email)
    first_name = _text(contact.first_name)
    last_name = _text(contact.last_name)
    email = normalize_email(email) if email else None
    phone = _text(contact.phone)
    job_title = _text(contact.job_title)
    if (
        _same(first_name, contact.first_name)
        and _same(last_name, contact.last_name)
        and _same(email, contact.email)
        and _same(phone, contact.phone)
        and _same(job_title, contact.job_title)
    ):
        return contact
    return attrs.evolve(
        contact,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        job_title=job_title,
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
    name = _text(relation.name) or ""
    number = _text(relation.number)
    email = normalize_email(email) if email else None
    phone = _text(relation.phone)
    mobile = _text(relation.mobile)
    website = _text(relation.website)
    vat = normalize_vat_number(vat) if vat and check_vat_number(vat) is None else vat
    if coc and check_coc_number(coc, country) is None:
        coc = normalize_coc_number(coc, country)
    iban = normalize_iban(iban) if iban and check_iban(iban) is None else iban
    bic = normalize_bic(bic) if bic and check_bic(bic) is None else bic
    currency = relation.currency.strip().upper()
    language = language.lower().replace("_", "-") if language else None
    visiting = relation.visiting_address
    postal = relation.postal_address
    visiting_address = normalize_address(visiting) if visiting else None
    postal_address = normalize_address(postal) if postal else None
    contacts = tuple(normalize_contact(c) for c in relation.contacts)
    text = (name, number, email, phone, mobile, website, vat, coc, iban, bic, currency, language)
    if (
        all(map(_same, text, _text_fields(relation)))
        and visiting_address is visiting
        and postal_address is postal
        and type(relation.contacts) is tuple
        and all(new is old for new, old in zip(contacts, relation.contacts, strict=True))
    ):
        return relation
    return attrs.evolve(
        relation,
        name=name,
        number=number,
        visiting_address=visiting_address,
        postal_address=postal_address,
        email=email,
        phone=phone,
        mobile=mobile,
        website=website,
        vat_number=vat,
        coc_number=coc,
        iban=iban,
        bic=bic,
        currency=currency,
        language=language,
        contacts=contacts,
    )
