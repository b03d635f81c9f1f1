"""Dutch- and Belgian-aware normalisation of names, addresses and e-mail domains for matching.

These keys exist only to *compare* relations; they are never sent to a backend (that is
:func:`finlink.normalize_relation`'s job). Every function is pure, cheap and idempotent:
applying it to its own output gives the same output, which the tests check with hypothesis.

The rules, in the order they apply to a company name:

1. case folded, diacritics removed (``Coöperatie`` → ``cooperatie``, ``Café`` → ``cafe``);
2. ``&``, ``+``, ``and``, ``und`` and ``et`` become ``en``;
3. dotted abbreviations collapse (``B.V.`` → ``bv``, ``v.o.f.`` → ``vof``), other punctuation
   becomes a space, and runs of single letters join (``B V`` → ``bv``);
4. a few customary abbreviations expand (``v`` → ``van``, ``zn`` → ``zonen``,
   ``gebr`` → ``gebroeders``); ``St.`` is left alone (Sint or Stichting: it depends);
5. legal forms at either end are split off (forgiving one typo in the long words:
   ``Verenigng`` is still a Vereniging) (Dutch: BV, NV, VOF, CV, Stichting, Vereniging,
   Coöperatie, U.A., W.A., B.A., Eenmanszaak, "in oprichting"; Belgian: BV, NV, VZW, BVBA,
   CommV, CVBA, SRL, SA, SPRL, ASBL, SC, SCRL). ``Holding`` is *not* a legal form: a holding
   company and its operating company are different debtors.

Addresses: the house number and its addition are split from the street
(``Hoofdstr. 12 A`` → street ``hoofdstraat``, number ``12``, addition ``a``), street
abbreviations expand (``str.``, ``ln``, ``pln``, ``wg``, ``gr``, ``kd``, ``sngl``...), and
postcodes lose spaces and case (``1234 ab`` → ``1234AB``).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

import attrs
from rapidfuzz.distance import Levenshtein

__all__ = [
    "FREE_MAIL_DOMAINS",
    "LEGAL_FORMS",
    "AddressKey",
    "NameKey",
    "address_key",
    "email_domain",
    "fold",
    "name_key",
    "postcode_key",
    "website_domain",
]

#: Legal-form tokens (after folding), mapped to the canonical form shown in evidence.
LEGAL_FORMS: dict[str, str] = {
    # Netherlands (Handelsregisterwet; Burgerlijk Wetboek boek 2).
    "bv": "BV",
    "nv": "NV",
    "vof": "VOF",
    "cv": "CV",
    "ua": "U.A.",
    "wa": "W.A.",
    "ba": "B.A.",
    "stichting": "Stichting",
    "stg": "Stichting",
    "vereniging": "Vereniging",
    "ver": "Vereniging",
    "cooperatie": "Coöperatie",
    "cooperatieve": "Coöperatie",
    "coop": "Coöperatie",
    "eenmanszaak": "Eenmanszaak",
    "io": "i.o.",
    "maatschap": "Maatschap",
    # Belgium (Wetboek van vennootschappen en verenigingen, 2019, and the older forms).
    "vzw": "VZW",
    "bvba": "BVBA",
    "commv": "CommV",
    "comm": "CommV",
    "cvba": "CVBA",
    "srl": "SRL",
    "sa": "SA",
    "sprl": "SPRL",
    "asbl": "ASBL",
    "sc": "SC",
    "scrl": "SCRL",
    "scs": "SCS",
    "snc": "SNC",
}

# Multi-word legal forms, written out; replaced by their abbreviation before tokenising.
_LONG_LEGAL_FORMS = {
    "besloten vennootschap met beperkte aansprakelijkheid": " bvba ",
    "besloten vennootschap": " bv ",
    "naamloze vennootschap": " nv ",
    "vennootschap onder firma": " vof ",
    "commanditaire vennootschap": " cv ",
    "in oprichting": " io ",
    "uitgesloten aansprakelijkheid": " ua ",
    "uitsluiting van aansprakelijkheid": " ua ",
}
_LONG_LEGAL_FORM = re.compile(r"\b(?:" + "|".join(_LONG_LEGAL_FORMS) + r")\b")

#: Domains of free e-mail providers: sharing one says nothing about being the same relation.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.nl",
        "hotmail.be",
        "outlook.com",
        "outlook.nl",
        "outlook.be",
        "live.nl",
        "live.com",
        "live.be",
        "msn.com",
        "yahoo.com",
        "yahoo.nl",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "ziggo.nl",
        "kpnmail.nl",
        "kpnplanet.nl",
        "planet.nl",
        "home.nl",
        "hetnet.nl",
        "xs4all.nl",
        "casema.nl",
        "chello.nl",
        "upcmail.nl",
        "zeelandnet.nl",
        "telfort.nl",
        "tele2.nl",
        "online.nl",
        "quicknet.nl",
        "caiway.nl",
        "freedom.nl",
        "proton.me",
        "protonmail.com",
        "telenet.be",
        "skynet.be",
        "proximus.be",
        "scarlet.be",
        "gmx.com",
        "gmx.net",
        "aol.com",
    }
)

_CONNECTIVES = {"and": "en", "und": "en", "et": "en"}
_WORD_ABBREVIATIONS = {
    "v": "van",
    "vd": "van der",
    "zn": "zonen",
    "gebr": "gebroeders",
    "fa": "firma",
    "int": "internationaal",
    "intl": "internationaal",
}
# A dot after a lone letter ("b.v.", "v.d."): dropped, so the letters join ("bv", "vd").
_DOTS = re.compile(r"\.{2,}")
_SINGLE_LETTER_DOT = re.compile(r"(?<=(?<![^\W\d_])[^\W\d_])\.")
_NON_WORD = re.compile(r"[^0-9a-z]+")

# Street-name suffixes as abbreviated in Dutch and Flemish address books (PostNL's
# "Adresseringsrichtlijnen" use the full forms; CRMs hold whatever was typed).
# Longest first, so "pln" is tried before "ln".
_STREET_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("sngl", "singel"),
    ("stwg", "steenweg"),
    ("pln", "plein"),
    ("str", "straat"),
    ("ln", "laan"),
    ("pl", "plein"),
    ("wg", "weg"),
    ("gr", "gracht"),
    ("kd", "kade"),
    ("dk", "dijk"),
)
_STREET_WORDS = {
    "v": "van",
    "vd": "van de",
    "st": "sint",
    "burg": "burgemeester",
    "mr": "meester",
    "dr": "dokter",
    "pr": "prins",
    "kon": "koning",
    "kard": "kardinaal",
    "ir": "ingenieur",
    "prof": "professor",
    "str": "straat",
    "ln": "laan",
    "pln": "plein",
    "wg": "weg",
}
# Street, house number, addition: the *last* number on the line is the house number, so
# "Plein 1944 5" is number 5 on "Plein 1944". Belgian "bus 3" and Dutch "-II", "hs", "bis"
# are additions.
_LINE = re.compile(
    r"^(?P<street>.*?\D)?\s*(?P<number>\d{1,5})"
    r"(?:\s*(?:[-/,]|\bbus\b)?\s*(?P<addition>[0-9a-z]{1,6}(?:\s+[0-9a-z]{1,4})?))?\s*$"
)


def fold(text: str) -> str:
    """Case-fold ``text`` and strip its diacritics (``Coöperatie`` → ``cooperatie``)."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ß", "ss")


