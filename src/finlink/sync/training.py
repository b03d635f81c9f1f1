"""Estimating the Fellegi-Sunter m and u probabilities from a host's own data.

Two ways, both returning a new :class:`~finlink.sync.weights.MatchWeights` to give to
:class:`~finlink.sync.fellegi_sunter.FellegiSunterMatcher`:

- :func:`weights_from_labelled_pairs`: from pairs a person has decided (the review queue's
  answers are exactly that): m is counted among the matches, u among the non-matches.
- :func:`estimate_weights`: without labels, by expectation-maximisation (EM) over the pairs
  blocking finds, as splink and fastLink do. u is counted on random pairs of a CRM relation
  and a remote relation (almost all non-matches); m and the share of matches among the
  candidate pairs are then found by EM with u held fixed.

Every estimate is blended with the weights it starts from, as if those had been seen
``prior_strength`` times: a level that the data hardly shows keeps a sensible value instead
of 0 or 1. The names' u and the prior are never estimated (two different businesses rarely
share a name, so random pairs cannot measure it; the index's name frequencies adjust it per
name instead).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from finlink.model.relation import Relation
from finlink.sync.candidates import CandidateIndex
from finlink.sync.comparison import name_similarity
from finlink.sync.fellegi_sunter import NAME_CUTOFF, field_levels
from finlink.sync.match_keys import MatchKeys
from finlink.sync.weights import DEFAULT_WEIGHTS, FIELD_LEVELS, MatchWeights

__all__ = ["estimate_weights", "weights_from_labelled_pairs"]

_Levels = dict[str, str | None]
# A probability estimate never reaches 0 or 1: the weight would be infinite.
_LOW, _HIGH = 1e-7, 1 - 1e-7


def _levels(subject: MatchKeys, candidate: MatchKeys) -> _Levels:
    return field_levels(subject, candidate, name_similarity(subject, candidate))


def _blend(
    counts: dict[str, dict[str, float]], base: MatchWeights, which: int, strength: float
) -> dict[str, dict[str, float]]:
    """Per field, the level shares of ``counts`` blended with ``base``'s m (0) or u (1)."""
    out: dict[str, dict[str, float]] = {}
    for field, levels in FIELD_LEVELS.items():
        seen = counts.get(field, {})
        total = sum(seen.values())
        out[field] = {}
        for level in levels:
            prior = base.probabilities[field][level][which]
            value = (seen.get(level, 0.0) + strength * prior) / (total + strength)
            out[field][level] = min(_HIGH, max(_LOW, value))
    return out


def _count(vectors: Iterable[tuple[_Levels, float]]) -> dict[str, dict[str, float]]:
    counts: dict[str, dict[str, float]] = {}
    for levels, weight in vectors:
        for field, level in levels.items():
            if level is not None:
                per_field = counts.setdefault(field, {})
                per_field[level] = per_field.get(level, 0.0) + weight
    return counts


def _combine(
    base: MatchWeights,
    m: dict[str, dict[str, float]],
    u: dict[str, dict[str, float]],
    *,
    keep_name_u: bool,
) -> MatchWeights:
    probabilities = {
        field: {
            level: (
                m[field][level],
                base.u(field, level) if keep_name_u and field == "name" else u[field][level],
            )
            for level in levels
        }
        for field, levels in FIELD_LEVELS.items()
    }
    return base.replace(probabilities)


def weights_from_labelled_pairs(
    pairs: Iterable[tuple[MatchKeys, MatchKeys, bool]],
    *,
    base: MatchWeights = DEFAULT_WEIGHTS,
    prior_strength: float = 10.0,
) -> MatchWeights:
    """M and u counted on pairs a person has labelled.

    Args:
        pairs: ``(CRM keys, remote keys, is the same relation)``; build keys with
            :func:`~finlink.sync.match_keys.match_keys` or :meth:`CandidateIndex.keys_for`.
        base: The weights to start from and blend with.
        prior_strength: How many labelled pairs ``base`` counts for, per field.

    Raises:
        ValueError: No pair is labelled a match, or none a non-match.
    """
    matches: list[tuple[_Levels, float]] = []
    others: list[tuple[_Levels, float]] = []
    for subject, candidate, same in pairs:
        (matches if same else others).append((_levels(subject, candidate), 1.0))
    if not matches or not others:
        raise ValueError("labelled pairs must include matches and non-matches")
    m = _blend(_count(matches), base, 0, prior_strength)
    u = _blend(_count(others), base, 1, prior_strength)
    # Labelled non-matches are pairs someone thought worth asking about: their names agree
    # far more often than random pairs' do, so their name u would understate a name's weight.
    return _combine(base, m, u, keep_name_u=True)


def _random_pairs(
    subjects: Sequence[MatchKeys], candidates: Sequence[MatchKeys], count: int
) -> Iterable[_Levels]:
    # A fixed stride through both lists instead of a random generator: the same data always
    # gives the same estimate. 7919 is prime, so the pairs spread over the whole index.
    if not subjects or not candidates:
        return
    for step in range(count):
        subject = subjects[step % len(subjects)]
        candidate = candidates[(step * 7919 + 1) % len(candidates)]
        if candidate.record_id != subject.record_id:
            yield field_levels(subject, candidate, 0.0)


def estimate_weights(
    crm: Iterable[Relation],
    index: CandidateIndex,
    *,
    base: MatchWeights = DEFAULT_WEIGHTS,
    iterations: int = 25,
    random_pairs: int = 50_000,
    max_pairs: int = 200_000,
    prior_strength: float = 50.0,
) -> MatchWeights:
    """M and u estimated from unlabelled data: a CRM file and an administration's index.

    Args:
        crm: The CRM relations (a sample of a few thousand is plenty).
        index: The administration's relations.
        base: The weights to start from and blend with.
        iterations: EM rounds.
        random_pairs: How many random pairs u is counted on.
        max_pairs: At most this many candidate pairs (name similarity >= 80) enter EM.
        prior_strength: How many pairs ``base`` counts for, per field.
    """
    subjects = [index.keys_for(relation) for relation in crm]
    everyone = list(index)
    u_counts = _count((levels, 1.0) for levels in _random_pairs(subjects, everyone, random_pairs))
    u = _blend(u_counts, base, 1, prior_strength)
    vectors: list[_Levels] = []
    for subject in subjects:
        for candidate in index.name_block(subject):
            score = name_similarity(subject, candidate, cutoff=NAME_CUTOFF)
            if score:
                vectors.append(field_levels(subject, candidate, score))
        if len(vectors) >= max_pairs:
            break
    m = {
        field: {level: base.m(field, level) for level in levels}
        for field, levels in FIELD_LEVELS.items()
    }
    share = 0.5
    for _ in range(iterations):
        posteriors = []
        for levels in vectors:
            bits = math.log2(share / (1 - share))
            for field, level in levels.items():
                # The pairs were chosen for their similar names: the name cannot tell them
                # apart here, so only the other fields decide the posterior.
                if level is not None and field != "name":
                    bits += math.log2(m[field][level] / u[field][level])
            posteriors.append(1 / (1 + 2.0 ** max(-60.0, min(60.0, -bits))))
        if vectors:
            share = min(_HIGH, max(_LOW, math.fsum(posteriors) / len(posteriors)))
        m = _blend(_count(zip(vectors, posteriors, strict=True)), base, 0, prior_strength)
    return _combine(base, m, u, keep_name_u=True)
