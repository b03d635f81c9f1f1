"""What a matcher answers: outcomes, decisions with evidence, thresholds, the Matcher protocol."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Protocol

import attrs

from finlink._errors import ConfigurationError
from finlink.sync.candidates import CandidateIndex
from finlink.sync.match_keys import MatchKeys

__all__ = [
    "Alternative",
    "MatchConfig",
    "MatchDecision",
    "MatchOutcome",
    "Matcher",
    "ScoredCandidate",
    "decide",
]


class MatchOutcome(enum.StrEnum):
    """What the engine should do with a CRM relation in one administration."""

    LINK = "link"
    """The relation exists there: link to :attr:`MatchDecision.remote_id`, create nothing."""
    REVIEW = "review"
    """A person must decide: a grey-zone score, conflicting identifiers, or several candidates
    equally strong. The engine creates nothing until someone does."""
    CREATE = "create"
    """Nothing close enough exists: create the relation."""


@attrs.frozen(kw_only=True)
class Alternative:
    """Another candidate a matcher considered, with its score and why.

    Attributes:
        remote_id: The candidate's remote id.
        score: Its score, 0-100.
        evidence: What matched and what did not, in plain words.
    """

    remote_id: str
    score: int
    evidence: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class MatchDecision:
    """The matcher's answer for one CRM relation in one administration, with its reasons.

    Attributes:
        outcome: Link, review or create.
        rule: The matcher that decided (``kvk``, ``fuzzy_name``...), ``none`` when nothing
            matched.
        score: Confidence 0-100 in :attr:`remote_id` being the same relation.
        evidence: What matched (and what conflicted), in words a bookkeeper reads, e.g.
            ``same KvK 12345678``.
        alternatives: The other candidates, best first.
        remote_id: The candidate to link to (LINK) or the strongest one (REVIEW); None for
            CREATE.
    """

    outcome: MatchOutcome
    rule: str
    score: int
    evidence: tuple[str, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    remote_id: str | None = None

    @property
    def explanation(self) -> str:
        """The evidence as one sentence."""
        return "; ".join(self.evidence) if self.evidence else "no candidate found"


def _check_thresholds(instance: MatchConfig, _attribute: object, _value: object) -> None:
    if not 0 <= instance.review_threshold <= instance.link_threshold <= 100:
        raise ConfigurationError(
            "match thresholds must satisfy 0 <= review_threshold <= link_threshold <= 100, "
            f"not review={instance.review_threshold}, link={instance.link_threshold}"
        )


@attrs.frozen(kw_only=True)
class MatchConfig:
    """Thresholds that turn scores into outcomes.

    Attributes:
        link_threshold: A candidate scoring at least this is linked (default 90).
        review_threshold: From this score up to the link threshold a person reviews; below it
            the candidate is dismissed (default 70). Identifier matches (KvK, VAT, IBAN, the
            same name at the same address) are never dismissed: at worst they go to review.
        ambiguity_margin: Candidates scoring within this many points of the best make the
            decision ambiguous: review, never a guess (default 2).
        max_alternatives: How many other candidates a decision lists (default 5).

    Raises:
        ConfigurationError: The thresholds are out of order or outside 0-100.
    """

    link_threshold: int = attrs.field(default=90, validator=_check_thresholds)
    review_threshold: int = attrs.field(default=70, validator=_check_thresholds)
    ambiguity_margin: int = 2
    max_alternatives: int = 5


@attrs.frozen(kw_only=True)
class ScoredCandidate:
    """One candidate with the score a matcher gave it and the evidence for that score.

    Attributes:
        keys: The candidate.
        score: 0-100.
        evidence: Phrases saying what matched and what did not.
    """

    keys: MatchKeys
    score: int
    evidence: tuple[str, ...]


class Matcher(Protocol):
    """A small callable that recognises a CRM relation among an administration's relations.

    It looks at the candidates its rule can find (usually through one of the index's blocks)
    and returns a :class:`MatchDecision`, or None to pass to the next matcher. Use
    :func:`decide` to turn scored candidates into a decision with the configured thresholds.
    """

    @property
    def name(self) -> str:
        """A short stable name (``kvk``), used in decisions and to reorder or drop matchers."""
        ...

    def __call__(
        self, subject: MatchKeys, index: CandidateIndex, config: MatchConfig
    ) -> MatchDecision | None:
        """Decide about ``subject`` (the CRM relation's keys), or return None to pass."""
        ...


def decide(
    rule: str,
    scored: Iterable[ScoredCandidate],
    config: MatchConfig,
    *,
    never_dismiss: bool = False,
) -> MatchDecision | None:
    """Turn scored candidates into a decision.

    The best candidate links when it reaches ``link_threshold`` and no other comes within
    ``ambiguity_margin`` of it; a best score between the thresholds, or a tie, means review.
    Below ``review_threshold`` the candidates are dismissed (None: the next matcher tries),
    unless ``never_dismiss`` is set, as for identifier rules: a shared KvK is never ignored.

    Args:
        rule: The matcher's name, recorded in the decision.
        scored: The candidates with their scores.
        config: The thresholds.
        never_dismiss: Send low scores to review instead of passing.
    """
    ranked = sorted(scored, key=lambda c: (-c.score, c.keys.record_id))
    if not ranked:
        return None
    best = ranked[0]
    if best.score < config.review_threshold and not never_dismiss:
        return None
    others = ranked[1:]
    alternatives = tuple(
        Alternative(remote_id=c.keys.record_id, score=c.score, evidence=c.evidence)
        for c in others[: config.max_alternatives]
    )
    rivals = [
        c
        for c in others
        if c.score >= best.score - config.ambiguity_margin and c.score >= config.review_threshold
    ]
    evidence = best.evidence
    if rivals:
        evidence = (
            f"{len(rivals) + 1} candidates are about equally strong "
            f"({best.score} and {rivals[0].score}); not guessing",
            *evidence,
        )
        outcome = MatchOutcome.REVIEW
    elif best.score >= config.link_threshold:
        outcome = MatchOutcome.LINK
    else:
        outcome = MatchOutcome.REVIEW
    return MatchDecision(
        outcome=outcome,
        rule=rule,
        score=best.score,
        evidence=evidence,
        alternatives=alternatives,
        remote_id=best.keys.record_id,
    )
