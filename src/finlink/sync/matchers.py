"""The built-in matchers, strongest evidence first, and the pair comparison they share.

Every matcher finds candidates through one block of the :class:`CandidateIndex`, then scores
each one with the same comparison (:func:`compare`), so evidence reads the same whichever rule
decided. Scores start from the strength of the rule that found the candidate and are adjusted:

======================  =====  ==========================================================
rule                    base   adjustments
======================  =====  ==========================================================
``crm_key``             100    -30 per conflicting KvK or VAT number
``kvk``, ``vat``        97     lenient name similarity < 90: -6 / -12 / -25; same
                               address +3; -30 per conflicting KvK or VAT number
``iban``                92     as ``kvk``
``email_domain``        name   -5; same address +5, another address -10; other legal
                               form -6, only one a holding -15; -30 per conflict; links
                               or passes, never sends to review on its own
``name_address``        95     other legal form -6; -30 per conflicting KvK or VAT number
``fuzzy_name``          name   same address +5, same postcode but another house number -5,
                               another address or one missing -15; shared domain +3;
                               other legal form -6, only one a holding -15; -30 per
                               conflicting KvK or VAT number
======================  =====  ==========================================================

"Name similarity" (:func:`name_similarity`) is computed on the normalised names, legal forms
removed: the best of rapidfuzz's ``ratio`` and ``token_sort_ratio``. ``token_sort_ratio``
ignores word order ("De Vries Bakkerij") and, unlike ``WRatio``, ``partial_ratio`` or
``token_set_ratio``, does *not* score a name that merely contains the other ("Jansen" in
"Jansen Holding") as a perfect match: a holding and its operating company are different
debtors. ``ratio`` covers its blind spot, a typo in a first letter that reorders the sorted
words. Beside a shared KvK, VAT number or IBAN the name is only a sanity check, so there the
lenient form (also ``token_set_ratio``) applies. An exact name+address match, or any
identifier match, is never dismissed: at worst it goes to review.
"""

from __future__ import annotations

import attrs
from rapidfuzz.fuzz import ratio, token_set_ratio, token_sort_ratio

from finlink.sync.candidates import BlockingField, CandidateIndex, RelationKeys
from finlink.sync.decisions import (
    MatchConfig,
    MatchDecision,
    MatchOutcome,
    ScoredCandidate,
    decide,
)

__all__ = [
    "DEFAULT_MATCHERS",
    "CrmKeyMatcher",
    "EmailDomainMatcher",
    "FuzzyNameMatcher",
    "IdentifierMatcher",
    "NameAddressMatcher",
    "PairComparison",
    "compare",
    "name_similarity",
]

