"""Checks and canonical forms of the identifiers a relation carries.

Every ``check_*`` function takes the value as the CRM holds it and returns ``None`` when it is
valid, or a ``(rule, message)`` pair saying which rule it breaks in words a bookkeeper reads.
Checks are tolerant of formatting (spaces, dots, case): ``nl 8525.91.239 b01`` *denotes* a VAT
number. The ``normalize_*`` functions give the canonical form backends send.

python-stdnum is the authority on every checksum (EU VAT numbers, IBAN, BIC, Dutch postcodes).
The common cases (an IBAN, a Dutch or Belgian VAT number, a BIC or a Dutch postcode written
in plain ASCII) first take a fast path that only ever *accepts*: it repeats stdnum's rules for
exactly those inputs, in a fraction of the time. Anything it does not accept (every invalid
value, and anything unusual, such as non-ASCII characters) goes to stdnum, which decides and
names the rule broken. So the results are stdnum's; a property test holds the two to that.
"""

from __future__ import annotations

import functools
import operator
import re

from stdnum import bic as _bic
from stdnum import iban as _iban
from stdnum import numdb as _numdb
from stdnum.be import vat as _be_vat
from stdnum.eu import vat as _eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.nl import postcode as _nl_postcode

from finlink.model._codes import COUNTRY_CODES, CURRENCY_CODES

__all__ = [
    "RuleBreach",
    "check_bic",
    "check_coc_number",
    "check_country",
    "check_currency",
    "check_email",
    "check_iban",
    "check_language",
    "check_phone",
    "check_postcode",
    "check_vat_number",
    "check_website",
    "normalize_bic",
    "normalize_coc_number",
    "normalize_email",
    "normalize_iban",
    "normalize_postcode",
    "normalize_vat_number",
]

#: ``(rule, message)``: which rule a value breaks, and a sentence saying so.
RuleBreach = tuple[str, str]

_SPACES = re.compile(r"\s+")
#: Checksum results kept per function. The engine validates a record and normalises it a
#: moment later (a chunk of records apart), and both check the same identifiers: with the
#: results cached the checksums are computed once. The values are small text, and the oldest
#: results go first, so memory stays bounded however many records pass.
_CACHED = 4096
# Pragmatic e-mail syntax: one @, a local part without spaces, a domain with a dot and a TLD of
# two or more letters. Full RFC 5322 admits addresses no accounting system accepts.
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]+$")
_NO_DIGITS = str.maketrans("", "", "0123456789")
_WEBSITE = re.compile(
    r"^(?:https?://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(?::\d{1,5})?(?:[/?#]\S*)?$"
)
_LANGUAGE = re.compile(r"^[A-Za-z]{2}(?:[-_][A-Za-z]{2})?$")
_KVK = re.compile(r"^\d{8}$")
_BE_POSTCODE = re.compile(r"^[1-9]\d{3}$")


def _compact(value: str) -> str:
    # In a printable string the only white space is the plain space (see normalize._text).
    value = value.replace(" ", "") if value.isprintable() else _SPACES.sub("", value)
    return value.replace(".", "").replace("-", "").upper()


# --- Fast paths. Each returns True only where stdnum would accept the value as well; a False
# means "not decided here", never "invalid". They only take ASCII input: stdnum first maps some
# non-ASCII characters (full-width digits, typographic dashes) to ASCII, which they do not
# repeat, and of ASCII it maps only the backtick, which no fast path lets through.


def _plain(value: str, drop: str) -> str | None:
    """``value`` without ``drop``'s characters, upper case, if ASCII letters and digits remain.

    ``drop`` is a subset of ``" -."``; a value with anything else gives None.

    For such a value this is exactly stdnum's ``clean(value, drop).strip().upper()``.
    """
    if not value.isascii():
        return None
    for char in drop:
        value = value.replace(char, "")
    value = value.upper()
    return value if value.isalnum() else None


_BBAN_PART = re.compile(r"([1-9][0-9]*)!([nac])")


