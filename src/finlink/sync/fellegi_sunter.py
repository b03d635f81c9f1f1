"""The probabilistic part of matching: Fellegi-Sunter scores for candidates found by name.

:func:`field_levels` compares a pair field by field; :func:`score_pair` turns the levels into
:class:`~finlink.sync.weights.FieldWeight` contributions, adjusting the u probability of a
*common* value by its frequency in the index (term-frequency adjustment: a name that forty
relations carry, or a postcode a business park shares, agreeing says less than a rare one).
:class:`FellegiSunterMatcher` is the ``fuzzy_name`` rule of the default pipeline: it scores
every candidate whose name is at least 80 similar, and says what it decided as a sum of
field weights.
"""

from __future__ import annotations

import math
import operator

import attrs
from rapidfuzz import process
from rapidfuzz.fuzz import ratio, token_sort_ratio

from finlink.sync.candidates import CandidateIndex
from finlink.sync.comparison import HOLDING_WORDS, compare, evidence_against
from finlink.sync.decisions import (
    Alternative,
    MatchConfig,
    MatchDecision,
    MatchOutcome,
)
from finlink.sync.match_keys import MatchKeys
from finlink.sync.weights import DEFAULT_WEIGHTS, FieldWeight, MatchWeights, bits_to_probability

__all__ = [
    "NAME_CUTOFF",
    "FellegiSunterMatcher",
    "ScoredPair",
    "field_levels",
    "name_level",
    "score_pair",
    "word_commonness",
]

#: Candidates whose name similarity is below this are not scored: a pair with different
#: names must be joined by an identifier (the tiers before this one), not by its address.
NAME_CUTOFF = 80.0
_NAMED = ("exact", "close")
_DOMAIN_GIVEN_NAME = 0.05
# The fields whose u depends on the value or on another field.
_ADJUSTED = frozenset({"name", "postcode", "email_domain", "city"})


def name_level(name_score: float, *, exact: bool) -> str | None:
    """The name level of a similarity 0-100 (``exact`` when the normalised names are equal)."""
    if exact:
        return "exact"
    if name_score >= 94:
        return "close"
    if name_score >= 88:
        return "similar"
    if name_score >= NAME_CUTOFF:
        return "alike"
    return None


def field_levels(
    subject: MatchKeys, candidate: MatchKeys, name_score: float
) -> dict[str, str | None]:
    """The level of every field of :data:`~finlink.sync.weights.FIELD_LEVELS` for one pair.

    None means "not compared": missing on one side, or settled by another field (the street
    and the city when the postcodes are known).
    """
    levels: dict[str, str | None] = {
        "name": name_level(name_score, exact=subject.name.compact == candidate.name.compact)
    }
    mine_form, their_form = subject.name.legal_form, candidate.name.legal_form
    holding = HOLDING_WORDS.intersection(subject.name.tokens) != HOLDING_WORDS.intersection(
        candidate.name.tokens
    )
    if holding:
        levels["legal_form"] = "holding"
    elif mine_form and their_form:
        levels["legal_form"] = "same" if mine_form == their_form else "other_form"
    else:
        levels["legal_form"] = None
    mine, theirs = subject.address, candidate.address
    postcode = house = street = city = None
    if mine is not None and theirs is not None:
        if mine.postcode and theirs.postcode:
            if mine.postcode == theirs.postcode:
                postcode = "exact"
            elif subject.area is not None and subject.area == candidate.area:
                postcode = "area"
            else:
                postcode = "other"
        # A street name says little without its city ("Hoofdstraat"), and a house number
        # nothing without its street or postcode: each is compared only in its context.
        if postcode is None and mine.street and theirs.street and mine.city and theirs.city:
            street = "exact" if mine.street == theirs.street else "other"
        if (
            mine.number is not None
            and theirs.number is not None
            and (postcode in ("exact", "area") or street == "exact")
        ):
            same_house = mine.house == theirs.house or (
                mine.number == theirs.number and not (mine.addition and theirs.addition)
            )
            house = "exact" if same_house else "other"
        if postcode in (None, "other") and mine.city and theirs.city:
            city = "exact" if mine.city == theirs.city else "other"
    levels.update(postcode=postcode, house_number=house, street=street, city=city)
    levels["email_domain"] = _shared(subject.domains, candidate.domains)
    levels["phone"] = _shared(subject.phones, candidate.phones)
    levels["iban"] = (
        ("exact" if subject.iban == candidate.iban else "other")
        if subject.iban and candidate.iban
        else None
    )
    return levels


