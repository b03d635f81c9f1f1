"""Comparing two relations field by field, in words a bookkeeper reads.

:func:`compare` is shared by every matcher, so evidence reads the same whichever rule
decided. :func:`evidence_against` names what proves two relations are *different*
businesses: two KvK numbers, two VAT numbers of one country, two establishment numbers.

"Name similarity" (:func:`name_similarity`) is computed on the normalised names, legal forms
removed: the best of rapidfuzz's ``ratio`` and ``token_sort_ratio``. ``token_sort_ratio``
ignores word order ("De Vries Bakkerij") and, unlike ``WRatio``, ``partial_ratio`` or
``token_set_ratio``, does *not* score a name that merely contains the other ("Jansen" in
"Jansen Holding") as a perfect match: a holding and its operating company are different
debtors. ``ratio`` covers its blind spot, a typo in a first letter that reorders the sorted
words. Beside a shared KvK, VAT number or IBAN the name is only a sanity check, so there the
lenient form (also ``token_set_ratio``) applies.
"""

from __future__ import annotations

import attrs
from rapidfuzz.fuzz import ratio, token_set_ratio, token_sort_ratio

from finlink.sync.match_keys import MatchKeys

__all__ = [
    "HOLDING_WORDS",
    "PairComparison",
    "compare",
    "evidence_against",
    "name_similarity",
    "same_address",
]

# "Jansen B.V." and "Jansen V.O.F." at one address are often the old partnership and the new
# company: two legal entities, so a person should look.
_LEGAL_FORM_PENALTY = 6
# Words that make a name a holding or management company: "Jansen Beheer B.V." is the
# director's holding, a different debtor from the operating "Jansen B.V." at the same address.
HOLDING_WORDS = frozenset(
    {"holding", "beheer", "beheermaatschappij", "participaties", "management", "invest"}
)
_HOLDING_PENALTY = 15


def _mask_iban(iban: str) -> str:
    # Evidence is shown to people and may be logged: the last four characters identify the
    # account well enough for a bookkeeper without spreading the full number.
    return f"ending {iban[-4:]}"


@attrs.frozen(kw_only=True)
class PairComparison:
    """How a CRM relation and a candidate compare, field by field.

    Attributes:
        name_score: Name similarity 0-100 (100 for equal normalised names).
        same_address: True when postcode and house number (or street, house number and city)
            agree; False when both have an address and they differ; None when one is missing.
        same_postcode: Whether both have the same postcode (False also when one lacks it).
        other_legal_form: Both names carry a legal form and they differ (BV vs VOF).
        entity_penalty: Points the name rules subtract because the names suggest two legal
            entities: 6 for another legal form, 15 when only one is a holding ("Jansen
            Beheer B.V." next to "Jansen B.V.").
        conflicts: Phrases naming conflicting strong identifiers (KvK, VAT).
        agreements: Phrases naming shared identifiers.
        phrases: The name and address phrases, for evidence.
    """

    name_score: int
    same_address: bool | None
    same_postcode: bool
    other_legal_form: bool
    entity_penalty: int
    conflicts: tuple[str, ...]
    agreements: tuple[str, ...]
    phrases: tuple[str, ...]


def name_similarity(
    subject: MatchKeys, candidate: MatchKeys, *, lenient: bool = False, cutoff: float = 0
) -> float:
    """Similarity 0-100 of two normalised names.

    The best of rapidfuzz's ``ratio`` (typos, in word order) and ``token_sort_ratio`` (word
    order ignored; on its own it is thrown off by a typo in a first letter, which changes the
    sort order). ``lenient`` also takes ``token_set_ratio``, which scores a name contained in
    the other as 100: right as a sanity check beside a shared KvK, wrong as evidence on its own.
    Returns 0 below ``cutoff``.
    """
    mine, theirs = subject.name, candidate.name
    if mine.compact == theirs.compact:
        return 100.0
    score = max(
        ratio(mine.text, theirs.text, score_cutoff=cutoff),
        token_sort_ratio(mine.text, theirs.text, score_cutoff=cutoff),
    )
    if lenient:
        score = max(score, token_set_ratio(mine.text, theirs.text, score_cutoff=cutoff))
    return score


