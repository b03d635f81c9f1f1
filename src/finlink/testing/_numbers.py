"""Valid identifiers made from a random generator: KvK, VAT, IBAN, postcodes, phone numbers.

Check digits are computed here, not looked up; the tests confirm every one with python-stdnum.
"""

from __future__ import annotations

import random
import string

from finlink.testing._vocabulary import BE_BANKS, NL_BANKS

__all__ = [
    "be_enterprise_number",
    "be_iban",
    "iban_check_digits",
    "kvk_number",
    "nl_iban",
    "nl_postcode_letters",
    "nl_vat_number",
    "phone_number",
]

# PostNL does not use F, I, O, Q, U and Y in postcode letters, and never issues SA, SD or SS.
_POSTCODE_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "FIOQUY")
_NEVER_ISSUED = frozenset({"SA", "SD", "SS"})
_NL_AREA_CODES = ("20", "10", "30", "70", "40", "50", "24", "26", "13", "35", "38", "43", "53")


def kvk_number(rng: random.Random) -> str:
    """An 8-digit KvK number (KvK numbers have carried no check digit since 2014)."""
    return str(rng.randrange(10_000_000, 100_000_000))


def nl_vat_number(rng: random.Random) -> str:
    """A Dutch VAT number ``NL#########B01`` whose nine digits pass the 11-test.

    The 11-test (elfproef) of the Belastingdienst's omzetbelastingnummer: digits weighted
    9, 8, ..., 2 and -1 sum to a multiple of 11.
    """
    while True:
        digits = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            suffix = rng.choice(("01", "01", "01", "02"))
            return "NL" + "".join(map(str, digits)) + str(check) + "B" + suffix


def be_enterprise_number(rng: random.Random) -> str:
    """A 10-digit Belgian enterprise number (KBO): 8 digits and 97 minus their value mod 97."""
    base = rng.randrange(2_000_000, 10_000_000)  # leading digit 0, as most numbers have
    return f"0{base:07d}{97 - (base % 97):02d}"


def iban_check_digits(country: str, bban: str) -> str:
    """The two ISO 13616 check digits of ``country`` + ``bban`` (mod 97-10)."""
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def nl_iban(rng: random.Random) -> tuple[str, str]:
    """A Dutch IBAN and its bank's BIC."""
    bank, bic = rng.choice(NL_BANKS)
    bban = bank + f"{rng.randrange(10**9, 10**10):010d}"
    return f"NL{iban_check_digits('NL', bban)}{bban}", bic


def be_iban(rng: random.Random) -> tuple[str, str]:
    """A Belgian IBAN (with its national mod-97 check) and its bank's BIC."""
    bank, bic = rng.choice(BE_BANKS)
    account = bank + f"{rng.randrange(10**7):07d}"
    national = int(account) % 97 or 97
    bban = f"{account}{national:02d}"
    return f"BE{iban_check_digits('BE', bban)}{bban}", bic


def nl_postcode_letters(rng: random.Random) -> str:
    """Two postcode letters of a kind PostNL issues."""
    while True:
        letters = rng.choice(_POSTCODE_LETTERS) + rng.choice(_POSTCODE_LETTERS)
        if letters not in _NEVER_ISSUED:
            return letters


def phone_number(rng: random.Random, country: str, *, mobile: bool = False) -> str:
    """A phone number in one of the ways people write them."""
    if country == "BE":
        pairs = " ".join(str(rng.randrange(10, 100)) for _ in range(2))
        if mobile:
            return f"+32 4{rng.randrange(70, 100)} {rng.randrange(10, 100)} {pairs}"
        return f"+32 {rng.randrange(2, 10)} {rng.randrange(100, 1000)} {pairs}"
    if mobile:
        number = f"{rng.randrange(10**7, 10**8)}"
        return rng.choice(
            (f"06-{number}", f"+31 6 {number}", f"06 {number[:2]} {number[2:5]} {number[5:]}")
        )
    area = rng.choice(_NL_AREA_CODES)
    local = f"{rng.randrange(10**6, 10**7)}"
    return rng.choice(
        (f"0{area}-{local}", f"+31 {area} {local}", f"0{area} {local[:3]} {local[3:]}")
    )