def _iban_structures() -> dict[str, str]:
    """Each country's BBAN as a regular expression (its source), from stdnum's IBAN registry.

    stdnum looks the country's properties up by the number's prefix and matches the BBAN
    against the structure (``4!a10!n``: 4 letters, 10 digits) turned into a regular
    expression, as here. The registry is read once, at import; each expression is compiled
    when an IBAN of its country first comes by. Should the registry's layout ever differ
    from what this reads (a prefix that is not one exact two-letter country), the table stays
    empty and every IBAN goes to stdnum.
    """
    merged: dict[str, dict[str, str]] = {}
    for length, low, high, props, _children in _numdb.get("iban").prefixes:
        if length != 2 or low != high:
            return {}
        merged.setdefault(low, {}).update(props)  # as stdnum merges props of one prefix
    kinds = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Za-z0-9]"}

    def pattern(structure: str) -> str:
        parts = _BBAN_PART.sub(lambda m: f"{kinds[m.group(2)]}{{{m.group(1)}}}", structure)
        return f"^{parts}$"

    return {
        country: pattern(props["bban"]) for country, props in merged.items() if props.get("bban")
    }


_IBAN_BBAN = _iban_structures()


@functools.cache
def _bban_pattern(source: str) -> re.Pattern[str]:
    # Compiled on first use: compiling all ~90 at import would cost milliseconds every start.
    return re.compile(source)


# ISO 7064 mod 97-10 reads letters as numbers: A = 10 ... Z = 35.
_LETTER_NUMBERS = str.maketrans({chr(code): str(code - 55) for code in range(65, 91)})


def _iban_plainly_valid(value: str) -> bool:
    """Whether stdnum's ``iban.validate(value, check_country=False)`` accepts ``value``."""
    number = _plain(value, " -.")
    if number is None:
        return False
    structure = _IBAN_BBAN.get(number[:2])
    if structure is None or not _bban_pattern(structure).match(number[4:]):
        return False
    return int((number[4:] + number[:4]).translate(_LETTER_NUMBERS)) % 97 == 1


def _be_enterprise_plainly_valid(digits: str) -> bool:
    """Whether stdnum's ``be.vat`` accepts ``digits``: 9 or 10 ASCII digits (no prefix).

    A 9-digit number is an old one, before it gained its leading 0.
    """
    if not (digits.isascii() and digits.isdigit() and len(digits) in (9, 10)):
        return False
    number = digits.zfill(10)
    return number[0] in "01" and int(number) > 0 and (int(number[:-2]) + int(number[-2:])) % 97 == 0


# The 11-test weighs the first eight digits 9 down to 2 (the ninth is subtracted).
_ELEVEN_TEST_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def _vat_plainly_valid(number: str) -> bool:
    """Whether stdnum's ``eu.vat.validate`` accepts ``number`` (compacted, upper case).

    Dutch and Belgian numbers only. A Dutch btw-nummer is nine digits, ``B`` and two digits;
    the nine digits pass the 11-test (as a BSN) or, since 2020 for sole proprietors, the whole
    ``NL...`` passes ISO 7064 mod 97-10.
    """
    if not (number.isascii() and number.isalnum()):
        return False
    country, rest = number[:2], number[2:]
    if country == "BE":
        return _be_enterprise_plainly_valid(rest)
    if country != "NL" or len(rest) != 12 or rest[9] != "B":
        return False
    digits, suffix = rest[:9], rest[10:]
    if not (digits.isdigit() and suffix.isdigit()) or int(digits) == 0 or int(suffix) == 0:
        return False
    eleven = sum(map(operator.mul, _ELEVEN_TEST_WEIGHTS, map(int, digits))) - int(digits[8])
    # "NL" and "B" in mod 97-10 numbers: N = 23, L = 21, B = 11.
    return eleven % 11 == 0 or int(f"2321{digits}11{suffix}") % 97 == 1


_NL_POSTCODE_NEVER_ISSUED = ("SA", "SD", "SS")


def _nl_postcode_plainly_valid(value: str) -> bool:
    """Whether stdnum's ``nl.postcode.validate`` accepts ``value`` (``1234 AB``)."""
    code = _plain(value, " -")
    return (
        code is not None
        and len(code) == 6
        and code[0] != "0"
        and code[:4].isdigit()
        and code[4:].isalpha()
        and code[4:] not in _NL_POSTCODE_NEVER_ISSUED
    )


@functools.cache
def _bic_countries() -> frozenset[str]:
    """The ISO countries finlink knows that stdnum accepts in a BIC, asked of stdnum itself.

    stdnum accepts ISO 3166-1 and Kosovo; a BIC of a country not in this set goes to stdnum.
    Worked out on the first BIC rather than at import, which it would slow by a millisecond.
    """
    return frozenset(code for code in COUNTRY_CODES if _bic.is_valid(f"AAAA{code}22"))