def _tokens(text: str) -> list[str]:
    """Fold, collapse dotted abbreviations, split on punctuation and join single letters."""
    folded = fold(text)
    if "&" in folded or "+" in folded:
        folded = folded.replace("&", " en ").replace("+", " en ")
    if "." in folded:
        if ".." in folded:  # "V..O.F.": a double stroke on the key
            folded = _DOTS.sub(".", folded)
        folded = _SINGLE_LETTER_DOT.sub("", folded)
    if "vennootschap" in folded or "aansprakelijkheid" in folded or "oprichting" in folded:
        folded = _LONG_LEGAL_FORM.sub(lambda m: _LONG_LEGAL_FORMS[m.group(0)], folded)
    raw = _NON_WORD.sub(" ", folded).split()
    tokens: list[str] = []
    letters = ""
    for token in raw:
        if len(token) == 1 and token.isalpha():
            letters += token
            continue
        if letters:
            tokens.append(letters)
            letters = ""
        tokens.append(token)
    if letters:
        tokens.append(letters)
    return tokens


@attrs.frozen(kw_only=True)
class NameKey:
    """A company name prepared for comparison.

    Attributes:
        text: Normalised words joined by single spaces (``bakkerij de vries``), legal forms
            removed; what fuzzy scores are computed on.
        compact: ``text`` without spaces (``bakkerijdevries``): equal for ``De Vries`` and
            ``DeVries``; the exact-match key.
        tokens: The distinct words of ``text``, sorted.
        legal_form: The canonical legal form found (``BV``), or None.
    """

    text: str
    compact: str
    tokens: tuple[str, ...]
    legal_form: str | None