def _shared(mine: tuple[str, ...], theirs: tuple[str, ...]) -> str | None:
    if not mine or not theirs:
        return None
    return "other" if set(mine).isdisjoint(theirs) else "exact"


@attrs.frozen(kw_only=True)
class ScoredPair:
    """A candidate with its field weights.

    Attributes:
        keys: The candidate.
        weights: The prior and every compared field's weight.
        bits: The total match weight (the sum of :attr:`weights`).
        against: Evidence that the two are different businesses (:func:`evidence_against`).
        name_score: The name similarity 0-100.
    """

    keys: MatchKeys
    weights: tuple[FieldWeight, ...]
    bits: float
    against: tuple[str, ...]
    name_score: float

    @property
    def probability(self) -> float:
        """The match probability of :attr:`bits`."""
        return bits_to_probability(self.bits)

    @property
    def score(self) -> int:
        """The probability as 0-99: 100 is kept for exact evidence, never a weighed guess."""
        return min(99, int(self.probability * 100))

    @property
    def capped(self) -> bool:
        """True when only one name is a holding: such a pair is at most reviewed."""
        return any(w.field == "legal_form" and w.level == "holding" for w in self.weights)

    def explain(self) -> str:
        """The decision as a sum: ``match weight +9.4 bits = prior -16.6 + name exact ...``."""
        parts = " ".join(
            f"{'+' if w.bits >= 0 else '-'} {w.field} {w.level} {abs(w.bits):.1f}"
            for w in self.weights[1:]
        )
        return (
            f"match weight {self.bits:+.1f} bits (probability {self.probability:.1%}) = "
            f"prior {self.weights[0].bits:.1f} {parts}"
        )


def word_commonness(subject: MatchKeys, index: CandidateIndex, common_floor: int) -> float:
    """How many indexed relations would carry the subject's name if words were independent.

    "bakkerij" in 1 % of names and "jansen" in 2 %: 0.02 % of 100,000 names, 20, are
    "Bakkerij Jansen". Frequencies are taken over at least ``common_floor`` relations.
    """
    floor = max(len(index), common_floor)
    estimate = float(floor)
    for word in subject.blocking_words():
        estimate *= max(1, index.frequency("word", word)) / floor
    return estimate


def _name_commonness(
    subject: MatchKeys, candidate: MatchKeys, index: CandidateIndex, words: float
) -> float:
    """How many indexed relations, other than the true one, carry a name like this one.

    The larger of the exact name's count (minus the candidate itself) and the words'
    estimate (:func:`word_commonness`); at least 1.
    """
    exact = (
        max(
            index.frequency("name", subject.name.compact),
            index.frequency("name", candidate.name.compact),
        )
        - 1
    )
    return max(1.0, float(exact), words)


