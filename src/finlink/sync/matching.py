"""Relation matching: does this CRM relation already exist in the administration?

The sync engine must never create a duplicate debtor. Before it creates a relation in an
administration, it first uses a link it stored earlier (that is the engine's job, before the
matcher is called); failing that it asks a :class:`MatchPipeline`, which runs small
:class:`Matcher` callables in order, strongest evidence first, until one decides:

>>> index = CandidateIndex.from_records(remote_records)      # doctest: +SKIP
>>> decision = MatchPipeline().match(crm_relation, index)     # doctest: +SKIP
>>> decision.outcome, decision.remote_id, decision.explanation  # doctest: +SKIP
(<MatchOutcome.LINK: 'link'>, '6b2f...', 'same KvK 12345678; name ...')

Every decision says which rule decided, how sure it is, what matched in plain words and which
other candidates were close. The same pipeline finds duplicates within one set
(:func:`find_duplicates`). Everything here is pure: no I/O, no clock, no randomness.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from finlink.model.relation import Relation
from finlink.sync.candidates import (
    BlockingField,
    CandidateIndex,
    RelationKeys,
    relation_keys,
)
from finlink.sync.comparison import evidence_against
from finlink.sync.decisions import (
    Alternative,
    MatchConfig,
    MatchDecision,
    Matcher,
    MatchOutcome,
    ScoredCandidate,
    decide,
)
from finlink.sync.match_keys import MatchKeys, match_keys
from finlink.sync.matchers import (
    DEFAULT_MATCHERS,
    CrmKeyMatcher,
    EmailDomainMatcher,
    FellegiSunterMatcher,
    FuzzyNameMatcher,
    IdentifierMatcher,
    NameAddressMatcher,
    PairComparison,
    compare,
)
from finlink.sync.weights import DEFAULT_WEIGHTS, FieldWeight, MatchWeights

__all__ = [
    "DEFAULT_MATCHERS",
    "DEFAULT_WEIGHTS",
    "Alternative",
    "BlockingField",
    "CandidateIndex",
    "CrmKeyMatcher",
    "DuplicateGroup",
    "EmailDomainMatcher",
    "FellegiSunterMatcher",
    "FieldWeight",
    "FuzzyNameMatcher",
    "IdentifierMatcher",
    "MatchConfig",
    "MatchDecision",
    "MatchKeys",
    "MatchOutcome",
    "MatchPipeline",
    "MatchWeights",
    "Matcher",
    "NameAddressMatcher",
    "PairComparison",
    "RelationKeys",
    "ScoredCandidate",
    "compare",
    "decide",
    "evidence_against",
    "find_duplicates",
    "match_keys",
    "relation_keys",
]

_NOTHING = MatchDecision(
    outcome=MatchOutcome.CREATE,
    rule="none",
    score=0,
    evidence=("no relation in the administration is close enough",),
)


def _default_matchers() -> tuple[Matcher, ...]:
    return tuple(DEFAULT_MATCHERS)


def _as_matchers(matchers: Iterable[Matcher]) -> tuple[Matcher, ...]:
    return tuple(matchers)


@attrs.frozen(kw_only=True)
class MatchPipeline:
    """Matchers run in order; the first that links or reviews wins, otherwise CREATE.

    Attributes:
        matchers: The matchers, strongest evidence first (default :data:`DEFAULT_MATCHERS`:
            ``crm_key``, ``kvk``, ``vat``, ``iban``, ``email_domain``, ``name_address``,
            ``fuzzy_name``).
        config: Thresholds shared by all matchers.
    """

    matchers: tuple[Matcher, ...] = attrs.field(factory=_default_matchers, converter=_as_matchers)
    config: MatchConfig = attrs.field(factory=MatchConfig)

    @property
    def names(self) -> tuple[str, ...]:
        """The matchers' names, in order."""
        return tuple(m.name for m in self.matchers)

    def without(self, *names: str) -> MatchPipeline:
        """A copy without the named matchers.

        Raises:
            KeyError: A name is not in the pipeline.
        """
        missing = set(names) - set(self.names)
        if missing:
            raise KeyError(f"no matcher named {sorted(missing)} in {self.names}")
        return attrs.evolve(self, matchers=tuple(m for m in self.matchers if m.name not in names))

    def with_matcher(
        self, matcher: Matcher, *, before: str | None = None, after: str | None = None
    ) -> MatchPipeline:
        """A copy with ``matcher`` added before or after a named one (default: last).

        Raises:
            KeyError: ``before``/``after`` names no matcher in the pipeline.
            ValueError: Both ``before`` and ``after`` are given.
        """
        if before is not None and after is not None:
            raise ValueError("give before or after, not both")
        anchor = before if before is not None else after
        matchers = list(self.matchers)
        if anchor is None:
            matchers.append(matcher)
        else:
            position = self.names.index(anchor) if anchor in self.names else -1
            if position < 0:
                raise KeyError(f"no matcher named {anchor!r} in {self.names}")
            matchers.insert(position if before is not None else position + 1, matcher)
        return attrs.evolve(self, matchers=tuple(matchers))

    def reordered(self, *names: str) -> MatchPipeline:
        """A copy with the matchers in the order given (every name exactly once).

        Raises:
            ValueError: ``names`` is not a permutation of the pipeline's names.
        """
        if sorted(names) != sorted(self.names):
            raise ValueError(f"reordered() needs each of {self.names} exactly once")
        by_name = {m.name: m for m in self.matchers}
        return attrs.evolve(self, matchers=tuple(by_name[n] for n in names))

    def decide(self, subject: MatchKeys, index: CandidateIndex) -> MatchDecision:
        """Run the matchers on precomputed keys (see :func:`match_keys`).

        The first LINK or REVIEW wins. A CREATE with reasons (``fuzzy_name`` saying why a
        look-alike is another business) does not stop the matchers after it, so a host's
        own matcher appended last still runs; it is the answer when none of them links or
        reviews.
        """
        created: MatchDecision | None = None
        for matcher in self.matchers:
            decision = matcher(subject, index, self.config)
            if decision is None:
                continue
            if decision.outcome is MatchOutcome.CREATE:
                created = created or decision
                continue
            return decision
        return created or _NOTHING

    def match(self, relation: Relation, index: CandidateIndex) -> MatchDecision:
        """Decide whether the CRM ``relation`` exists among the indexed relations."""
        return self.decide(index.keys_for(relation), index)

    def match_all(
        self, relations: Iterable[Relation], index: CandidateIndex
    ) -> Iterator[tuple[Relation, MatchDecision]]:
        """Match many CRM relations against one index, lazily, in order."""
        for relation in relations:
            yield relation, self.match(relation, index)