_LONG_FORM_WORDS = ("stichting", "vereniging", "cooperatie", "cooperatieve", "eenmanszaak")


@lru_cache(maxsize=65536)
def _legal_form_of(token: str) -> str | None:
    """The legal form a word denotes, forgiving one typo in the long ones ("verenigng")."""
    form = LEGAL_FORMS.get(token)
    if form is not None or len(token) < 8:
        return form
    for word in _LONG_FORM_WORDS:
        if Levenshtein.distance(token, word, score_cutoff=1) <= 1:
            return LEGAL_FORMS[word]
    return None


_EXPANSIONS = {**_WORD_ABBREVIATIONS, **_CONNECTIVES}


_WRITTEN_OUT = {"besloten": "bv", "naamloze": "nv"}


def _written_out_forms(tokens: list[str]) -> list[str]:
    """``besloten vennootschap`` with a typo in the long word (``vennotschap``) is a BV too.

    The exact spellings were replaced before tokenising; this catches a typed one.
    """
    out: list[str] = []
    skip = False
    for position, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        if token in _WRITTEN_OUT and Levenshtein.distance(following, "vennootschap") <= 2:
            out.append(_WRITTEN_OUT[token])
            skip = True
        else:
            out.append(token)
    return out


@lru_cache(maxsize=4096)
def name_key(name: str) -> NameKey:
    """Normalise a company name for matching (see the module docstring for the rules)."""
    expansions = _EXPANSIONS
    tokens = [expansions.get(t, t) for t in _tokens(name)]
    if "van der" in tokens:  # the one expansion of two words ("vd")
        tokens = " ".join(tokens).split()
    if "besloten" in tokens or "naamloze" in tokens:
        tokens = _written_out_forms(tokens)
    legal_form: str | None = None
    # Strip legal forms from both ends, but never the last remaining word: a relation
    # called just "Stichting" keeps its name.
    while len(tokens) > 1 and (found := _legal_form_of(tokens[-1])) is not None:
        tokens.pop()
        legal_form = legal_form or found
    while len(tokens) > 1 and (found := _legal_form_of(tokens[0])) is not None:
        tokens.pop(0)
        legal_form = legal_form or found
    text = " ".join(tokens)
    return NameKey(
        text=text,
        compact=text.replace(" ", ""),
        # Interned: a few thousand distinct words serve 100,000 names.
        tokens=tuple(sorted({sys.intern(t) for t in tokens})),
        legal_form=legal_form,
    )