def score_pair(
    subject: MatchKeys,
    candidate: MatchKeys,
    index: CandidateIndex,
    name_score: float,
    weights: MatchWeights = DEFAULT_WEIGHTS,
    *,
    words: float | None = None,
) -> ScoredPair:
    """The Fellegi-Sunter match weight of one pair, field by field.

    Args:
        subject: The CRM relation's keys.
        candidate: The candidate's keys.
        index: The index the candidate came from: its frequencies adjust u for common names,
            postcodes and cities.
        name_score: The name similarity 0-100.
        weights: The m and u probabilities.
        words: :func:`word_commonness` of the subject, when the caller computed it once for
            all its candidates.
    """
    floor = max(len(index), weights.common_floor)
    if words is None:
        words = word_commonness(subject, index, weights.common_floor)
    out = [FieldWeight("prior", "odds", weights.prior_bits)]
    levels = field_levels(subject, candidate, name_score)
    for field, level in levels.items():
        if level is None:
            continue
        if field not in _ADJUSTED:
            out.append(FieldWeight(field, level, weights.weight(field, level)))
            continue
        u = weights.u(field, level)
        note = ""
        if field == "name":
            common = _name_commonness(subject, candidate, index, words)
            u = min(0.5, u * common)
            note = f"{name_score:.0f}" if level != "exact" else ""
            if common >= 2:
                note = f"{note}, common name ~{common:.0f}x".lstrip(", ")
        elif field == "postcode" and level == "exact" and subject.address is not None:
            count = index.frequency("postcode", subject.address.postcode) - 1
            u = max(u, min(0.5, count / floor))
            if count >= 2:
                note = f"shared by {count + 1} relations"
        elif field == "email_domain" and level == "exact" and levels["name"] in _NAMED:
            # A company domain is made from the company name: once the names agree, the
            # domain agreeing adds little (branches of a chain share both).
            u = max(u, _DOMAIN_GIVEN_NAME)
            note = "follows the name"
        elif field == "city" and level == "exact" and subject.address is not None:
            count = index.frequency("city", subject.address.city)
            u = max(u, min(0.5, count / floor))
        out.append(FieldWeight(field, level, weights.weight(field, level, u=u), note))
    return ScoredPair(
        keys=candidate,
        weights=tuple(out),
        bits=math.fsum(w.bits for w in out),
        against=evidence_against(subject, candidate),
        name_score=name_score,
    )


# A candidate block is read for every subject matched: the names are taken out in C.
_NAME_TEXT = operator.attrgetter("name.text")
_NAME_COMPACT = operator.attrgetter("name.compact")


def _logit_bits(threshold: int) -> float:
    if threshold >= 100:
        return math.inf
    if threshold <= 0:
        return -math.inf
    p = threshold / 100
    return math.log2(p / (1 - p))


