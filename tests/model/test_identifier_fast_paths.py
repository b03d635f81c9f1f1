"""The identifier checks' fast paths agree with python-stdnum, the authority, on every input.

The fast paths only ever accept; whatever they do not accept goes to stdnum. So two things must
hold: a value a fast path accepts, stdnum accepts too; and each ``check_*`` gives exactly the
result (rule and message) of the stdnum-only check. Inputs are random text over the characters
that matter (separators, case, a backtick, non-ASCII look-alikes) and valid numbers with a typo
or two, which is where a fast path could be wrong.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import bic as std_bic
from stdnum import iban as std_iban
from stdnum.be import vat as std_be_vat
from stdnum.eu import vat as std_eu_vat
from stdnum.iso7064 import mod_97_10
from stdnum.nl import bsn as std_bsn
from stdnum.nl import postcode as std_nl_postcode

from finlink.model import identifiers as ids

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Characters a fast path must either handle as stdnum does or leave to it: separators stdnum
# drops, other white space, the backtick (stdnum maps it to an apostrophe), a full-width digit
# and an en dash (mapped to ASCII by stdnum), and letters whose upper case is ASCII (sharp s,
# dotless i, long s).
_ODD = " -./`\t\n\xa0\uff11\u2013ß\u0131\u017fé+()"
_TEXT = st.text(alphabet=_DIGITS + _UPPER + _UPPER.lower() + _ODD, max_size=40)
_EXAMPLES = settings(max_examples=400, deadline=None)


@st.composite
def _typos(draw: st.DrawFn, valid: str) -> str:
    """``valid`` as a person types it: spaced or lower case, maybe with a typo or two."""
    value = valid
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(("replace", "delete", "insert", "swap")))
        at = draw(st.integers(0, max(len(value) - 1, 0)))
        char = draw(st.sampled_from(_DIGITS + _UPPER + " -.`\uff11ß"))
        if kind == "replace":
            value = value[:at] + char + value[at + 1 :]
        elif kind == "delete":
            value = value[:at] + value[at + 1 :]
        elif kind == "insert":
            value = value[:at] + char + value[at:]
        elif len(value) > 1:
            at = min(at, len(value) - 2)
            value = value[:at] + value[at + 1] + value[at] + value[at + 2 :]
    if draw(st.booleans()):
        value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    if draw(st.booleans()):
        value = value.lower()
    return value


def _digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_DIGITS, min_size=size, max_size=size)


def _nudged(check: int, draw: st.DrawFn) -> str:
    """Two check digits, mostly right, else one or two off (a remainder one or two off)."""
    return f"{(check + draw(st.sampled_from((0, 0, 0, 1, -1, 2)))) % 100:02d}"


@st.composite
def _ibans(draw: st.DrawFn) -> str:
    """Compact IBANs: mostly valid, else with check digits off, a BBAN too short or too long,
    a letter where a digit belongs, or a country without IBANs."""
    country = draw(st.sampled_from([*sorted(ids._IBAN_BBAN), "QQ", "US"]))
    structure = ids._IBAN_BBAN.get(country, ids._IBAN_BBAN["NL"])  # ^[A-Z]{4}[0-9]{10}$
    kinds = {"[0-9]": _DIGITS, "[A-Z]": _UPPER, "[A-Za-z0-9]": _DIGITS + _UPPER}
    bban = "".join(
        draw(st.text(alphabet=kinds[kind], min_size=int(size), max_size=int(size)))
        for kind, size in re.findall(r"(\[[^]]+\])\{(\d+)\}", structure)
    )
    flaw = draw(st.sampled_from(("", "", "", "short", "long", "letter")))
    if flaw == "short":
        bban = bban[:-1]
    elif flaw == "long":
        bban += draw(st.sampled_from(_DIGITS))
    elif flaw == "letter":
        at = draw(st.integers(0, len(bban) - 1))
        bban = bban[:at] + draw(st.sampled_from(_UPPER)) + bban[at + 1 :]
    check = int(std_iban.calc_check_digits(country + "00" + bban))
    return f"{country}{_nudged(check, draw)}{bban}"


@st.composite
def _nl_vat(draw: st.DrawFn) -> str:
    """Compact Dutch VAT numbers passing the 11-test or mod 97-10, or nearly: zeros, check
    digits one off, a suffix of 00."""
    digits = draw(st.one_of(st.just("000000000"), _digits(9)))
    suffix = draw(st.one_of(st.just("00"), st.integers(1, 99).map(lambda n: f"{n:02d}")))
    if draw(st.booleans()):  # the 11-test (as a BSN), nudging the last digit to pass it
        passing = [last for last in _DIGITS if std_bsn.checksum(digits[:8] + last) == 0]
        if passing:
            digits = digits[:8] + draw(st.sampled_from(passing))
        return f"NL{digits}B{suffix}"
    # sole proprietors since 2020: mod 97-10 over the whole number
    return f"NL{digits}B{_nudged(int(mod_97_10.calc_check_digits(f'NL{digits}B')), draw)}"


@st.composite
def _be_numbers(draw: st.DrawFn) -> str:
    """Belgian enterprise numbers (10 digits, or the old 9), mostly valid, else nearly: a first
    digit other than 0 or 1, check digits off, all zeros."""
    base = draw(st.sampled_from("0000011111123456789")) + draw(_digits(7))
    number = f"{base}{_nudged(97 - int(base) % 97, draw)}"
    number = draw(st.sampled_from((number, number, "0000000000")))
    return number[1:] if number[0] == "0" and draw(st.booleans()) else number  # old 9 digits


@st.composite
def _bics(draw: st.DrawFn) -> str:
    bank = draw(st.text(alphabet=_UPPER, min_size=4, max_size=4))
    country = draw(st.sampled_from(sorted(ids._bic_countries() | {"XK", "QQ"})))
    location = draw(st.text(alphabet=_UPPER + _DIGITS, min_size=2, max_size=2))
    branch = draw(st.sampled_from(("", "XXX", "001", "X")))
    return bank + country + location + branch


@st.composite
def _nl_postcodes(draw: st.DrawFn) -> str:
    number = draw(st.integers(0, 9999))
    letters = draw(
        st.one_of(
            st.sampled_from(("SA", "SD", "SS")), st.text(alphabet=_UPPER, min_size=2, max_size=2)
        )
    )
    return f"{number:04d} {letters}"


def test_the_iban_registry_was_read() -> None:
    # An empty table would silently send every IBAN to stdnum: correct, but slow.
    assert {"NL", "BE", "DE", "FR", "GB"} <= set(ids._IBAN_BBAN)
    assert ids._IBAN_BBAN["NL"] == "^[A-Z]{4}[0-9]{10}$"


@_EXAMPLES
@given(_ibans())
def test_a_compact_iban_stdnum_accepts_takes_the_fast_path(value: str) -> None:
    # The converse (the fast path accepts only what stdnum accepts) is the test below.
    if std_iban.is_valid(value, check_country=False) and value[:2] in ids._IBAN_BBAN:
        assert ids._iban_plainly_valid(value)


@_EXAMPLES
@given(_TEXT | _ibans().flatmap(_typos))
def test_iban_checks_agree_with_stdnum(value: str) -> None:
    if ids._iban_plainly_valid(value):
        assert std_iban.is_valid(value, check_country=False)
    assert ids._check_iban.__wrapped__(value) == ids._check_iban_stdnum(value)
    assert ids.normalize_iban(value) == std_iban.compact(value)


@_EXAMPLES
@given(st.one_of(_nl_vat(), _be_numbers().map(lambda n: "BE" + n)))
def test_a_compact_dutch_or_belgian_vat_number_stdnum_accepts_takes_the_fast_path(
    value: str,
) -> None:
    if std_eu_vat.is_valid(value):
        assert ids._vat_plainly_valid(value)


@_EXAMPLES
@given(
    st.one_of(
        _TEXT,
        _TEXT.map(lambda text: "NL" + text),
        _TEXT.map(lambda text: "BE" + text),
        _nl_vat().flatmap(_typos),
        _be_numbers().map(lambda n: "BE" + n).flatmap(_typos),
    )
)
def test_vat_checks_agree_with_stdnum(value: str) -> None:
    if ids._vat_plainly_valid(ids._compact(value)):
        assert std_eu_vat.is_valid(ids._compact(value))
    assert ids._check_vat_number.__wrapped__(value) == ids._check_vat_number_stdnum(value)


@_EXAMPLES
@given(st.one_of(_TEXT, _be_numbers().flatmap(_typos)))
def test_belgian_enterprise_numbers_agree_with_stdnum(value: str) -> None:
    number = ids._compact(value).removeprefix("BE")
    if ids._be_enterprise_plainly_valid(number):
        assert std_be_vat.is_valid(number)
    if std_be_vat.is_valid(number) and number.isascii() and number.isdigit():
        assert ids._be_enterprise_plainly_valid(number)
    assert ids._check_coc_number.__wrapped__(value, "BE") == ids._check_be_enterprise_stdnum(number)


@_EXAMPLES
@given(st.one_of(_TEXT, _bics().flatmap(_typos)))
def test_bic_checks_agree_with_stdnum(value: str) -> None:
    if ids._bic_plainly_valid(value):
        assert std_bic.is_valid(value)
    elif std_bic.is_valid(value) and value.isascii() and value.isalnum():
        assert value.upper()[4:6] not in ids._bic_countries()  # Kosovo, say: left to stdnum
    assert ids._check_bic.__wrapped__(value) == ids._check_bic_stdnum(value)
    assert ids.normalize_bic(value) == std_bic.compact(value)


@_EXAMPLES
@given(st.one_of(_TEXT, _nl_postcodes().flatmap(_typos)))
def test_dutch_postcode_checks_agree_with_stdnum(value: str) -> None:
    if ids._nl_postcode_plainly_valid(value):
        assert std_nl_postcode.is_valid(value)
    elif std_nl_postcode.is_valid(value) and re.fullmatch(r"[0-9]{4} ?[A-Za-z]{2}", value):
        raise AssertionError(f"{value!r} should have taken the fast path")
    assert ids._check_postcode.__wrapped__(value, "NL") == ids._check_nl_postcode_stdnum(value)


@_EXAMPLES
@given(st.text(alphabet="0123456789 +()./-\t\n\xa0\uff11\u0663x", max_size=30))
def test_phone_numbers_count_their_digits_as_python_does(value: str) -> None:
    # The digit count runs only once the pattern holds; it must agree with str.isdigit over
    # the whole value, which counts Arabic-Indic and full-width digits too.
    digits = sum(ch.isdigit() for ch in value)
    plain = re.match(r"^\+?[0-9 ()./-]+$", value.strip()) is not None
    assert (ids.check_phone(value) is None) == (plain and 6 <= digits <= 20)
