"""The built-in matchers, strongest evidence first.

The certain tiers run first and score by rule; the fuzzy part is weighed (Fellegi-Sunter,
:mod:`finlink.sync.fellegi_sunter`). Scores of the rule-based tiers start from the strength
of the rule that found the candidate and are adjusted:

- `crm_key`, base 100: -30 per conflicting KvK or VAT number.
- `kvk` and `vat`, base 97; `iban`, base 92: lenient name similarity below 90 -6, below 75
  -12, below 60 -25; same address +3; for VAT and IBAN another legal form -6, only one a
  holding -15 (a fiscal unity shares one VAT number); -30 per conflicting KvK or VAT number.
  A candidate of another establishment (vestigingsnummer) is no candidate at all, and when
  several relations share the number and none is at this address, the rule passes: the
  number names a company with several establishments, and the name rules look for this one.
- `email_domain`, base the name similarity -5: same address +5, another address -10; another
  legal form -6, only one a holding -15. It links or passes, never sends to review on its
  own.
- `name_address`, base 95: another legal form -6, only one a holding -15.
- `fuzzy_name` (:class:`~finlink.sync.fellegi_sunter.FellegiSunterMatcher`): the match
  probability of the Fellegi-Sunter match weight, at most 99.

The name rules (`email_domain`, `name_address`, `fuzzy_name`) never link or review a
candidate with evidence against it (:func:`~finlink.sync.comparison.evidence_against`: two
KvK numbers, two VAT numbers of one country, two establishment numbers): `fuzzy_name`
decides CREATE and names that evidence. An identifier match is never dismissed: at worst it
goes to review.
"""

from __future__ import annotations

import attrs

from finlink.sync.candidates import BlockingField, CandidateIndex
from finlink.sync.comparison import PairComparison, compare, evidence_against, name_similarity
from finlink.sync.decisions import (
    MatchConfig,
    MatchDecision,
    MatchOutcome,
    ScoredCandidate,
    decide,
)
from finlink.sync.fellegi_sunter import FellegiSunterMatcher
from finlink.sync.match_keys import MatchKeys

__all__ = [
    "DEFAULT_MATCHERS",
    "CrmKeyMatcher",
    "EmailDomainMatcher",
    "FellegiSunterMatcher",
    "FuzzyNameMatcher",
    "IdentifierMatcher",
    "NameAddressMatcher",
    "PairComparison",
    "compare",
    "name_similarity",
]

_CONFLICT_PENALTY = 30
#: The former name of the ``fuzzy_name`` rule's class.
FuzzyNameMatcher = FellegiSunterMatcher


def _name_penalty(score: int) -> int:
    if score >= 90:
        return 0
    if score >= 75:
        return 6
    if score >= 60:
        return 12
    return 25


def _scored(
    candidate: MatchKeys, score: int, pair: PairComparison, lead: tuple[str, ...]
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
        self, subject: MatchKeys, index: CandidateIndex, config: MatchConfig
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
        self, subject: MatchKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Score the candidates sharing the identifier; never dismiss them."""
        scored = []
        found = index.find(self.field, subject)
        if not found:
            return None
        here = False
        for candidate in found:
            if _other_establishment(subject, candidate):
                continue
            pair = compare(subject, candidate, lenient=True)
            score = self.base - _name_penalty(pair.name_score)
            if pair.same_address:
                score += 3
            if self.field != "kvk":
                # The members of a fiscal unity share one VAT number, a group often one bank
                # account: a holding beside its subsidiary is two debtors. A KvK number is
                # the legal entity itself.
                score -= pair.entity_penalty
            prefix = _LEADS.get(self.field, "same")
            lead = tuple(a for a in pair.agreements if a.startswith(prefix))
            scored.append(_scored(candidate, score, pair, lead))
            here = here or bool(pair.same_address)
        if len(scored) > 1 and not here:
            # Several relations share the number and none is at this address: it names a
            # company with several establishments (a chain), not this one. The name and
            # address rules look for this establishment.
            return None
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
        self, subject: MatchKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Link on an exact name and address; review when KvK or VAT conflict."""
        scored = []
        found = index.find("name_address", subject)
        if not found:
            return None
        for candidate in found:
            if evidence_against(subject, candidate):
                continue  # fuzzy_name names the evidence when it decides CREATE
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
        self, subject: MatchKeys, index: CandidateIndex, config: MatchConfig
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
            if evidence_against(subject, candidate):
                continue
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


def _other_establishment(subject: MatchKeys, candidate: MatchKeys) -> bool:
    mine, theirs = subject.establishment, candidate.establishment
    return bool(mine and theirs and mine != theirs)


#: The built-in matchers in their default order: strongest evidence first.
DEFAULT_MATCHERS: tuple[
    CrmKeyMatcher
    | IdentifierMatcher
    | NameAddressMatcher
    | EmailDomainMatcher
    | FellegiSunterMatcher,
    ...,
] = (
    CrmKeyMatcher(),
    IdentifierMatcher(name="kvk", field="kvk", base=97),
    IdentifierMatcher(name="vat", field="vat", base=97),
    IdentifierMatcher(name="iban", field="iban", base=92),
    EmailDomainMatcher(),
    NameAddressMatcher(),
    FellegiSunterMatcher(),
)