@attrs.frozen(kw_only=True)
class FellegiSunterMatcher:
    """Score every candidate with a similar name by its Fellegi-Sunter match weight.

    The link and review thresholds of :class:`~finlink.sync.decisions.MatchConfig` apply to
    the match probability (90 means 90 %). A candidate with evidence against it
    (:func:`~finlink.sync.comparison.evidence_against`) is never linked or reviewed: when it
    was the one close candidate, the decision is CREATE and says why.

    Attributes:
        name: ``fuzzy_name``.
        weights: The m and u probabilities (default :data:`~finlink.sync.weights.DEFAULT_WEIGHTS`).
        ambiguity_bits: A second candidate within this many bits of the best one (8 times
            the odds, by default) makes the decision ambiguous: review.
    """

    name: str = "fuzzy_name"
    weights: MatchWeights = DEFAULT_WEIGHTS
    ambiguity_bits: float = 3.0

    def candidates(self, subject: MatchKeys, index: CandidateIndex) -> list[ScoredPair]:
        """Every candidate with a name at least :data:`NAME_CUTOFF` similar, scored."""
        found = index.name_block(subject)
        if not found:
            return []
        # rapidfuzz loops in C over the whole block: most candidates fail the cutoff here.
        texts = list(map(_NAME_TEXT, found))
        best: dict[int, float] = {}
        for scorer in (ratio, token_sort_ratio):
            for _text, score, position in process.extract(
                subject.name.text, texts, scorer=scorer, score_cutoff=NAME_CUTOFF, limit=None
            ):
                if score > best.get(position, 0.0):
                    best[position] = score
        compact = subject.name.compact
        for position, other in enumerate(map(_NAME_COMPACT, found)):
            if other == compact:
                best[position] = 100.0
        words = word_commonness(subject, index, self.weights.common_floor)
        return [
            score_pair(subject, found[position], index, score, self.weights, words=words)
            for position, score in sorted(best.items())
        ]

    def __call__(
        self, subject: MatchKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Link, review or create on the best candidate's match weight; pass when none."""
        scored = self.candidates(subject, index)
        if not scored:
            return None
        link_bits = _logit_bits(config.link_threshold)
        review_bits = _logit_bits(config.review_threshold)
        ranked = sorted(scored, key=lambda p: (-p.bits, p.keys.record_id))
        usable = [p for p in ranked if not p.against]
        refuted = [p for p in ranked if p.against]
        if usable and usable[0].bits >= review_bits:
            return self._decide(subject, usable, ranked, (link_bits, review_bits), config)
        nearest = refuted[0] if refuted and refuted[0].bits >= review_bits else None
        if nearest is not None:
            reason = f"not {nearest.keys.record_id} {nearest.keys.relation.name!r}: " + "; ".join(
                nearest.against
            )
            return self._create(subject, nearest, ranked, config, reason)
        top = ranked[0]
        if top.weights[1].level in _NAMED:  # weights[0] is the prior, [1] the name
            # A name-only look-alike: say why it was not taken (another town, another number).
            why = "; ".join(top.against) if top.against else "too little agrees"
            reason = f"not {top.keys.record_id} {top.keys.relation.name!r}: {why}"
            return self._create(subject, top, ranked, config, reason)
        return None

    def _decide(
        self,
        subject: MatchKeys,
        usable: list[ScoredPair],
        ranked: list[ScoredPair],
        thresholds: tuple[float, float],
        config: MatchConfig,
    ) -> MatchDecision:
        link_bits, review_bits = thresholds
        best = usable[0]
        rivals = [
            p
            for p in usable[1:]
            if p.bits >= review_bits and p.bits >= best.bits - self.ambiguity_bits
        ]
        evidence = list(_phrases(subject, best))
        if rivals:
            evidence.insert(
                0,
                f"{len(rivals) + 1} candidates are about equally strong "
                f"({best.bits:+.1f} and {rivals[0].bits:+.1f} bits); not guessing",
            )
            outcome = MatchOutcome.REVIEW
        elif best.bits >= link_bits and not best.capped:
            outcome = MatchOutcome.LINK
        else:
            outcome = MatchOutcome.REVIEW
        return MatchDecision(
            outcome=outcome,
            rule=self.name,
            score=best.score,
            evidence=tuple(evidence),
            alternatives=_alternatives(subject, ranked, best, config),
            remote_id=best.keys.record_id,
        )

    def _create(
        self,
        subject: MatchKeys,
        nearest: ScoredPair,
        ranked: list[ScoredPair],
        config: MatchConfig,
        reason: str,
    ) -> MatchDecision:
        return MatchDecision(
            outcome=MatchOutcome.CREATE,
            rule=self.name,
            score=0,
            evidence=(reason, *_phrases(subject, nearest)),
            alternatives=_alternatives(subject, ranked, None, config),
        )


def _phrases(subject: MatchKeys, pair: ScoredPair) -> tuple[str, ...]:
    """The pair's evidence: what agreed and differed in words, then the sum of weights."""
    comparison = compare(subject, pair.keys, name_score=pair.name_score)
    phrases = [*comparison.agreements, *comparison.phrases]
    phrases.extend(f"but {c}" for c in pair.against)
    if not pair.keys.active:
        phrases.append("the remote record is inactive")
    phrases.append(pair.explain())
    return tuple(phrases)


def _alternatives(
    subject: MatchKeys, ranked: list[ScoredPair], best: ScoredPair | None, config: MatchConfig
) -> tuple[Alternative, ...]:
    others = [p for p in ranked if p is not best][: config.max_alternatives]
    return tuple(
        Alternative(
            remote_id=p.keys.record_id,
            score=0 if p.against else p.score,
            evidence=(*p.against, p.explain()),
        )
        for p in others
    )