@attrs.frozen(kw_only=True)
class AddressKey:
    """An address prepared for comparison.

    Attributes:
        street: The street name, folded, abbreviations expanded, without spaces
            (``hoofdstraat``, ``vangoghstraat``).
        number: The house number (digits, no leading zeros), or None when the line has none.
        addition: The addition, lower case without separators (``a``, ``2``, ``bis``), or "".
        postcode: :func:`postcode_key` of the postcode, or None.
        city: The folded city name without spaces, or None.
        country: Upper-case country code.
        house: Number and addition as one key (``12|a``), or None without a number.
    """

    street: str
    number: str | None
    addition: str
    postcode: str | None
    city: str | None
    country: str
    house: str | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        # Computed once: it is compared for every candidate and part of two blocking keys.
        # Interned: a few thousand distinct house numbers serve 100,000 addresses.
        house = None if self.number is None else sys.intern(f"{self.number}|{self.addition}")
        object.__setattr__(self, "house", house)


@lru_cache(maxsize=65536)
def _street(street: str) -> str:
    words = _NON_WORD.sub(" ", _SINGLE_LETTER_DOT.sub("", fold(street))).split()
    out: list[str] = []
    for word in words:
        if word in _STREET_WORDS:
            out.append(_STREET_WORDS[word].replace(" ", ""))
            continue
        out.append(_expand_suffix(word))
    return "".join(out)


def _expand_suffix(word: str) -> str:
    for short, full in _STREET_SUFFIXES:
        if word.endswith(short) and not word.endswith(full):
            return word[: -len(short)] + full
    return word


@lru_cache(maxsize=65536)
def _split_line(line: str) -> tuple[str, str | None, str]:
    text = fold(line).strip()
    match = _LINE.match(text)
    if match is None:
        return _street(text), None, ""
    addition = match.group("addition") or ""
    if not addition.isalnum():
        addition = _NON_WORD.sub("", addition)
    number = sys.intern(match.group("number").lstrip("0") or "0")
    return _street(match.group("street") or ""), number, sys.intern(addition)


def postcode_key(postcode: str | None, country: str | None = None) -> str | None:
    """A postcode without spaces, upper case: ``1234 ab`` → ``1234AB``, ``B-1000`` → ``1000``.

    Returns None for a missing or blank postcode.
    """
    if not postcode:
        return None
    compact = postcode.replace(" ", "").upper()
    if not compact.isalnum() or not compact.isascii():
        compact = _NON_WORD.sub("", fold(postcode)).upper()
    if (country or "").upper() == "BE" and compact.startswith("B") and compact[1:].isdigit():
        compact = compact[1:]
    return compact or None


def address_key(
    line1: str, postcode: str | None, city: str | None, country: str | None
) -> AddressKey:
    """Split and normalise an address line (``Hoofdstr. 12 A`` → ``hoofdstraat``, ``12``, ``a``)."""
    street, number, addition = _split_line(line1)
    return AddressKey(
        street=street,
        number=number,
        addition=addition,
        postcode=postcode_key(postcode, country),
        city=_city(city) if city else None,
        country=_country(country or ""),
    )


@lru_cache(maxsize=4096)
def _city(city: str) -> str | None:
    return _NON_WORD.sub("", fold(city)) or None


@lru_cache(maxsize=512)
def _country(country: str) -> str:
    return country.strip().upper()


def email_domain(email: str | None) -> str | None:
    """The lower-case domain of an e-mail address, or None (also for free-mail domains)."""
    if not email or "@" not in email:
        return None
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    domain = domain.removeprefix("www.")
    if not domain or domain in FREE_MAIL_DOMAINS:
        return None
    return domain


def website_domain(website: str | None) -> str | None:
    """The lower-case host of a web address without ``www.``, or None (also for free hosts)."""
    if not website:
        return None
    host = website.strip().lower()
    host = host.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    host = host.removeprefix("www.").rstrip(".")
    if not host or "." not in host or host in FREE_MAIL_DOMAINS:
        return None
    return host