def _bic_plainly_valid(value: str) -> bool:
    """Whether stdnum's ``bic.is_valid`` accepts ``value``.

    A BIC is 4 letters of the bank, 2 of the country, 2 letters or digits of the location and
    optionally 3 of the branch.
    """
    code = _plain(value, " -")
    return (
        code is not None
        and len(code) in (8, 11)
        and code[:6].isalpha()
        and code[4:6] in _bic_countries()
    )


def check_vat_number(value: str) -> RuleBreach | None:
    """An EU VAT number, with country prefix and a valid check digit (stdnum ``eu.vat``)."""
    return _check_vat_number(value)


@functools.lru_cache(maxsize=_CACHED)
def _check_vat_number(value: str) -> RuleBreach | None:
    if _vat_plainly_valid(_compact(value)):
        return None
    return _check_vat_number_stdnum(value)


def _check_vat_number_stdnum(value: str) -> RuleBreach | None:
    number = _compact(value)
    if not re.match(r"^[A-Z]{2}", number):
        return (
            "vat_number",
            "must start with the two-letter country prefix (e.g. NL123456789B01, BE0123456789)",
        )
    try:
        _eu_vat.validate(number)
    except InvalidChecksum:
        return ("vat_number", "is not a valid VAT number: the check digit does not match")
    except InvalidLength:
        return ("vat_number", "is not a valid VAT number: wrong length for its country")
    except ValidationError:
        return ("vat_number", "is not a valid VAT number for its country")
    return None


def normalize_vat_number(value: str) -> str:
    """Canonical VAT number: no spaces, dots or dashes, upper case (``NL852591239B01``)."""
    return _compact(value)


def check_iban(value: str) -> RuleBreach | None:
    """An IBAN with the right length for its country and a valid ISO 13616 check."""
    return _check_iban(value)


@functools.lru_cache(maxsize=_CACHED)
def _check_iban(value: str) -> RuleBreach | None:
    if _iban_plainly_valid(value):
        return None
    return _check_iban_stdnum(value)


def _check_iban_stdnum(value: str) -> RuleBreach | None:
    # check_country=False: stdnum's per-country modules also look the bank code up in a list
    # that lags behind reality (it refuses BE68 5390 0754 7034, a published example); the
    # mod-97 check and the per-country length and structure are what matter here.
    try:
        _iban.validate(value, check_country=False)
    except InvalidChecksum:
        return ("iban", "is not a valid IBAN: the check digits do not match (a typo?)")
    except ValidationError:
        return ("iban", "is not a valid IBAN: wrong length or format for its country")
    return None


def normalize_iban(value: str) -> str:
    """Canonical IBAN: no spaces, upper case (``NL91ABNA0417164300``)."""
    plain = _plain(value, " -.")
    return plain if plain is not None else str(_iban.compact(value))


def check_bic(value: str) -> RuleBreach | None:
    """A BIC (ISO 9362): 8 or 11 characters, bank, country and location code."""
    return _check_bic(value)


@functools.lru_cache(maxsize=_CACHED)
def _check_bic(value: str) -> RuleBreach | None:
    if _bic_plainly_valid(value):
        return None
    return _check_bic_stdnum(value)


def _check_bic_stdnum(value: str) -> RuleBreach | None:
    if not _bic.is_valid(value):
        return ("bic", "is not a valid BIC (8 or 11 characters, e.g. ABNANL2A)")
    return None


def normalize_bic(value: str) -> str:
    """Canonical BIC: no spaces, upper case."""
    plain = _plain(value, " -")
    return plain if plain is not None else str(_bic.compact(value))


def check_coc_number(value: str, country: str | None) -> RuleBreach | None:
    """A Chamber of Commerce number: 8-digit Dutch KvK, or 10-digit Belgian enterprise number.

    The country comes from the relation's address; without one, the Dutch rule applies.
    """
    return _check_coc_number(value, country)


@functools.lru_cache(maxsize=_CACHED)
def _check_coc_number(value: str, country: str | None) -> RuleBreach | None:
    number = _compact(value)
    if (country or "").upper() == "BE":
        number = number.removeprefix("BE")
        if _be_enterprise_plainly_valid(number):
            return None
        return _check_be_enterprise_stdnum(number)
    if not _KVK.match(number):
        return ("coc_number", "must be a Dutch KvK number of exactly 8 digits")
    return None