def compare(
    subject: MatchKeys,
    candidate: MatchKeys,
    *,
    name_score: float | None = None,
    lenient: bool = False,
) -> PairComparison:
    """Compare two relations' keys and describe the result in plain words.

    Args:
        subject: The CRM relation's keys.
        candidate: The candidate's keys.
        name_score: The name similarity, when the caller already computed it.
        lenient: Use the lenient name similarity (see :func:`name_similarity`).
    """
    agreements: list[str] = []
    conflicts = list(evidence_against(subject, candidate))
    for label, mine, theirs in (
        ("KvK", subject.kvk, candidate.kvk),
        ("VAT number", subject.vat, candidate.vat),
    ):
        if mine and mine == theirs:
            agreements.append(f"same {label} {mine}")
    if subject.iban and subject.iban == candidate.iban:
        agreements.append(f"same IBAN {_mask_iban(subject.iban)}")
    shared = set(subject.domains).intersection(candidate.domains)
    if shared:
        agreements.append(f"same e-mail/web domain {min(shared)}")

    phrases: list[str] = []
    mine_name, their_name = subject.relation.name, candidate.relation.name
    if subject.name.compact == candidate.name.compact:
        score = 100
        phrases.append(
            f"same name {mine_name!r}"
            if mine_name == their_name
            else f"name {mine_name!r} = {their_name!r} once normalised"
        )
    else:
        if name_score is None:
            name_score = name_similarity(subject, candidate, lenient=lenient)
        score = round(name_score)
        phrases.append(f"name {mine_name!r} ≈ {their_name!r} ({score})")

    mine_form, their_form = subject.name.legal_form, candidate.name.legal_form
    other_form = bool(mine_form and their_form and mine_form != their_form)
    if other_form:
        phrases.append(f"different legal form ({mine_form} vs {their_form})")
    holding = HOLDING_WORDS.intersection(subject.name.tokens).symmetric_difference(
        HOLDING_WORDS.intersection(candidate.name.tokens)
    )
    penalty = _LEGAL_FORM_PENALTY * other_form
    if holding:
        penalty += _HOLDING_PENALTY
        phrases.append(f"only one of them is a holding ({', '.join(sorted(holding))})")
    same, same_postcode = _compare_addresses(subject, candidate, phrases)
    return PairComparison(
        name_score=score,
        same_address=same,
        same_postcode=same_postcode,
        other_legal_form=other_form,
        entity_penalty=penalty,
        conflicts=tuple(conflicts),
        agreements=tuple(agreements),
        phrases=tuple(phrases),
    )


def same_address(subject: MatchKeys, candidate: MatchKeys) -> tuple[bool | None, bool]:
    """(Same address, or None when one is missing or too vague; same postcode).

    The same house number and postcode, or the same street, house number and city, is the
    same address; two postcodes that differ, or two cities, are not.
    """
    mine, theirs = subject.address, candidate.address
    if mine is None or theirs is None:
        return None, False
    same_postcode = bool(mine.postcode) and mine.postcode == theirs.postcode
    same_house = mine.number is not None and mine.house == theirs.house
    if same_house and (
        same_postcode
        or (mine.street and mine.city and mine.street == theirs.street and mine.city == theirs.city)
    ):
        return True, same_postcode
    if same_postcode or (mine.postcode and theirs.postcode):
        return False, same_postcode
    if mine.city and theirs.city and mine.city != theirs.city:
        return False, False
    if mine.city and mine.city == theirs.city and mine.street and theirs.street:
        # No postcode to go by, but another street in the same town is another address.
        return False, False
    return None, False


def _compare_addresses(
    subject: MatchKeys, candidate: MatchKeys, phrases: list[str]
) -> tuple[bool | None, bool]:
    """Return (same address or None when unknown, same postcode); append the phrase."""
    same, same_postcode = same_address(subject, candidate)
    mine, theirs = subject.address, candidate.address
    if mine is None or theirs is None:
        phrases.append("no address to compare")
        return same, same_postcode
    number = f"{mine.number}{mine.addition.upper()}"
    shown = subject.relation.address.postcode if subject.relation.address else ""
    if same and same_postcode:
        phrases.append(f"same postcode {shown} and house number {number}")
    elif same:
        phrases.append(f"same street and house number {number} in the same city")
    elif same_postcode:
        phrases.append(f"same postcode {shown} but another house number")
    elif mine.postcode and theirs.postcode:
        other = candidate.relation.address.postcode if candidate.relation.address else ""
        phrases.append(f"different postcode ({shown} vs {other})")
    elif same is False:
        phrases.append("different city")
    return same, same_postcode


def evidence_against(subject: MatchKeys, candidate: MatchKeys) -> tuple[str, ...]:
    """What proves two relations are different businesses, in words; empty when nothing does.

    Two KvK (enterprise) numbers, two VAT numbers of one country (a business registered for
    VAT in two countries has two numbers, so ``NL...`` against ``BE...`` proves nothing), or
    two establishment numbers (vestigingsnummers: branches of one company share the KvK
    number but not these). Only values known on both sides count.
    """
    found: list[str] = []
    if subject.kvk and candidate.kvk and subject.kvk != candidate.kvk:
        found.append(f"different KvK ({subject.kvk} vs {candidate.kvk})")
    mine, theirs = subject.vat, candidate.vat
    if mine and theirs and mine != theirs and mine[:2] == theirs[:2] and mine[:2].isalpha():
        found.append(f"different VAT number ({mine} vs {theirs})")
    mine, theirs = subject.establishment, candidate.establishment
    if mine and theirs and mine != theirs:
        found.append(f"another establishment (vestigingsnummer {mine} vs {theirs})")
    return tuple(found)