@attrs.frozen(kw_only=True)
class DuplicateGroup:
    """Relations within one set that are probably (or possibly) the same.

    Attributes:
        record_ids: The ids of the relations in the group, sorted.
        outcome: LINK when at least one pair is a confident match (likely duplicates), REVIEW
            when every pair is only a possible match.
        score: The highest pair score in the group.
        evidence: One line per matched pair: ``"A ~ B (kvk, 97): same KvK ..."``.
    """

    record_ids: tuple[str, ...]
    outcome: MatchOutcome
    score: int
    evidence: tuple[str, ...]


def find_duplicates(
    relations: Iterable[Relation] | CandidateIndex,
    *,
    pipeline: MatchPipeline | None = None,
) -> tuple[DuplicateGroup, ...]:
    """Report groups of likely duplicates *within* one set of relations.

    Use it on the CRM's file before go-live, or on an administration's relations (pass a
    :class:`CandidateIndex` built with :meth:`CandidateIndex.from_records`, so records carrying
    the same CRM key are found too). Every relation is matched against all the others with the
    same pipeline; pairs that link or go to review are joined into groups.

    Args:
        relations: The relations, or an index already built over them.
        pipeline: The pipeline to use (default: :class:`MatchPipeline()`).

    Returns:
        The groups, largest score first, then by first id.
    """
    pipeline = pipeline or MatchPipeline()
    index = (
        relations
        if isinstance(relations, CandidateIndex)
        else CandidateIndex.from_relations(relations)
    )
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.get(node, node) != node:
            parent[node] = parent.get(parent[node], parent[node])
            node = parent[node]
        return node

    edges: list[tuple[str, str, MatchDecision]] = []
    for keys in index:
        decision = pipeline.decide(keys, index)
        if decision.outcome is MatchOutcome.CREATE or decision.remote_id is None:
            continue
        partners = [decision.remote_id]
        partners += [
            a.remote_id
            for a in decision.alternatives
            if a.score >= pipeline.config.review_threshold
        ]
        for partner in partners:
            if partner == keys.record_id:
                continue
            edges.append((keys.record_id, partner, decision))
            parent[root(keys.record_id)] = root(partner)

    by_root: dict[str, list[tuple[str, str, MatchDecision]]] = {}
    for edge in edges:
        by_root.setdefault(root(edge[0]), []).append(edge)
    groups: list[DuplicateGroup] = []
    for group_edges in by_root.values():
        ids = {e[0] for e in group_edges} | {e[1] for e in group_edges}
        seen: set[frozenset[str]] = set()
        lines: list[str] = []
        for first, second, decision in group_edges:
            pair = frozenset((first, second))
            if pair in seen:
                continue
            seen.add(pair)
            lines.append(
                f"{first} ~ {second} ({decision.rule}, {decision.score}): {decision.explanation}"
            )
        links = any(d.outcome is MatchOutcome.LINK for _, _, d in group_edges)
        groups.append(
            DuplicateGroup(
                record_ids=tuple(sorted(ids)),
                outcome=MatchOutcome.LINK if links else MatchOutcome.REVIEW,
                score=max(d.score for _, _, d in group_edges),
                evidence=tuple(lines),
            )
        )
    groups.sort(key=lambda g: (-g.score, g.record_ids))
    return tuple(groups)