def _check_be_enterprise_stdnum(number: str) -> RuleBreach | None:
    try:
        _be_vat.validate(number)
    except InvalidChecksum:
        return ("coc_number", "is not a valid Belgian enterprise number: check digits differ")
    except ValidationError:
        return (
            "coc_number",
            "must be a Belgian enterprise number of 10 digits (e.g. 0403.170.701)",
        )
    return None


def normalize_coc_number(value: str, country: str | None = None) -> str:
    """Canonical KvK / enterprise number: digits only (Belgian numbers keep their leading 0)."""
    number = _compact(value)
    if (country or "").upper() == "BE":
        number = number.removeprefix("BE")
        if len(number) == 9:  # old 9-digit numbers gained a leading 0 in 2007
            number = "0" + number
    return number


def check_postcode(value: str, country: str) -> RuleBreach | None:
    """A postcode in its country's form; checked for the Netherlands and Belgium."""
    return _check_postcode(value, country)


@functools.lru_cache(maxsize=_CACHED)
def _check_postcode(value: str, country: str) -> RuleBreach | None:
    code = country.upper()
    if code == "NL":
        return None if _nl_postcode_plainly_valid(value) else _check_nl_postcode_stdnum(value)
    if code == "BE" and not _BE_POSTCODE.match(_compact(value)):
        return ("postcode", "must be a Belgian postcode: 4 digits from 1000 to 9999")
    if len(value.strip()) > 10:
        return ("postcode", "is longer than 10 characters")
    return None


def _check_nl_postcode_stdnum(value: str) -> RuleBreach | None:
    try:
        _nl_postcode.validate(value)
    except InvalidComponent:
        return ("postcode", "is not a Dutch postcode in use (SA, SD and SS are never issued)")
    except ValidationError:
        return ("postcode", "must be a Dutch postcode: 4 digits and 2 letters (1234 AB)")
    return None


def normalize_postcode(value: str, country: str) -> str:
    """Canonical postcode: ``1234 AB`` in the Netherlands, ``1000`` in Belgium, else trimmed."""
    code = country.upper()
    if code == "NL":
        compact = _compact(value)
        return f"{compact[:4]} {compact[4:]}" if len(compact) == 6 else compact
    if code == "BE":
        return _compact(value).removeprefix("B")
    return _SPACES.sub(" ", value.strip()).upper()


def check_country(value: str) -> RuleBreach | None:
    """An ISO 3166-1 alpha-2 country code (case is not significant)."""
    if value.strip().upper() not in COUNTRY_CODES:
        return ("country_code", "must be an ISO 3166-1 alpha-2 country code such as NL or BE")
    return None


def check_currency(value: str) -> RuleBreach | None:
    """An ISO 4217 currency code (case is not significant)."""
    if value.strip().upper() not in CURRENCY_CODES:
        return ("currency_code", "must be an ISO 4217 currency code such as EUR")
    return None


def check_email(value: str) -> RuleBreach | None:
    """E-mail syntax: local part, one ``@``, a domain with a top-level domain."""
    if not _EMAIL.match(value.strip()):
        return ("email_format", "is not a valid e-mail address (name@example.nl)")
    return None


def normalize_email(value: str) -> str:
    """Trim the address and lower-case its domain (the local part is case-sensitive by RFC)."""
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else value.strip()


def check_phone(value: str) -> RuleBreach | None:
    """A phone number: digits with optional ``+``, spaces, brackets, dots or dashes; 6-20 digits."""
    stripped = value.strip()
    # Once the pattern matches, the digits are all ASCII (white space around holds none), and
    # counting them costs a few C calls rather than a generator over every character.
    if not _PHONE_CHARS.match(stripped) or not 6 <= _ascii_digits(stripped) <= 20:
        return ("phone_format", "is not a phone number (digits, optional +, 6 to 20 digits)")
    return None


def _ascii_digits(value: str) -> int:
    return len(value) - len(value.translate(_NO_DIGITS))


def check_website(value: str) -> RuleBreach | None:
    """A web address: a host name with a dot, optionally with ``http(s)://`` and a path."""
    if not _WEBSITE.match(value.strip()):
        return ("url_format", "is not a web address (www.example.nl)")
    return None


def check_language(value: str) -> RuleBreach | None:
    """An ISO 639-1 language code, optionally with a region (``nl``, ``nl-BE``)."""
    if not _LANGUAGE.match(value.strip()):
        return ("language_code", "must be an ISO 639-1 language code such as nl, en or fr")
    return None