_CONFLICT_PENALTY = 30
# "Jansen B.V." and "Jansen V.O.F." at one address are often the old partnership and the new
# company: two legal entities, so a person should look.
_LEGAL_FORM_PENALTY = 6
# Words that make a name a holding or management company: "Jansen Beheer B.V." is the
# director's holding, a different debtor from the operating "Jansen B.V." at the same address.
_HOLDING_WORDS = frozenset(
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
    subject: RelationKeys, candidate: RelationKeys, *, lenient: bool = False, cutoff: float = 0
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
    subject: RelationKeys,
    candidate: RelationKeys,
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
    conflicts: list[str] = []
    for label, mine, theirs in (
        ("KvK", subject.kvk, candidate.kvk),
        ("VAT number", subject.vat, candidate.vat),
    ):
        if mine and theirs:
            if mine == theirs:
                agreements.append(f"same {label} {mine}")
            else:
                conflicts.append(f"different {label} ({mine} vs {theirs})")
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
    holding = _HOLDING_WORDS.intersection(subject.name.tokens).symmetric_difference(
        _HOLDING_WORDS.intersection(candidate.name.tokens)
    )
    penalty = _LEGAL_FORM_PENALTY * other_form
    if holding:
        penalty += _HOLDING_PENALTY
        phrases.append(f"only one of them is a holding ({', '.join(sorted(holding))})")
    same_address, same_postcode = _compare_addresses(subject, candidate, phrases)
    return PairComparison(
        name_score=score,
        same_address=same_address,
        same_postcode=same_postcode,
        other_legal_form=other_form,
        entity_penalty=penalty,
        conflicts=tuple(conflicts),
        agreements=tuple(agreements),
        phrases=tuple(phrases),
    )


def _compare_addresses(
    subject: RelationKeys, candidate: RelationKeys, phrases: list[str]
) -> tuple[bool | None, bool]:
    """Return (same address or None when unknown, same postcode); append the phrase."""
    mine_addr, their_addr = subject.address, candidate.address
    same_address: bool | None = None
    same_postcode = False
    if mine_addr is not None and their_addr is not None:
        same_postcode = bool(mine_addr.postcode) and mine_addr.postcode == their_addr.postcode
        same_house = mine_addr.number is not None and mine_addr.house == their_addr.house
        number = f"{mine_addr.number}{mine_addr.addition.upper()}"
        shown_postcode = subject.relation.address.postcode if subject.relation.address else ""
        if same_postcode and same_house:
            same_address = True
            phrases.append(f"same postcode {shown_postcode} and house number {number}")
        elif (
            same_house
            and mine_addr.street
            and mine_addr.city
            and mine_addr.street == their_addr.street
            and mine_addr.city == their_addr.city
        ):
            same_address = True
            phrases.append(f"same street and house number {number} in the same city")
        elif same_postcode:
            same_address = False
            phrases.append(f"same postcode {shown_postcode} but another house number")
        elif mine_addr.postcode and their_addr.postcode:
            same_address = False
            theirs = candidate.relation.address.postcode if candidate.relation.address else ""
            phrases.append(f"different postcode ({shown_postcode} vs {theirs})")
        elif mine_addr.city and their_addr.city and mine_addr.city != their_addr.city:
            same_address = False
            phrases.append("different city")
    else:
        phrases.append("no address to compare")
    return same_address, same_postcode


def _name_penalty(score: int) -> int:
    if score >= 90:
        return 0
    if score >= 75:
        return 6
    if score >= 60:
        return 12
    return 25


def _scored(
    candidate: RelationKeys, score: int, pair: PairComparison, lead: tuple[str, ...]
) -> ScoredCandidate:
    score -= _CONFLICT_PENALTY * len(pair.conflicts)
    evidence = list(lead)
    evidence.extend(a for a in pair.agreements if a not in lead)
    evidence.extend(pair.phrases)
    evidence.extend(f"but {c}" for c in pair.conflicts)
    if not candidate.active:
        evidence.append("the remote record is inactive")
    return ScoredCandidate(keys=candidate, score=max(0, min(100, score)), evidence=tuple(evidence))


@attrs.frozen(kw_only=True)
class CrmKeyMatcher:
    """The remote record carries this relation's CRM key (finlink wrote it there earlier).

    Attributes:
        name: ``crm_key``.
    """

    name: str = "crm_key"

    def __call__(
        self, subject: RelationKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Link to the record carrying the CRM key; review when its KvK/VAT conflicts."""
        scored = []
        found = index.find("crm_key", subject)
        if not found:
            return None
        for candidate in found:
            pair = compare(subject, candidate)
            lead = (f"the remote record carries CRM key {subject.crm_key!r}",)
            scored.append(_scored(candidate, 100, pair, lead))
        return decide(self.name, scored, config, never_dismiss=True)


@attrs.frozen(kw_only=True)
class IdentifierMatcher:
    """A shared registration or bank identifier: KvK, VAT number or IBAN.

    Attributes:
        name: The rule name (``kvk``, ``vat``, ``iban``).
        field: The identifier's blocking field.
        base: The score a shared identifier starts from.
    """

    name: str
    field: BlockingField
    base: int

    def __call__(
        self, subject: RelationKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Score the candidates sharing the identifier; never dismiss them."""
        scored = []
        found = index.find(self.field, subject)
        if not found:
            return None
        for candidate in found:
            pair = compare(subject, candidate, lenient=True)
            score = self.base - _name_penalty(pair.name_score)
            if pair.same_address:
                score += 3
            prefix = _LEADS.get(self.field, "same")
            lead = tuple(a for a in pair.agreements if a.startswith(prefix))
            scored.append(_scored(candidate, score, pair, lead))
        return decide(self.name, scored, config, never_dismiss=True)


_LEADS = {"kvk": "same KvK", "vat": "same VAT", "iban": "same IBAN"}


@attrs.frozen(kw_only=True)
class NameAddressMatcher:
    """The same normalised name at the same postcode and house number.

    Attributes:
        name: ``name_address``.
        base: The score of an exact name and address match.
    """

    name: str = "name_address"
    base: int = 95

    def __call__(
        self, subject: RelationKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Link on an exact name and address; review when KvK or VAT conflict."""
        scored = []
        found = index.find("name_address", subject)
        if not found:
            return None
        for candidate in found:
            pair = compare(subject, candidate)
            score = self.base - pair.entity_penalty
            scored.append(_scored(candidate, score, pair, ()))
        return decide(self.name, scored, config, never_dismiss=True)


@attrs.frozen(kw_only=True)
class EmailDomainMatcher:
    """A shared company e-mail or web domain, confirmed by a similar name.

    A shared domain alone is weak (departments, franchisees and sister companies share one),
    so the name decides the score; free-mail domains never count.

    Attributes:
        name: ``email_domain``.
    """

    name: str = "email_domain"

    def __call__(
        self, subject: RelationKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Link a domain-sharing candidate with a close name; otherwise pass.

        It never sends anything to review on its own: a grey-zone candidate is left to the
        name rules after it, which may still find a better one.
        """
        scored = []
        found = index.find("domain", subject)
        if not found:
            return None
        for candidate in found:
            pair = compare(subject, candidate)
            score = pair.name_score - 5 - pair.entity_penalty
            if pair.same_address:
                score += 5
            elif pair.same_address is False:
                score -= 10
            scored.append(_scored(candidate, score, pair, ()))
        decision = decide(self.name, scored, config)
        if decision is None or decision.outcome is not MatchOutcome.LINK:
            return None
        return decision


@attrs.frozen(kw_only=True)
class FuzzyNameMatcher:
    """A similar name (:func:`name_similarity`) in the same postcode or name-word block.

    Attributes:
        name: ``fuzzy_name``.
    """

    name: str = "fuzzy_name"

    def __call__(
        self, subject: RelationKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Score the name block by name similarity adjusted for the address.

        Passes when no candidate reaches the review threshold.
        """
        scored = []
        cutoff = config.review_threshold - 10  # no adjustment adds more than +8
        found = index.name_block(subject)
        if not found:
            return None
        for candidate in found:
            name_score = name_similarity(subject, candidate, cutoff=cutoff)
            if not name_score:
                continue
            pair = compare(subject, candidate, name_score=name_score)
            score = pair.name_score - pair.entity_penalty
            if pair.same_address:
                score += 5
            elif pair.same_postcode:
                score -= 5
            else:  # another address, or one side has none: the name alone must carry it
                score -= 15
            if not set(subject.domains).isdisjoint(candidate.domains):
                score += 3
            # 100 is kept for exact evidence; a similar name never claims certainty.
            scored.append(_scored(candidate, min(score, 99), pair, ()))
        return decide(self.name, scored, config)


#: The built-in matchers in their default order: strongest evidence first.
DEFAULT_MATCHERS: tuple[
    CrmKeyMatcher | IdentifierMatcher | NameAddressMatcher | EmailDomainMatcher | FuzzyNameMatcher,
    ...,
] = (
    CrmKeyMatcher(),
    IdentifierMatcher(name="kvk", field="kvk", base=97),
    IdentifierMatcher(name="vat", field="vat", base=97),
    IdentifierMatcher(name="iban", field="iban", base=92),
    EmailDomainMatcher(),
    NameAddressMatcher(),
    FuzzyNameMatcher(),
)
